"""Saving an edited theory: theory.yaml keeps its comments and order, every version is kept.

The editor sends the theory as data (the dict theory.yaml holds). Saving

1. checks it (``check_draft``: the same rules as ``theory check``, measures against the
   store's columns) and refuses it with every problem when it has errors;
2. merges it into the file as ruamel.yaml reads it (round-trip mode): a key whose value is
   unchanged keeps its formatting and comments, nodes are matched by ``id`` and edges by
   ``from``/``to`` so the comments written beside them stay with them, new entries follow
   the file's style (a plain edge in flow style ``{from: a, to: b}``); a node renamed in
   the editor is recognised (``renamed_nodes``) and matched under its old id, so its
   comments, and those of its arrows, stay with it instead of going with the old id;
3. reads what it is about to write back through the project's own YAML reader and refuses
   to write unless that equals the edited theory (no silent change by the merge);
4. writes the file atomically, and records the version (full text, unified diff against
   the one before, who saved it, when, why) in the store's ``df_theory_versions`` table.
   The version before the first save through the editor is kept too, as written by hand.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from decisionframe.errors import Problem, TheoryError, count_of
from decisionframe.results import Result
from decisionframe.store import Store
from decisionframe.theory.diagnose import check_draft
from decisionframe.theory.model import Theory

VERSIONS_TABLE = "df_theory_versions"


def _yaml() -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 100
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def read_roundtrip(text: str) -> Any:
    """theory.yaml as ruamel's commented data (comments and order kept)."""
    return _yaml().load(text) if text.strip() else CommentedMap()


def dump_roundtrip(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _key(item: Any, kind: str, renames: dict[str, str] | None = None) -> tuple[str, ...] | None:
    """How an item of a list is matched between the file and the draft; ``renames`` maps
    an old node id to its new one (applied to the file's items, so they match the draft)."""
    if not isinstance(item, dict):
        return None
    names = renames or {}
    if kind == "nodes" and "id" in item:
        return (names.get(str(item["id"]), str(item["id"])),)
    if kind == "edges" and "from" in item and "to" in item:
        source, target = str(item["from"]), str(item["to"])
        return (names.get(source, source), names.get(target, target))
    if kind == "options" and "id" in item:
        return (str(item["id"]),)
    return None


def _fresh(value: Any, *, flow_leaves: bool) -> Any:
    """A new value in the file's style: small mappings of scalars in flow style."""
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _fresh(v, flow_leaves=True)
        if flow_leaves and all(not isinstance(v, dict | list) for v in value.values()):
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        seq = CommentedSeq()
        for v in value:
            seq.append(_fresh(v, flow_leaves=True))
        return seq
    return value


def renamed_nodes(old: Any, new: Any) -> dict[str, str]:
    """The nodes of ``old`` that ``new`` holds under another id: {old id: new id}.

    The editor sends the edited theory, not the edits, so a rename is recognised from the
    two theories: a node id gone and one come, the node otherwise the same (its label may
    differ; a measure that read the column of the node's own name, now written out, is the
    same measure) and, when it had arrows, every one of them still there under the new id.
    Only a one-to-one pairing counts: a node deleted and another added are not a rename
    unless nothing but the id tells them apart (then the comments stay with the node).
    """
    if not isinstance(old, dict) or not isinstance(new, dict):
        return {}

    def nodes_of(theory: dict[str, Any]) -> dict[str, dict[str, Any]]:
        found = theory.get("nodes")
        return {
            str(n["id"]): n
            for n in (found if isinstance(found, list) else [])
            if isinstance(n, dict) and "id" in n
        }

    def arrows_of(theory: dict[str, Any]) -> set[tuple[str, str]]:
        found = theory.get("edges")
        return {
            (str(e.get("from")), str(e.get("to")))
            for e in (found if isinstance(found, list) else [])
            if isinstance(e, dict)
        }

    def signature(node: dict[str, Any], node_id: str, *, label: bool) -> Any:
        out = {k: v for k, v in node.items() if k != "id" and (label or k != "label")}
        measure = out.get("measure")
        if isinstance(measure, dict) and measure.get("table") in (None, "clients"):
            out["measure"] = {**measure, "column": measure.get("column") or node_id}
        return _plain(out)

    before, after = nodes_of(old), nodes_of(new)
    gone = [i for i in before if i not in after]
    came = [i for i in after if i not in before]
    old_arrows, new_arrows = arrows_of(old), arrows_of(new)

    def same(was: str, now: str) -> bool:
        touching = {a for a in old_arrows if was in a}
        if not touching:  # nothing but the node itself to go by
            return bool(
                signature(before[was], was, label=True) == signature(after[now], now, label=True)
            )
        moved = {tuple(now if end == was else end for end in a) for a in touching}
        return bool(
            signature(before[was], was, label=False) == signature(after[now], now, label=False)
            and moved <= new_arrows
        )

    pairs = {was: [now for now in came if same(was, now)] for was in gone}
    takers: dict[str, int] = {}
    for options in pairs.values():
        for now in options:
            takers[now] = takers.get(now, 0) + 1
    return {
        was: options[0]
        for was, options in pairs.items()
        if len(options) == 1 and takers[options[0]] == 1
    }


def merge(old: Any, new: Any, *, kind: str = "", renames: dict[str, str] | None = None) -> Any:
    """``new``'s content in ``old``'s clothes: unchanged parts keep their comments/format.
    ``renames`` ({old node id: new id}) matches a renamed node and its arrows under their
    old names, so their comments stay."""
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        if kind == "set" and renames:  # an option's levers: a renamed one keeps its place
            for was, now in renames.items():
                if was in old and was not in new and now in new and now not in old:
                    comment = old.ca.items.pop(was, None)
                    old.insert(list(old).index(was), now, old.pop(was))
                    if comment is not None:
                        old.ca.items[now] = comment
        for key in [k for k in old if k not in new]:
            del old[key]
        for key, value in new.items():
            old[key] = (
                merge(old[key], value, kind=str(key), renames=renames)
                if key in old
                else _fresh(value, flow_leaves=kind in ("", "nodes", "edges", "assumption"))
            )
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        return _merge_seq(old, new, kind, renames)
    if isinstance(old, str) and new == {"one": old}:
        return old  # a unit written as its shorthand (`unit: minute of waiting`) stays so
    if isinstance(old, str) and isinstance(new, str):
        if old == new:
            return old
        if isinstance(old, FoldedScalarString):
            return FoldedScalarString(new)
        if isinstance(old, LiteralScalarString):
            return LiteralScalarString(new)
        return new
    if _same_scalar(old, new):
        return old  # keeps 0.05 written as 0.05, not 0.05000000000000000277
    if isinstance(new, dict | list):
        return _fresh(new, flow_leaves=kind == "edges")
    return new


def _same_scalar(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    return isinstance(old, int | float) and isinstance(new, int | float) and old == new


def _merge_seq(
    old: CommentedSeq, new: list[Any], kind: str, renames: dict[str, str] | None = None
) -> CommentedSeq:
    """Match items by key so an item keeps its comments when others move or go."""
    by_key = {k: i for i, item in enumerate(old) if (k := _key(item, kind, renames)) is not None}
    comments = dict(old.ca.items)
    out = CommentedSeq()
    if old.fa.flow_style():
        out.fa.set_flow_style()
    for position, value in enumerate(new):
        key = _key(value, kind)
        source = by_key.get(key) if key is not None else None
        if source is None and key is None and position < len(old):
            source = position  # unkeyed lists (a contrast pair): by position
        if source is not None:
            out.append(merge(old[source], value, kind=kind, renames=renames))
            if source in comments:
                out.ca.items[len(out) - 1] = comments[source]
        else:
            out.append(_fresh(value, flow_leaves=kind == "edges"))
    return out


@dataclass(frozen=True)
class TheoryVersion(Result):
    """One saved version of theory.yaml: who, when, why, its hash and diff to the last."""

    kind: ClassVar[str] = "theory-version"

    version_id: str
    saved_at: datetime
    author: str
    message: str
    sha256: str
    diff: str

    def summary(self) -> str:
        changed = sum(
            1
            for line in self.diff.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )
        when = f"{self.saved_at:%Y-%m-%d %H:%M}"
        return f"{when} {self.author}: {self.message or 'saved'} ({changed} lines changed)"


def render_theory(path: Path, data: dict[str, Any]) -> str:
    """The text theory.yaml would hold after saving ``data`` (comments and order kept)."""
    old_text = path.read_text(encoding="utf-8") if path.exists() else ""
    old = read_roundtrip(old_text)
    new = _plain(data)
    merged = merge(old, new, renames=renamed_nodes(_plain(old), new))
    text = dump_roundtrip(merged)
    # Compared as theories: a unit kept as its shorthand is the same unit.
    if Theory.model_validate(yaml.safe_load(text) or {}) != Theory.model_validate(data):
        raise TheoryError(
            "the theory could not be written without changing it",
            [
                Problem(
                    str(path),
                    "theory-roundtrip",
                    "writing the edited theory would not read back the same",
                    "report this; nothing was written",
                )
            ],
        )
    return text


def _plain(value: Any) -> Any:
    """JSON-like plain data (ruamel's and pydantic's types removed) for comparisons."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def theory_data(theory: Theory) -> dict[str, Any]:
    """A theory as the plain dict theory.yaml holds: what was written, keys by alias."""
    return dict(theory.model_dump(mode="json", by_alias=True, exclude_unset=True))


def save_theory(
    path: Path,
    data: dict[str, Any],
    *,
    author: str,
    message: str = "",
    store: Store | None = None,
    catalogue: dict[str, list[str]] | None = None,
    outcomes: list[str] | None = None,
) -> TheoryVersion | None:
    """Check, merge, write theory.yaml and record the version; returns it (None when the
    text did not change). Raises ``TheoryError`` with every problem when the draft has
    errors; then nothing is written."""
    diagnosis = check_draft(data, catalogue=catalogue, outcomes=outcomes)
    if not diagnosis.valid:
        problems = [
            Problem(str(path), d.rule, d.message, d.hint or "fix it in the editor", column=d.where)
            for d in diagnosis.errors
        ]
        raise TheoryError(
            f"the edited theory was not saved: {count_of(len(problems), 'problem')}", problems
        )
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    text = render_theory(path, data)
    if text == before:
        return None
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    if store is None:
        return _version(before, text, author, message)
    if before and not versions(store):
        _record(store, _version("", before, "(written by hand)", "before the editor"), before)
    version = _version(before, text, author, message)
    _record(store, version, text)
    return version


def _version(before: str, after: str, author: str, message: str) -> TheoryVersion:
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            "theory.yaml (before)",
            "theory.yaml",
        )
    )
    return TheoryVersion(
        uuid.uuid4().hex,
        datetime.now(UTC).replace(tzinfo=None),
        author,
        message,
        hashlib.sha256(after.encode("utf-8")).hexdigest(),
        diff,
    )


def _record(store: Store, version: TheoryVersion, text: str) -> None:
    store.execute(
        f"INSERT INTO {VERSIONS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            version.version_id,
            version.saved_at,
            version.author,
            version.message,
            version.sha256,
            version.diff,
            text,
        ],
    )


def versions(store: Store) -> list[TheoryVersion]:
    """Every saved version, newest first."""
    if not store.table_exists(VERSIONS_TABLE):
        return []
    return [
        TheoryVersion(str(v), at, str(a), str(m), str(s), str(d))
        for v, at, a, m, s, d in store.rows(
            f"SELECT version_id, saved_at, author, message, sha256, diff FROM {VERSIONS_TABLE} "
            "ORDER BY saved_at DESC, version_id"
        )
    ]


def version_text(store: Store, version_id: str) -> str | None:
    rows = store.rows(f"SELECT text FROM {VERSIONS_TABLE} WHERE version_id = ?", [version_id])
    return str(rows[0][0]) if rows else None


__all__ = [
    "VERSIONS_TABLE",
    "TheoryVersion",
    "dump_roundtrip",
    "merge",
    "read_roundtrip",
    "renamed_nodes",
    "render_theory",
    "save_theory",
    "theory_data",
    "version_text",
    "versions",
]
