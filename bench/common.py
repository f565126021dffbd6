"""Helpers shared by the benchmarks: cached simulated data and side-by-side timing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from decisionframe.simulate import simulate_project

DATA = Path(__file__).resolve().parent / ".data"
TOUCHPOINTS_PER_CLIENT = 2.63  # what the simulator exports on average


def simulated(n_touchpoints: int, *, seed: int = 1) -> Path:
    """A simulated project with about ``n_touchpoints`` touchpoints (cached on disk)."""
    n_clients = int(n_touchpoints / TOUCHPOINTS_PER_CLIENT)
    folder = DATA / f"org-{n_clients}-{seed}"
    if not (folder / "truth.json").exists():
        print(f"simulating {n_clients:,} clients into {folder} (cached for next time)...")
        simulate_project(folder, n_clients=n_clients, seed=seed, overwrite=True)
    return folder


def timed(label: str, run: Callable[[], object], *, repeat: int = 1) -> float:
    """Best wall time of ``repeat`` runs, printed (this VM's timings vary by 30%)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<48} {best:8.2f} s")
    return best


def bare_duckdb_load(path: Path, tables: dict[str, str | list[str]]) -> None:
    """The baseline an import is timed against: DuckDB reading the same CSV files (one or a
    list per table) into a fresh database file, with no checks, pseudonyms or quarantine."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        for table, files in tables.items():
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv(?)", [files])
    finally:
        con.close()


def print_ratios(baseline_label: str, times: dict[str, float]) -> None:
    base = times[baseline_label]
    print(f"  ratios (vs {baseline_label}):")
    for label, seconds in times.items():
        print(f"    {label:<46} {seconds / base:6.2f}x")
