"""Wide files: decisionframe import vs bare DuckDB read_csv of one file with many columns.

A clients export with 1,000 (then 3,000) extra columns of mixed types (whole numbers,
decimals, yes/no, dates, text) and 300 rows. decisionframe also infers every extra
column's type, validates every cell and records every column (issue #13 item 9: one query
holding every column's checks took 485 s for 1,000 columns; chunked, about 4 s). Cost must
grow linearly with the columns: the ratio between the sizes is printed beside the bare one.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import tempfile
from pathlib import Path

from bench.common import bare_duckdb_load, print_ratios, timed
from decisionframe.project import Project

KINDS = ("int", "float", "bool", "date", "text")


def write_wide(folder: Path, columns: int, rows: int, *, seed: int = 1) -> Path:
    """A project folder whose clients.csv has client_id and ``columns`` extra columns."""
    rng = random.Random(seed)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    header = ["client_id", *(f"Extra {i} ({KINDS[i % 5]})" for i in range(columns))]

    def value(kind: str) -> str:
        if kind == "int":
            return str(rng.randint(-50, 500))
        if kind == "float":
            return f"{rng.random() * 100:.3f}"
        if kind == "bool":
            return rng.choice(("yes", "no", "Yes", "NO"))
        if kind == "date":
            return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return rng.choice(("alpha", "beta", "gamma")) + str(rng.randint(0, 9))

    with (folder / "data" / "clients.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in range(rows):
            writer.writerow([f"C{row:05d}", *(value(KINDS[i % 5]) for i in range(columns))])
    (folder / "decisionframe.yaml").write_text(
        "name: bench-wide\nsources:\n  clients: {path: data/clients.csv}\n"
    )
    return folder


def _run_one(work: Path, columns: int, rows: int) -> dict[str, float]:
    folder = write_wide(work / f"wide-{columns}", columns, rows)
    print(f" {columns:,} extra columns x {rows:,} rows:")

    def ours() -> None:
        shutil.rmtree(folder / ".decisionframe", ignore_errors=True)
        Project(folder).import_data()

    def bare_duckdb() -> None:
        bare_duckdb_load(work / "bare.duckdb", {"clients": str(folder / "data" / "clients.csv")})

    ours_label = f"decisionframe import ({columns:,} columns)"
    bare_label = f"bare DuckDB read_csv ({columns:,} columns)"
    times = {
        ours_label: timed(ours_label, ours),
        bare_label: timed(bare_label, bare_duckdb),
    }
    print_ratios(bare_label, times)
    return times


def run(sizes: tuple[int, ...] = (1_000, 3_000), rows: int = 300) -> dict[str, float]:
    print(f"\nimport of a wide clients file ({', '.join(f'{s:,}' for s in sizes)} columns)")
    work = Path(tempfile.mkdtemp(prefix="df-bench-wide-"))
    try:
        times: dict[str, float] = {}
        for columns in sizes:
            times.update(_run_one(work, columns, rows))
        if len(sizes) > 1:
            small, large = sizes[0], sizes[-1]
            ours = (
                times[f"decisionframe import ({large:,} columns)"]
                / times[f"decisionframe import ({small:,} columns)"]
            )
            bare = (
                times[f"bare DuckDB read_csv ({large:,} columns)"]
                / times[f"bare DuckDB read_csv ({small:,} columns)"]
            )
            print(
                f"  {large / small:.0f}x the columns: decisionframe {ours:.1f}x the time, "
                f"bare DuckDB {bare:.1f}x (linear would be {large / small:.0f}x)"
            )
        return times
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--columns", type=int, action="append", help="default: 1000 and 3000")
    parser.add_argument("--rows", type=int, default=300)
    args = parser.parse_args()
    run(tuple(args.columns) if args.columns else (1_000, 3_000), args.rows)


if __name__ == "__main__":
    main()
