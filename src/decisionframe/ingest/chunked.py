"""Queries over every column of a wide file, in bounded pieces.

DuckDB's planning time grows with the square of a query's length: with each of 1,000
extra columns' checks in one SELECT, an import of 300 rows took minutes (485 s measured),
nearly all of it planning. Every query that would hold one expression per column is
therefore split into queries of at most ``EXPRESSIONS_PER_QUERY`` expressions, so an
import's cost grows linearly with its columns (4 s for the same file).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from decisionframe.store import DuckDBStore, quote
from decisionframe.store.base import batched

# Small enough that planning stays cheap, large enough that a wide file is not scanned
# once per expression (1,000 columns: about 130 queries of a few kilobytes each).
EXPRESSIONS_PER_QUERY = 48


def aggregate(
    store: DuckDBStore,
    source_sql: str,
    expressions: Sequence[str],
    *,
    per_query: int = EXPRESSIONS_PER_QUERY,
) -> list[Any]:
    """The value of each aggregate expression over ``source_sql``, in order.

    ``source_sql`` is read once per query, so it should be a table (or a small one made
    with ``sample_table``), not a query whose rows could differ between reads.
    """
    values: list[Any] = []
    for chunk in batched(expressions, per_query):
        values += store.rows(f"SELECT {', '.join(chunk)} FROM {source_sql}")[0]
    return values


@contextmanager
def sample_table(store: DuckDBStore, table: str, rows: int) -> Iterator[str]:
    """The first ``rows`` rows of ``table`` as a temporary table (its quoted name).

    Chunked queries read their source many times; a ``LIMIT`` subquery read by a parallel
    scan need not give the same rows each time, a table does.
    """
    name = quote(f"{table}_sample")
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {quote(table)} LIMIT ?", [rows]
    )
    try:
        yield name
    finally:
        store.execute(f"DROP TABLE IF EXISTS {name}")


__all__ = ["EXPRESSIONS_PER_QUERY", "aggregate", "sample_table"]
