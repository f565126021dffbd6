"""Spark backend of the Store protocol: the canonical tables as Parquet, queried by Spark SQL.

For organizations whose contacts live in a data lake: Spark reads the canonical tables
from Parquet (``read_parquet``), and the same SQL that runs on DuckDB runs here, carried
over by ``dialects.to_dialect`` (see that module for what is rewritten and why). Temporary
tables (the demand codes, the cube) are materialized with ``localCheckpoint`` so that
later statements read them instead of recomputing their lineage; views stay lazy.

What comes back to Python (``frame``) is pulled through Arrow. Estimation stays on that
per-client frame (see ``decisionframe.effects``); Spark does the joins, windows and
group-bys over the touchpoints.

Spark has no transactions and this store never writes the organization's data: imports go
through the DuckDB (or PostgreSQL) store, whose validated tables are exported to Parquet.
``pyspark`` is imported lazily; a missing install or Java is reported with what to do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlglot import exp

from decisionframe.errors import StoreError
from decisionframe.store.dialects import portable_tree

if TYPE_CHECKING:  # pyspark is optional: imported only when a Spark store is opened
    from pyspark.sql import DataFrame, SparkSession

# One session per process: starting a JVM takes seconds, and Spark allows one active
# SparkContext anyway. Settings that make Spark's answers match DuckDB's: UTC session time
# (DuckDB's TIMESTAMP has no zone), ANSI arithmetic (errors rather than silent NULLs).
SESSION_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.ansi.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}


def spark_session(master: str, *, shuffle_partitions: int = 8) -> SparkSession:
    """The process's Spark session on ``master`` (``local[2]``, ``spark://host:7077``, ...)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise StoreError(
            "engine: spark needs PySpark. Hint: pip install 'decisionframe[spark]' "
            "(and Java 17 or later on the PATH)."
        ) from exc
    builder = SparkSession.builder.master(master).appName("decisionframe")
    for key, value in SESSION_SETTINGS.items():
        builder = builder.config(key, value)
    builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java missing or the master unreachable
        raise StoreError(
            f"cannot start Spark on {master} ({type(exc).__name__}). Hint: check that Java 17 "
            "or later is installed and that the master URL is reachable."
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def _spark_errors() -> type[BaseException]:
    from pyspark.errors import PySparkException

    return PySparkException


@contextmanager
def _driver_errors() -> Iterator[None]:
    error = _spark_errors()
    try:
        yield
    except error as exc:
        # Spark's messages quote SQL and values; only the error class is kept.
        condition = getattr(exc, "getCondition", lambda: None)() or type(exc).__name__
        raise StoreError(f"Spark refused a statement ({condition})") from None


class SparkStore:
    """Canonical tables as Spark temporary views over Parquet files."""

    dialect = "spark"

    def __init__(self, session: SparkSession) -> None:
        self.session = session
        self._views: set[str] = set()

    @classmethod
    def over_parquet(cls, session: SparkSession, tables: Mapping[str, Path | str]) -> SparkStore:
        store = cls(session)
        for name, path in tables.items():
            store.read_parquet(name, path)
        return store

    def read_parquet(self, name: str, path: Path | str) -> None:
        """Make table ``name`` the Parquet file or folder at ``path``."""
        with _driver_errors():
            self._view(name, self.session.read.parquet(str(path)))

    def _view(self, name: str, frame: DataFrame) -> None:
        frame.createOrReplaceTempView(name)
        self._views.add(name)

    def _sql(self, tree: Any, params: Sequence[Any] | None) -> DataFrame:
        text = tree.sql(dialect="spark")
        return self.session.sql(text, args=list(params)) if params else self.session.sql(text)

    # -- protocol ---------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        tree = portable_tree(sql, "spark")
        with _driver_errors():
            if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
                name = tree.this.name
                frame = self._sql(tree.expression, params)
                if str(tree.args.get("kind", "")).upper() == "TABLE":
                    # Materialized once, like a temporary table: later statements read the
                    # rows, not the lineage that made them.
                    frame = frame.localCheckpoint(eager=True)
                self._view(name, frame)
            elif isinstance(tree, exp.Drop):
                for table in tree.args.get("tables") or [tree.this]:
                    self.session.catalog.dropTempView(table.name)
                    self._views.discard(table.name)
            else:
                self._sql(tree, params).collect()

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with _driver_errors():
            return [tuple(r) for r in self._sql(portable_tree(sql, "spark"), params).collect()]

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        with _driver_errors():
            # Through Arrow (toArrow, not toPandas: PySpark's toPandas trips over
            # pandas 3 and falls back to rows).
            table = self._sql(portable_tree(sql, "spark"), params).toArrow()
        # DuckDB's own Arrow-to-pandas conversion, as the PostgreSQL store does: dates come
        # back as datetime64 (not Python date objects), nullable ints and booleans as on
        # DuckDB, so an analysis sees the same frame whichever engine ran it.
        import duckdb

        with duckdb.connect() as local:
            frame: pd.DataFrame = local.from_arrow(table).df()
        return frame

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Spark has no transactions; this store only reads, so there is nothing to undo."""
        yield

    def table_exists(self, name: str) -> bool:
        return bool(self.session.catalog.tableExists(name))

    def table_columns(self, name: str) -> list[tuple[str, str]]:
        return [(f.name, f.dataType.simpleString()) for f in self.session.table(name).schema]

    def register_frame(self, name: str, frame: pd.DataFrame) -> None:
        with _driver_errors():
            self._view(name, self.session.createDataFrame(frame))

    def unregister(self, name: str) -> None:
        self.session.catalog.dropTempView(name)
        self._views.discard(name)

    def close(self) -> None:
        """Drop this store's views; the session lives on for the next store (it is slow
        to start)."""
        for name in list(self._views):
            self.session.catalog.dropTempView(name)
        self._views.clear()

    def __enter__(self) -> SparkStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
