"""Storage: the Store protocol, the DuckDB backend, canonical schema and migrations."""

from decisionframe.store.base import Store, nothing_imported, quote
from decisionframe.store.duckdb_store import DuckDBStore
from decisionframe.store.schema import CANONICAL, LOAD_ORDER, Column, TableSpec

__all__ = [
    "CANONICAL",
    "LOAD_ORDER",
    "Column",
    "DuckDBStore",
    "Store",
    "TableSpec",
    "nothing_imported",
    "quote",
]
