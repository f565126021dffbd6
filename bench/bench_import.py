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

from bench.common import bare_duckdb_load, print_ratios, simulated, timed
from decisionframe.project import Project

CONFIG = """name: bench
sources:
  clients: {path: data/clients.csv}
  touchpoints: {path: data/contacts.csv, columns: {started_at: contact_time}}
"""
# The same touchpoints with contact times written day first (31/03/2025 14:05:00).
CONFIG_DMY = """name: bench
sources:
  clients: {path: data/clients.csv}
  touchpoints: {path: data/contacts.csv, date_format: '%d/%m/%Y %H:%M:%S',
                columns: {started_at: contact_time}}
"""
# The touchpoints split into two monthly-style files read as one table.
CONFIG_TWO = """name: bench
sources:
  clients: {path: data/clients.csv}
  touchpoints: {path: data/contacts_*.csv, columns: {started_at: contact_time}}
"""


def _variant(data: Path, work: Path, kind: str) -> tuple[Path, list[str]]:
    """A data folder for ``kind`` (iso, dmy, two) and the contacts files bare DuckDB reads."""
    if kind == "iso":
        return data, [str(data / "contacts.csv")]
    folder = work / f"data-{kind}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "clients.csv").unlink(missing_ok=True)
    (folder / "clients.csv").symlink_to(data / "clients.csv")
    con = duckdb.connect()
    source = str(data / "contacts.csv")
    if kind == "dmy":
        target = folder / "contacts.csv"
        con.execute(
            "COPY (SELECT * REPLACE (strftime(contact_time, '%d/%m/%Y %H:%M:%S') AS "
            "contact_time) FROM read_csv(?)) TO '" + str(target) + "' (HEADER)",
            [source],
        )
        return folder, [str(target)]
    targets = [folder / "contacts_1.csv", folder / "contacts_2.csv"]
    for index, target in enumerate(targets):
        con.execute(
            "COPY (SELECT * FROM read_csv(?) WHERE hash(touchpoint_id) % 2 = "
            f"{index}) TO '{target}' (HEADER)",
            [source],
        )
    return folder, [str(t) for t in targets]


def run(n_touchpoints: int, kinds: tuple[str, ...] = ("iso", "dmy", "two")) -> dict[str, float]:
    source = simulated(n_touchpoints)
    data = source / "data"
    rows = sum(1 for _ in (data / "contacts.csv").open()) - 1
    print(f"\nimport of {rows:,} touchpoints + clients from CSV")
    work = Path(tempfile.mkdtemp(prefix="df-bench-"))
    configs = {"iso": CONFIG, "dmy": CONFIG_DMY, "two": CONFIG_TWO}
    labels = {"iso": "ISO dates", "dmy": "dd/mm/yyyy dates", "two": "two files"}
    try:
        times: dict[str, float] = {}
        for kind in kinds:
            folder, contacts = _variant(data, work, kind)
            print(f" {labels[kind]}:")
            times.update(_run_one(folder, contacts, configs[kind], work, kind))
        return times
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_one(
    data: Path, contacts: list[str], config: str, work: Path, kind: str
) -> dict[str, float]:
    times = {}

    def ours() -> None:
        project_dir = work / "ours"
        shutil.rmtree(project_dir, ignore_errors=True)
        (project_dir / "data").mkdir(parents=True)
        for path in data.glob("*.csv"):
            (project_dir / "data" / path.name).symlink_to(path.resolve())
        (project_dir / "decisionframe.yaml").write_text(config)
        Project(project_dir).import_data()

    def bare_duckdb() -> None:
        bare_duckdb_load(
            work / "bare.duckdb", {"clients": str(data / "clients.csv"), "touchpoints": contacts}
        )

    def pandas_to_sql() -> None:
        path = work / "pandas.sqlite"
        path.unlink(missing_ok=True)
        con = sqlite3.connect(path)
        frame = pd.read_csv(data / "clients.csv")
        frame.to_sql("clients", con, index=False, chunksize=100_000)
        for name in contacts:
            pd.read_csv(name).to_sql(
                "contacts", con, index=False, chunksize=100_000, if_exists="append"
            )
        con.close()

    ours_label = f"decisionframe import ({kind})"
    bare_label = f"bare DuckDB read_csv ({kind})"
    times[ours_label] = timed(ours_label, ours, repeat=2)
    times[bare_label] = timed(bare_label, bare_duckdb, repeat=2)
    if kind == "iso":
        times["pandas read_csv + to_sql"] = timed(
            "pandas read_csv + to_sql (sqlite)", pandas_to_sql
        )
    print_ratios(bare_label, times)
    ratio = times[ours_label] / times[bare_label]
    verdict = "meets" if ratio <= 2 else "MISSES"
    print(f"  target <= 2x bare DuckDB ({kind}): {verdict} ({ratio:.2f}x)")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--touchpoints", type=int, default=5_000_000)
    parser.add_argument("--only", choices=["iso", "dmy", "two"], action="append")
    args = parser.parse_args()
    run(args.touchpoints, tuple(args.only) if args.only else ("iso", "dmy", "two"))


if __name__ == "__main__":
    main()
