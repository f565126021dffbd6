"""Canonical tables: the columns every organization's data is mapped onto.

Extra source columns are kept as typed attribute columns beside these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LogicalType = Literal["id", "text", "int", "float", "bool", "date", "timestamp"]

SQL_TYPES: dict[LogicalType, str] = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: LogicalType
    required: bool = False
    references: str | None = None  # "table.column" that must exist
    non_negative: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _c(name: str, type_: LogicalType, **kw: object) -> Column:
    return Column(name, type_, **kw)  # type: ignore[arg-type]


CANONICAL: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "clients",
            (_c("client_id", "id", required=True), _c("enrolled_on", "date")),
            key=("client_id",),
        ),
        TableSpec(
            "touchpoints",
            (
                _c("touchpoint_id", "id", required=True),
                _c("client_id", "id", required=True, references="clients.client_id"),
                _c("started_at", "timestamp", required=True),
                _c("channel", "text", required=True),
                _c("unit", "text"),
                _c("service", "text"),
                _c("reason", "text"),
                _c("need_id", "id"),
                _c("resolved", "bool"),
                _c("waiting_on", "text"),
                _c("wait_minutes", "float", non_negative=True),
                _c("handle_minutes", "float", non_negative=True),
                _c("staff_id", "id"),
                _c("cost", "float", non_negative=True),
            ),
            key=("touchpoint_id",),
        ),
        TableSpec(
            "outcomes",
            (
                _c("client_id", "id", required=True, references="clients.client_id"),
                _c("outcome", "text", required=True),
                _c("value", "float", required=True),
                _c("measured_on", "date"),
            ),
            key=("client_id", "outcome", "measured_on"),
        ),
        TableSpec(
            "feedback",
            (
                _c("feedback_id", "id", required=True),
                _c("text", "text", required=True),
                _c("client_id", "id", references="clients.client_id"),
                _c("touchpoint_id", "id", references="touchpoints.touchpoint_id"),
                _c("given_on", "date"),
                _c("score", "float"),
            ),
            key=("feedback_id",),
        ),
        TableSpec(
            "costs",
            (
                _c("option", "text", required=True),
                _c("cost_per_client", "float", required=True, non_negative=True),
                _c("capacity", "int", non_negative=True),
            ),
            key=("option",),
        ),
        TableSpec(
            "initiatives",
            (
                _c("initiative_id", "id", required=True),
                _c("name", "text", required=True),
                _c("started_on", "date", required=True),
                _c("ended_on", "date"),
                _c("units", "text"),
                _c("channels", "text"),
                _c("measures", "text"),
                _c("expected", "text"),
            ),
            # A staggered roll-out is several rows with one id, each its own units and start.
            key=("initiative_id", "started_on", "units"),
        ),
        TableSpec(
            "series",
            (
                _c("unit", "text", required=True),
                _c("period", "date", required=True),
                _c("measure", "text", required=True),
                _c("value", "float", required=True),
                _c("n", "int", non_negative=True),
            ),
            key=("unit", "period", "measure"),
        ),
    )
}

# Tables are loaded parents first so references can be checked against what is being loaded.
LOAD_ORDER = (
    "clients",
    "touchpoints",
    "outcomes",
    "feedback",
    "costs",
    "initiatives",
    "series",
)
