"""Import speed: decisionframe import vs bare DuckDB read_csv vs pandas read_csv + to_sql.

All three load the same clients and touchpoints CSVs. decisionframe also validates every
cell, checks keys and references, pseudonymizes identifiers and records provenance.
Target: no slower than 2x bare DuckDB.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from bench.common import print_ratios, simulated, timed
from decisionframe.project import Project

CONFIG = """name: bench
sources:
  clients: {path: data/clients.csv}
  touchpoints: {path: data/contacts.csv, columns: {started_at: contact_time}}
"""


def run(n_touchpoints: int) -> dict[str, float]:
    source = simulated(n_touchpoints)
    data = source / "data"
    rows = sum(1 for _ in (data / "contacts.csv").open()) - 1
    print(f"\nimport of {rows:,} touchpoints + clients from CSV")
    work = Path(tempfile.mkdtemp(prefix="df-bench-"))
    try:
        times = {}

        def ours() -> None:
            project_dir = work / "ours"
            shutil.rmtree(project_dir, ignore_errors=True)
            (project_dir / "data").mkdir(parents=True)
            for name in ("clients.csv", "contacts.csv"):
                (project_dir / "data" / name).symlink_to(data / name)
            (project_dir / "decisionframe.yaml").write_text(CONFIG)
            Project(project_dir).import_data()

        def bare_duckdb() -> None:
            path = work / "bare.duckdb"
            path.unlink(missing_ok=True)
            con = duckdb.connect(str(path))
            con.execute(f"CREATE TABLE clients AS SELECT * FROM read_csv('{data}/clients.csv')")
            con.execute(
                f"CREATE TABLE touchpoints AS SELECT * FROM read_csv('{data}/contacts.csv')"
            )
            con.close()

        def pandas_to_sql() -> None:
            path = work / "pandas.sqlite"
            path.unlink(missing_ok=True)
            con = sqlite3.connect(path)
            for name in ("clients", "contacts"):
                frame = pd.read_csv(data / f"{name}.csv")
                frame.to_sql(name, con, index=False, chunksize=100_000)
            con.close()

        times["decisionframe import (validated)"] = timed("decisionframe import", ours, repeat=2)
        times["bare DuckDB read_csv"] = timed(
            "bare DuckDB read_csv -> table", bare_duckdb, repeat=2
        )
        times["pandas read_csv + to_sql"] = timed(
            "pandas read_csv + to_sql (sqlite)", pandas_to_sql
        )
        print_ratios("bare DuckDB read_csv", times)
        ratio = times["decisionframe import (validated)"] / times["bare DuckDB read_csv"]
        verdict = "meets" if ratio <= 2 else "MISSES"
        print(f"  target <= 2x bare DuckDB: {verdict} ({ratio:.2f}x)")
        return times
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--touchpoints", type=int, default=5_000_000)
    run(parser.parse_args().touchpoints)


if __name__ == "__main__":
    main()
