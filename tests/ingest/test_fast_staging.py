"""Fast staging (typed, unordered reads) must load exactly what exact staging loads.

The importer stages fast first and falls back to exact, line-locating staging when
anything is wrong; these tests hold the two paths to the same results.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from decisionframe.errors import ImportValidationError
from decisionframe.ingest import load, stage
from decisionframe.project import Project

KEYS = {"clients": "client_id", "touchpoints": "touchpoint_id", "outcomes": "client_id"}


def _tables(directory: Path) -> dict[str, pd.DataFrame]:
    with Project(directory).open_store(read_only=True) as store:
        return {
            table: store.frame(f"SELECT * FROM {table} ORDER BY ALL").reset_index(drop=True)
            for table in KEYS
        }


def _force_exact(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Make every staging exact; return the list of modes staging was asked for."""
    modes: list[bool] = []
    original = load._stage_and_validate

    def exact_only(*args: Any, exact: bool) -> Any:
        modes.append(exact)
        return original(*args, exact=True)

    monkeypatch.setattr(load, "_stage_and_validate", exact_only)
    return modes


def _record_modes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    modes: list[bool] = []
    original = load._stage_and_validate

    def recording(*args: Any, exact: bool) -> Any:
        modes.append(exact)
        return original(*args, exact=exact)

    monkeypatch.setattr(load, "_stage_and_validate", recording)
    return modes


def _edit_column(path: Path, column: str, edit: Any) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for index, row in enumerate(rows):
        row[column] = edit(index, row[column])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_fast_and_exact_staging_load_identical_tables(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    twin = tmp_path / "twin"
    shutil.copytree(project_dir, twin)
    modes = _record_modes(monkeypatch)
    Project(project_dir).import_data()
    assert modes == [False]  # a clean simulated folder never needs the exact pass
    monkeypatch.undo()
    _force_exact(monkeypatch)
    key = (project_dir / ".decisionframe" / "key").read_text(encoding="ascii")
    (twin / ".decisionframe").mkdir(exist_ok=True)
    (twin / ".decisionframe" / "key").write_text(key, encoding="ascii")
    (twin / ".decisionframe" / "key").chmod(0o600)
    Project(twin).import_data()
    fast, exact = _tables(project_dir), _tables(twin)
    for table in KEYS:
        pd.testing.assert_frame_equal(fast[table], exact[table])


def test_other_timestamp_layouts_are_read_as_text_and_still_load(project_dir: Path) -> None:
    contacts = project_dir / "data" / "contacts.csv"
    _edit_column(contacts, "contact_time", lambda _i, v: v.replace(" ", "T") + ".250")
    Project(project_dir).import_data()
    with Project(project_dir).open_store(read_only=True) as store:
        fractions = store.rows("SELECT count(*) FROM touchpoints WHERE microsecond(started_at) = 0")
    assert fractions[0][0] == 0  # every value kept its fractional seconds


def test_a_bad_value_the_sample_did_not_see_is_located(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stage, "INFERENCE_SAMPLE_ROWS", 5)
    modes = _record_modes(monkeypatch)
    contacts = project_dir / "data" / "contacts.csv"
    _edit_column(contacts, "contact_time", lambda i, v: "31/12/2025 10:00" if i == 40 else v)
    _edit_column(contacts, "cost", lambda i, v: "12,50" if i == 41 else v)
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    assert modes == [False, True]
    found = {(p.line, p.column, p.rule) for p in info.value.problems}
    assert found == {(42, "contact_time", "not-a-timestamp"), (43, "cost", "not-a-float")}


def test_padded_identifiers_are_trimmed_consistently(project_dir: Path) -> None:
    contacts = project_dir / "data" / "contacts.csv"
    _edit_column(contacts, "client_id", lambda i, v: f"  {v} " if i % 3 == 0 else v)
    _edit_column(contacts, "unit", lambda i, v: f"{v}  " if i % 2 == 0 else v)
    Project(project_dir).import_data()  # padded client ids are not orphans
    with Project(project_dir).open_store(read_only=True) as store:
        orphans = store.rows(
            "SELECT count(*) FROM touchpoints t ANTI JOIN clients c USING (client_id)"
        )[0][0]
        padded_units = store.rows("SELECT count(*) FROM touchpoints WHERE unit <> trim(unit)")
    assert orphans == 0
    assert padded_units[0][0] == 0
