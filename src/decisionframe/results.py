"""Typed results: the one base every analysis result derives from.

A result is a frozen dataclass that subclasses ``Result`` and names its ``kind`` and
``schema_version``. The base gives it, from the dataclass fields alone (pydantic's
``TypeAdapter``, so no shape is written by hand):

- ``to_dict()``: JSON-ready dict, with ``kind`` and ``schema_version`` first;
- ``from_dict(data)``: the same object back, validated (a located error, not a KeyError);
- ``json_schema()``: the JSON Schema of ``to_dict()``'s output, published in docs/schemas/;
- ``to_json()``; and it asks you for ``summary()`` (one line) and, if tabular, ``to_frame()``.

Adopting it for a new analysis::

    from dataclasses import dataclass
    from typing import ClassVar

    from decisionframe.results import Frame, Result

    @dataclass(frozen=True, eq=False)        # eq=False: a DataFrame field (see below)
    class VoiceResult(Result):
        kind: ClassVar[str] = "voice"          # the run kind and the schema's file name
        schema_version: ClassVar[int] = 1      # bump when a field changes meaning or shape
        themes: Frame                          # a DataFrame field: saved as a list of records
        n_feedback: int

        def summary(self) -> str:
            return f"{self.n_feedback:,} feedback texts, {len(self.themes)} themes"

then add one line for it to ``decisionframe.runs.RESULT_TYPES`` (if it is saved as a run)
and run ``python -m tools.write_schemas`` to publish its schema. Field types may be
numbers, strings, ``Literal``, ``datetime``, tuples, dicts, ``X | None``, other
dataclasses and pydantic models (the theory's), and ``Frame``. Keep derived values as
properties: they are not saved, so they can never disagree with the fields. A field may
not be called ``kind`` or ``schema_version``. A result holding a ``Frame`` is declared
``eq=False`` and then compares equal when its saved forms are equal (a DataFrame has no
single truth value). Saved runs: ``decisionframe.runs`` (provenance and staleness).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Hashable
from typing import Annotated, Any, ClassVar, Self, cast

import pandas as pd
from pydantic import PlainSerializer, PlainValidator, TypeAdapter, ValidationError, WithJsonSchema

from decisionframe.errors import ResultFormatError, count_of


def _frame_to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Records with JSON-ready values: missing values become None, dates ISO strings."""
    out = frame.astype(object).where(frame.notna(), None)
    records = []
    for row in out.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            elif hasattr(value, "item"):  # numpy scalar
                value = value.item()
            clean[str(key)] = value
        records.append(clean)
    return records


def _records_to_frame(value: Any) -> pd.DataFrame:
    if isinstance(value, pd.DataFrame):
        return value
    if not isinstance(value, list):
        raise ValueError("a table must be a list of records")
    return pd.DataFrame.from_records(value)


Frame = Annotated[
    pd.DataFrame,
    PlainValidator(_records_to_frame),
    PlainSerializer(_frame_to_records, return_type=list[dict[str, Any]]),
    WithJsonSchema({"type": "array", "items": {"type": "object"}}),
]
"""A DataFrame field of a result, saved as a list of records (one dict per row)."""


@functools.cache
def _cached_adapter(cls: Hashable) -> TypeAdapter[Any]:
    # Cached per class: building an adapter compiles a validator (milliseconds), and the
    # class never changes, so this memo holds no state that could make two runs differ.
    return TypeAdapter(cast(Any, cls))


def _adapter(cls: type[Result]) -> TypeAdapter[Any]:
    return _cached_adapter(cast(Hashable, cls))


class Result:
    """Base of every typed result (see the module docstring for how to adopt it)."""

    kind: ClassVar[str] = "result"
    schema_version: ClassVar[int] = 1

    def summary(self) -> str:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        # Used by results declared with ``eq=False`` (those holding DataFrames, which have
        # no single truth value): equal when their saved forms are equal.
        if not isinstance(other, Result) or type(self) is not type(other):
            return False
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``kind``, ``schema_version``, the one-line ``summary``, then
        every field (``from_dict`` ignores the summary: it follows from the fields)."""
        body = _adapter(type(self)).dump_python(self, mode="json", by_alias=True)
        return {
            "kind": self.kind,
            "schema_version": self.schema_version,
            "summary": self.summary(),
            **body,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """The result back from ``to_dict()``'s output; a located error if it does not fit."""
        body = dict(data)
        kind = body.pop("kind", cls.kind)
        version = body.pop("schema_version", cls.schema_version)
        body.pop("summary", None)
        for marker in ("private", "publishable", "privacy_note"):  # decisionframe.publish
            body.pop(marker, None)
        if kind != cls.kind:
            raise ResultFormatError(f"expected a '{cls.kind}' result, got '{kind}'")
        if version != cls.schema_version:
            raise ResultFormatError(
                f"this '{cls.kind}' result has schema version {version}; this decisionframe "
                f"reads version {cls.schema_version}. Hint: rerun `decisionframe {cls.kind}`."
            )
        try:
            result: Self = _adapter(cls).validate_python(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top)"
            raise ResultFormatError(
                f"'{cls.kind}' result does not fit its schema at {where}: {first['msg']} "
                f"({count_of(exc.error_count(), 'problem')})"
            ) from exc
        return result

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema (draft 2020-12) of ``to_dict()``'s output."""
        schema = _adapter(cls).json_schema(mode="serialization")
        schema["properties"] = {
            "kind": {"const": cls.kind},
            "schema_version": {"const": cls.schema_version},
            "summary": {"type": "string", "description": "the result in one line"},
            **schema.get("properties", {}),
        }
        schema["required"] = ["kind", "schema_version", "summary", *schema.get("required", [])]
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://decisionframe.org/schemas/{cls.kind}.schema.json",
            **schema,
        }


__all__ = ["Frame", "Result"]
