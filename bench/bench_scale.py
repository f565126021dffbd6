"""Demand at scale, side by side in one run: DuckDB, PostgreSQL and Spark local, with the
hand-written DuckDB query, the same question in Polars (lazy) and the floor as peers.

"Demand" here is what every engine runs from the one definition: the classification
(``classify_demand``, all rules and hand-offs, no text classifier), the cube
(``build_cube``) and the weekly failure shares (``share_series``). The peers answer the
weekly-share question with the minimal work: one DuckDB query, one Polars lazy plan. The
floor is one bare sort of the need keys (need, time, touchpoint id) in DuckDB: no demand
computation can be cheaper than ordering the rows it must look back along.

The touchpoints are synthetic (generated in DuckDB from a seed, cached in ``bench/.data``):
the simulator is too slow at 10M rows for a bench, and the classification's cost depends
only on the rows' shape (how many needs, clients and reasons), which is set to the
simulator's. Loading each engine (COPY into PostgreSQL, Parquet for Spark) is printed but
not timed as demand. Every engine's weekly shares are compared before any time is printed
as a result. Run under ``flock /tmp/bench.lock``; the load average is printed with the table.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from bench.common import DATA
from decisionframe.config import DemandRules
from decisionframe.demand.aggregates import build_cube, share_series
from decisionframe.demand.classify import classify_demand
from decisionframe.store import DuckDBStore, Store

REASONS = [
    "benefit claim",
    "repairs request",
    "rent arrears",
    "housing application",
    "council tax",
    "change of address",
    "where is my claim",
    "chasing my application",
    "wrong amount in letter",
    "mistake on my account",
] + [f"other request {i}" for i in range(30)]

GENERATE = """
CREATE TABLE touchpoints AS
SELECT 't' || i AS touchpoint_id,
       'c' || (CAST(hash(i * 7 + {seed}) % {clients} AS BIGINT)) AS client_id,
       TIMESTAMP '2024-01-01' + to_seconds(
           CAST(hash(i * 13 + {seed}) % 31536000 AS BIGINT))
           AS started_at,
       ['phone', 'web', 'email', 'visit'][1 + CAST(hash(i * 17 + {seed}) % 4 AS BIGINT)] AS channel,
       'unit' || (CAST(hash(i * 19 + {seed}) % 8 AS BIGINT)) AS unit,
       CASE WHEN CAST(hash(i * 23 + {seed}) % 50 AS BIGINT) = 0 THEN NULL
            ELSE reasons[1 + CAST(hash(i * 29 + {seed}) % {n_reasons} AS BIGINT)] END AS reason,
       CASE WHEN CAST(hash(i * 31 + {seed}) % 10 AS BIGINT) < 6
            THEN 'n' || (CAST(hash(i * 37 + {seed}) % {needs} AS BIGINT)) END AS need_id,
       CAST(hash(i * 41 + {seed}) % 3 AS BIGINT) = 0 AS resolved,
       CASE WHEN CAST(hash(i * 43 + {seed}) % 4 AS BIGINT) = 0
            THEN 'backend' || (CAST(hash(i) % 4 AS BIGINT)) END
           AS waiting_on,
       CAST(2 + CAST(hash(i * 47 + {seed}) % 30 AS BIGINT) AS DOUBLE) AS handle_minutes,
       CAST(1 + CAST(hash(i * 53 + {seed}) % 20 AS BIGINT) AS DOUBLE) AS cost
FROM range({n}) r(i), (SELECT ? AS reasons) l
"""

# The hand-written peer: the weekly failure share of the same rules, in one query, with
# the same tie-break (touchpoint id) as the one definition.
HAND_WRITTEN = """
WITH w AS (
  SELECT started_at, need_id, resolved, lower(trim(reason)) AS r,
         lag(started_at) OVER (PARTITION BY need_id ORDER BY started_at, touchpoint_id) AS pn_at,
         lag(started_at) OVER (PARTITION BY client_id, lower(trim(reason))
                               ORDER BY started_at, touchpoint_id) AS pr_at,
         lag(resolved) OVER (PARTITION BY client_id, lower(trim(reason))
                             ORDER BY started_at, touchpoint_id) AS pr_res
  FROM touchpoints
), c AS (
  SELECT started_at, coalesce(regexp_matches(r, ?) OR regexp_matches(r, ?)
     OR (need_id IS NOT NULL AND pn_at IS NOT NULL)
     OR (need_id IS NULL AND r IS NOT NULL AND pr_at >= started_at - INTERVAL 30 DAY
         AND NOT coalesce(pr_res, false)), false) AS failure
  FROM w
)
SELECT CAST(date_trunc('week', started_at) AS DATE) AS week, avg(failure::INT) AS share
FROM c GROUP BY 1 ORDER BY 1
"""

FLOOR = (
    "CREATE OR REPLACE TEMP TABLE df_floor AS "
    "SELECT need_id, started_at, touchpoint_id FROM touchpoints ORDER BY 1, 2, 3"
)
RULES = DemandRules(
    repeat_window_days=30,
    progress_chasing=["where is my", "chasing"],
    error_correction=["wrong amount", "mistake"],
)


def _patterns() -> list[str]:
    from decisionframe.demand.classify import classification_params

    return classification_params(RULES)


def generated(n: int, *, seed: int = 1) -> Path:
    """A DuckDB file with ``n`` synthetic touchpoints (cached)."""
    path = DATA / f"scale-{n}-{seed}.duckdb"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with DuckDBStore(path.with_suffix(".tmp")) as store:
            store.execute(
                GENERATE.format(
                    seed=seed,
                    n=n,
                    clients=max(1, int(n / 2.63)),
                    needs=max(1, int(n / 4)),
                    n_reasons=len(REASONS),
                ),
                [REASONS],
            )
        path.with_suffix(".tmp").rename(path)
        print(f"  generated {n:,} touchpoints in {time.perf_counter() - started:.1f} s")
    return path


def _weekly_of(store: Store) -> pd.Series:
    classify_demand(store, RULES, learn_from_labels=False)
    build_cube(store)
    weekly = share_series(store, "week")
    overall = weekly[weekly["unit"].isna()]
    return pd.Series(
        overall["value"].astype(float).to_numpy(), index=pd.to_datetime(overall["period"])
    )


def _polars(parquet: Path) -> pd.Series:
    import polars as pl

    chase, error = _patterns()
    t = (
        pl.scan_parquet(parquet)
        .select("touchpoint_id", "client_id", "started_at", "reason", "need_id", "resolved")
        .with_columns(r=pl.col("reason").str.strip_chars().str.to_lowercase())
        .sort("started_at", "touchpoint_id")
    )
    t = t.with_columns(
        pn_at=pl.col("started_at").shift(1).over("need_id"),
        pr_at=pl.col("started_at").shift(1).over(["client_id", "r"]),
        pr_res=pl.col("resolved").shift(1).over(["client_id", "r"]),
    )
    failure = (
        pl.col("r").str.contains(chase).fill_null(False)
        | pl.col("r").str.contains(error).fill_null(False)
        | (pl.col("need_id").is_not_null() & pl.col("pn_at").is_not_null())
        | (
            pl.col("need_id").is_null()
            & pl.col("r").is_not_null()
            & (pl.col("pr_at") >= pl.col("started_at") - pl.duration(days=30)).fill_null(False)
            & ~pl.col("pr_res").fill_null(False)
        )
    )
    weekly = (
        t.with_columns(
            failure=failure.cast(pl.Float64), week=pl.col("started_at").dt.truncate("1w")
        )
        .group_by("week")
        .agg(share=pl.col("failure").mean())
        .sort("week")
        .collect()
    )
    return pd.Series(weekly["share"].to_numpy(), index=pd.to_datetime(weekly["week"].to_numpy()))


def _timed(label: str, run: Callable[[], pd.Series], answers: dict[str, pd.Series]) -> float:
    started = time.perf_counter()
    answers[label] = run()
    seconds = time.perf_counter() - started
    print(f"  {label:<34} {seconds:8.2f} s", flush=True)
    return seconds


def run(n: int, engines: list[str], pg_dsn: str | None) -> dict[str, float]:
    path = generated(n)
    print(f"\ndemand on {n:,} touchpoints (load average {os.getloadavg()[0]:.1f})", flush=True)
    times: dict[str, float] = {}
    answers: dict[str, pd.Series] = {}
    parquet_dir = DATA / f"scale-{n}-parquet"
    with DuckDBStore(path, read_only=True) as duck:
        started = time.perf_counter()
        duck.execute(FLOOR)
        times["floor (one sort of need keys)"] = time.perf_counter() - started
        duck.execute("DROP TABLE df_floor")
        floor = times["floor (one sort of need keys)"]
        print(f"  {'floor (one sort of need keys)':<34} {floor:8.2f} s")
        times["decisionframe on DuckDB"] = _timed(
            "decisionframe on DuckDB", lambda: _weekly_of(duck), answers
        )

        def hand() -> pd.Series:
            rows = duck.rows(HAND_WRITTEN, _patterns())
            return pd.Series([s for _, s in rows], index=pd.to_datetime([w for w, _ in rows]))

        times["hand-written DuckDB query"] = _timed("hand-written DuckDB query", hand, answers)
        if not (parquet_dir / "touchpoints.parquet").exists():
            parquet_dir.mkdir(parents=True, exist_ok=True)
            duck.execute(
                f"COPY touchpoints TO '{parquet_dir / 'touchpoints.parquet'}' (FORMAT parquet)"
            )
        if "polars" in engines:
            parquet = parquet_dir / "touchpoints.parquet"
            times["Polars (lazy, from Parquet)"] = _timed(
                "Polars (lazy, from Parquet)", lambda: _polars(parquet), answers
            )
        if "postgres" in engines and pg_dsn:
            times["decisionframe on PostgreSQL"] = _postgres(n, duck, pg_dsn, answers)
    if "spark" in engines:
        times["decisionframe on Spark local[2]"] = _spark(parquet_dir, answers)
    aligned = pd.DataFrame(answers)
    gap = float((aligned.max(axis=1) - aligned.min(axis=1)).max())
    ok = not aligned.isna().any().any() and gap < 1e-9
    print(
        f"  weekly shares agree across all: largest gap {gap:.2g}" + ("" if ok else "  <-- DIFFER")
    )
    base = times["floor (one sort of need keys)"]
    duck_time = times["decisionframe on DuckDB"]
    print("  ratios: vs floor | vs decisionframe on DuckDB")
    for label, seconds in times.items():
        print(f"    {label:<34} {seconds / base:7.2f}x {seconds / duck_time:7.2f}x")
    return times


def _postgres(n: int, duck: DuckDBStore, dsn: str, answers: dict[str, pd.Series]) -> float:
    import psycopg
    from psycopg import sql

    from decisionframe.store.postgres_store import PostgresStore, pg_type

    name = f"df_bench_scale_{n}"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(dsn, dbname=name)
    try:
        started = time.perf_counter()
        csv = DATA / f"scale-{n}.csv"
        duck.execute(f"COPY touchpoints TO '{csv}' (FORMAT csv, HEADER false)")
        with PostgresStore(url) as store:
            with store.transaction():
                columns = [(c, pg_type(t)) for c, t in duck.table_columns("touchpoints")]
                store.replace_table("touchpoints", columns, csv)
            store.execute("ANALYZE touchpoints")
            csv.unlink()
            print(f"  (PostgreSQL load, COPY, not timed: {time.perf_counter() - started:.1f} s)")
            return _timed("decisionframe on PostgreSQL", lambda: _weekly_of(store), answers)
    finally:
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _spark(parquet_dir: Path, answers: dict[str, pd.Series]) -> float:
    from decisionframe.store.spark_store import SparkStore, spark_session

    started = time.perf_counter()
    session = spark_session("local[2]", shuffle_partitions=8)
    print(f"  (Spark session start, not timed: {time.perf_counter() - started:.1f} s)")
    with SparkStore.over_parquet(
        session, {"touchpoints": parquet_dir / "touchpoints.parquet"}
    ) as store:
        return _timed("decisionframe on Spark local[2]", lambda: _weekly_of(store), answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--touchpoints", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--engines",
        nargs="+",
        default=["polars", "postgres", "spark"],
        help="peers and engines beside DuckDB (always run) and the floor",
    )
    args = parser.parse_args()
    dsn = os.environ.get("DECISIONFRAME_TEST_POSTGRES")
    results = {n: run(n, args.engines, dsn) for n in args.touchpoints}
    if len(results) > 1:
        first, last = min(results), max(results)
        print(f"\ngrowth {first:,} -> {last:,} touchpoints ({last / first:.0f}x the rows):")
        for label in results[last]:
            if label in results[first]:
                print(f"  {label:<34} {results[last][label] / results[first][label]:6.1f}x")


if __name__ == "__main__":
    main()
