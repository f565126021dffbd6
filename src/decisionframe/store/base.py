"""The Store protocol: what the rest of decisionframe may ask of a database.

Only modules in this package import a database driver, so a PostgreSQL backend can follow
by implementing the same protocol.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import pandas as pd


class Store(Protocol):
    """A SQL store holding canonical tables, bookkeeping tables and analysis runs."""

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None: ...

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def table_exists(self, name: str) -> bool: ...

    def table_columns(self, name: str) -> list[tuple[str, str]]: ...

    def register_frame(self, name: str, frame: pd.DataFrame) -> None: ...

    def unregister(self, name: str) -> None: ...

    def close(self) -> None: ...


def nothing_imported(store: Store) -> bool:
    """True when no import has loaded anything yet (never run, or every one refused).

    Commands then say "run import first", not "add a source": the config usually has
    the source already, and it is the refused or missing import that left the table out.
    """
    if not store.table_exists("df_imports"):
        return True
    return not store.rows("SELECT count(*) FROM df_imports")[0][0]


def quote(identifier: str) -> str:
    """Quote a SQL identifier (column or table name coming from user files)."""
    return '"' + identifier.replace('"', '""') + '"'


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
