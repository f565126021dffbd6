"""Fixtures for the engine-equivalence suite: one local Spark session for the whole run
(starting the JVM costs seconds; local[2] on this 2-core machine), one PostgreSQL database
for the whole run, and ``copy_to``, which gives another engine exactly a DuckDB store's
tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from decisionframe.store import DuckDBStore, Store
from decisionframe.store.duckdb_store import export_parquet
from tests.postgres import PgDatabase, fresh_database


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from decisionframe.store.spark_store import spark_session

    session = spark_session("local[2]", shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def engines_pg() -> Iterator[PgDatabase]:
    """One database for the suite (the module-scoped ``pg_database``, made once)."""
    with fresh_database("engines") as database:
        yield database


def copy_to(
    engine: str,
    duck: DuckDBStore,
    tables: Sequence[str],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Store:
    """A store on ``engine`` holding exactly ``tables`` of ``duck`` (same types, same rows).

    PostgreSQL: COPY of DuckDB's CSV into tables of the mapped types, in one transaction
    (the import's own path, ``replace_table``). Spark: the Parquet files ``export_parquet``
    writes, read back as views.
    """
    if engine == "spark":
        from decisionframe.store.spark_store import SparkStore

        parquet = export_parquet(duck, tmp_path / "parquet", list(tables))
        return SparkStore.over_parquet(request.getfixturevalue("spark"), parquet)
    if engine != "postgres":
        raise ValueError(engine)
    from decisionframe.store.postgres_store import PostgresStore, pg_type

    database: PgDatabase = request.getfixturevalue("engines_pg")
    store = PostgresStore(database.url())
    try:
        with store.transaction():
            for name in tables:
                csv = tmp_path / f"{name}.csv"
                duck.execute(f"COPY {name} TO '{csv}' (FORMAT csv, HEADER false)")
                columns = [(c, pg_type(t)) for c, t in duck.table_columns(name)]
                store.replace_table(name, columns, csv)
    except BaseException:
        store.close()
        raise
    return store
