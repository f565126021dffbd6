"""Fuzz the CSV and YAML readers for longer than the tests do (issue #13).

    python -m bench.bench_fuzz [--seconds 60]

Runs the same targets as tests/fuzz (any bytes give a result or a located decisionframe
error, never another exception) under hypothesis for the given time per reader, and prints
how many inputs each tried.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from tests.fuzz.readers import fuzz_csv, fuzz_yaml
from tests.fuzz.test_fuzz_readers import csv_bytes, yaml_bytes


def _run(name: str, seconds: float) -> int:
    tried = 0
    deadline = time.monotonic() + seconds
    strategy = csv_bytes if name == "csv" else yaml_bytes

    @settings(
        max_examples=50,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=strategy)
    def target(data: bytes) -> None:
        nonlocal tried
        if time.monotonic() > deadline:
            return
        tried += 1
        if name == "csv":
            with tempfile.TemporaryDirectory() as folder:
                fuzz_csv(data, Path(folder))
        else:
            fuzz_yaml(data)

    while time.monotonic() < deadline:
        target()
    return tried


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="per reader")
    args = parser.parse_args()
    for name in ("csv", "yaml"):
        started = time.monotonic()
        tried = _run(name, args.seconds)
        print(
            f"{name}: {tried:,} inputs in {time.monotonic() - started:.0f} s, no unexpected error"
        )


if __name__ == "__main__":
    main()
