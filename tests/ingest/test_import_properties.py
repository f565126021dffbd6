"""Hypothesis plants random defects in generated CSVs; the report must list exactly them."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from decisionframe.errors import ImportValidationError
from decisionframe.project import Project
from tests.conftest import assert_same_store, store_snapshot

N_ROWS = 30
CONFIG = """name: Generated
sources:
  clients: {path: data/clients.csv}
  touchpoints: {path: data/touchpoints.csv}
"""
# defect name -> (column, value to write, rule reported)
DEFECTS = {
    "bad_timestamp": ("started_at", "2025-14-01 09:00:00", "not-a-timestamp"),
    "not_a_time": ("started_at", "yesterday", "not-a-timestamp"),
    "unknown_channel": ("channel", "pigeon", "unknown-channel"),
    "orphan": ("client_id", "CX-unknown-77", "orphan-reference"),
    "missing_client": ("client_id", "", "required-value-missing"),
    "negative_wait": ("wait_minutes", "-3", "negative-value"),
    "text_wait": ("wait_minutes", "ten", "not-a-float"),
    "duplicate": ("touchpoint_id", "TP-0", "duplicate-key"),
    "bad_bool": ("resolved", "perhaps", "not-a-bool"),
}


def _write_project(root: Path, defects: dict[int, str]) -> None:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "decisionframe.yaml").write_text(CONFIG, encoding="utf-8")
    with (root / "data" / "clients.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["client_id", "enrolled_on", "age"])
        for i in range(10):
            writer.writerow([f"CL-{i}", "2025-01-0" + str(1 + i % 9), 30 + i])
    header = ["touchpoint_id", "client_id", "started_at", "channel", "wait_minutes", "resolved"]
    with (root / "data" / "touchpoints.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(N_ROWS):
            row = {
                "touchpoint_id": f"TP-{i}",
                "client_id": f"CL-{i % 10}",
                "started_at": f"2025-02-{1 + i % 28:02d} 10:{i % 60:02d}:00",
                "channel": ["phone", "web", "in_person"][i % 3],
                "wait_minutes": str(i % 17),
                "resolved": ["true", "false", "yes", "0"][i % 4],
            }
            if i in defects:
                column, value, _ = DEFECTS[defects[i]]
                row[column] = value
            writer.writerow([row[h] for h in header])


@settings(max_examples=12, deadline=None)
@given(
    defects=st.dictionaries(
        keys=st.integers(min_value=1, max_value=N_ROWS - 1),
        values=st.sampled_from(sorted(DEFECTS)),
        max_size=8,
    )
)
def test_reported_problems_are_exactly_the_planted_ones(defects: dict[int, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _write_project(root, {})
        Project(root).import_data()
        before = store_snapshot(root)
        _write_project(root, defects)
        expected = {(i + 2, DEFECTS[name][0], DEFECTS[name][2]) for i, name in defects.items()}
        if not defects:
            assert Project(root).import_data().unchanged
            return
        try:
            Project(root).import_data()
        except ImportValidationError as error:
            found = {(n, p.column, p.rule) for p in error.problems for n in p.lines or [p.line]}
            text = str(error)
        else:
            raise AssertionError("import accepted planted defects")
        assert found == expected
        for planted in ("CX-unknown-77", "CL-", "TP-"):
            assert planted not in text
        assert_same_store(before, store_snapshot(root))
