"""An in-memory store over DataFrames: the project-free API's way into the same SQL.

Demand classification, the analysis frames and the decision inputs are SQL over the
canonical tables (DESIGN.md: the heavy work runs in the engine). A notebook user who holds
DataFrames instead of a project folder gets the same code by loading the frames into an
in-memory DuckDB database with the canonical columns and types, rather than a second,
pandas-only implementation that could drift from the first.

Unlike ``decisionframe import``, nothing is pseudonymized and no file is hashed: the
frames are the caller's own, held in memory for one call, and nothing is written to disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from decisionframe.errors import ProjectError
from decisionframe.store.base import quote
from decisionframe.store.duckdb_store import DuckDBStore
from decisionframe.store.schema import CANONICAL, SQL_TYPES

Tables = Mapping[str, "pd.DataFrame | pa.Table"]


def memory_store(tables: Tables) -> DuckDBStore:
    """A migrated in-memory store holding ``tables`` (canonical name -> frame).

    Each canonical column is cast to its canonical type (``started_at`` as a timestamp,
    ``resolved`` as a boolean, ...); a missing optional column is NULL, extra columns are
    kept as they are. A missing required column or a value that does not cast is a
    ``ProjectError`` naming the table and column (never the value).
    """
    unknown = sorted(set(tables) - set(CANONICAL))
    if unknown:
        raise ProjectError(
            f"unknown table {unknown[0]!r}. Hint: use the canonical names "
            f"({', '.join(CANONICAL)}); `decisionframe schema` lists their columns"
        )
    store = DuckDBStore(":memory:")
    try:
        for name, frame in tables.items():
            _load(store, name, frame)
    except BaseException:
        store.close()
        raise
    return store


def _columns_of(frame: pd.DataFrame | pa.Table) -> list[str]:
    return [str(c) for c in (frame.column_names if isinstance(frame, pa.Table) else frame.columns)]


def _load(store: DuckDBStore, name: str, frame: pd.DataFrame | pa.Table) -> None:
    spec = CANONICAL[name]
    present = _columns_of(frame)
    missing = [c for c in spec.required if c not in present]
    if missing:
        raise ProjectError(
            f"the {name} frame has no column {missing[0]!r} (required: "
            f"{', '.join(spec.required)}). Hint: rename your column to the canonical name"
        )
    canonical = {c.name for c in spec.columns}
    selects: list[str] = []
    for column in spec.columns:
        sql_type = SQL_TYPES[column.type]
        value = quote(column.name) if column.name in present else "NULL"
        selects.append(f"CAST({value} AS {sql_type}) AS {quote(column.name)}")
    selects += [quote(c) for c in present if c not in canonical]
    con: Any = store.connection
    view = f"df_frame_{name}"
    con.register(view, frame)
    try:
        # Names come from the canonical schema and the frame's own column names, quoted.
        con.execute(f"CREATE TABLE {quote(name)} AS SELECT {', '.join(selects)} FROM {view}")
    except duckdb.ConversionException:
        bad = next(
            (c for c in spec.columns if c.name in present and not _casts(con, view, c)), None
        )
        where = f"column {bad.name!r}" if bad else "a column"
        kind = SQL_TYPES[bad.type].lower() if bad else "its canonical type"
        raise ProjectError(
            f"the {name} frame's {where} has values that are not {kind}. Hint: convert it "
            "(for example with pd.to_datetime or astype) before passing the frame"
        ) from None
    finally:
        con.unregister(view)
    _catalogue(store, name, canonical)


def _logical(duckdb_type: str) -> str:
    """The logical type (store.schema) of a DuckDB column type, for an attribute column."""
    upper = duckdb_type.upper()
    if upper.startswith(("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT")):
        return "int"
    if upper.startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL")):
        return "float"
    if upper == "BOOLEAN":
        return "bool"
    if upper == "DATE":
        return "date"
    if upper.startswith("TIMESTAMP"):
        return "timestamp"
    return "text"


def _catalogue(store: DuckDBStore, name: str, canonical: set[str]) -> None:
    """The columns in df_columns, as an import records them (theory checks read it)."""
    spec = CANONICAL[name]
    for column, duckdb_type in store.table_columns(name):
        known = spec.column(column)
        store.execute(
            "INSERT INTO df_columns VALUES (?, ?, ?, ?, ?, ?)",
            [
                name,
                column,
                known.type if known else _logical(duckdb_type),
                "canonical" if column in canonical else "attribute",
                column,
                False,
            ],
        )


def _casts(con: Any, view: str, column: Any) -> bool:
    try:
        con.execute(
            f"SELECT count(CAST({quote(column.name)} AS {SQL_TYPES[column.type]})) FROM {view}"
        )
    except duckdb.ConversionException:
        return False
    return True
