"""HMIS preset import speed: a generated FY2024 CSV export of N clients (default 50,000).

The export comes from the test suite's generator (tests/ingest/preset_exports.py, written
from HUD's specification): Client, Enrollment, Services (1-3 per client), Exit, Project
and Export files. The import reads only the columns the preset names, bands dates of
birth on ExportEndDate, looks up projects, checks every HUD code (RecordType with
TypeProvided too), pseudonymizes PersonalID and loads three tables. Wall time on this
shared machine swings with the load, so CPU time and the load average are printed too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from tests.ingest.preset_exports import write_hmis_export

from decisionframe.project import Project


def run(clients: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="df-bench-hmis-") as scratch:
        root = Path(scratch)
        export = write_hmis_export(root / "data" / "hmis", clients=clients, deleted=clients // 1000)
        (root / "decisionframe.yaml").write_text(
            "name: bench\nsources: {preset: hmis, path: data/hmis/}\n", "utf-8"
        )
        print(f"HMIS export: {export.clients:,} clients, {export.services:,} services")
        for attempt in range(repeat):
            shutil.rmtree(root / ".decisionframe", ignore_errors=True)
            wall, cpu = time.perf_counter(), time.process_time()
            result = Project(root).import_data()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rows = ", ".join(f"{t.table} {t.rows:,}" for t in result.tables)
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"  run {attempt + 1}: {wall:6.1f} s wall, {cpu:6.1f} s CPU ({rows}; load {load})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run(args.clients, args.repeat)


if __name__ == "__main__":
    main()
