"""Import: every planted defect is reported exactly, located, and nothing is loaded."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from decisionframe.errors import ImportValidationError
from decisionframe.project import Project
from tests.conftest import assert_same_store, store_snapshot


def _rewrite(path: Path, edit: dict[int, dict[str, str]]) -> list[dict[str, str]]:
    """Edit data rows of a CSV: ``edit`` maps 0-based data row -> column -> new value."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    for index, changes in edit.items():
        rows[index].update(changes)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def test_import_loads_every_row_and_status_matches(project_dir: Path) -> None:
    project = Project(project_dir)
    result = project.import_data()
    status = {t.table: t.rows for t in project.status().tables}
    for table in result.tables:
        with (project_dir / table.source_path).open(encoding="utf-8") as handle:
            data_rows = sum(1 for _ in csv.reader(handle)) - 1
        assert table.rows == data_rows == status[table.table]


def test_planted_defects_are_exactly_the_reported_ones(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    before = store_snapshot(project_dir)
    contacts = project_dir / "data" / "contacts.csv"
    rows = _rewrite(
        contacts,
        {
            3: {"contact_time": "2025-02-30 10:00:00"},
            5: {"channel": "fax"},
            8: {"client_id": "C999999"},
            9: {"touchpoint_id": "__dup__"},
            12: {"wait_minutes": "-4"},
            15: {"client_id": ""},
            20: {"resolved": "maybe"},
        },
    )
    _rewrite(contacts, {9: {"touchpoint_id": rows[1]["touchpoint_id"]}})
    with pytest.raises(ImportValidationError) as info:
        project.import_data()
    found = {
        (p.file, n, p.column, p.rule) for p in info.value.problems for n in p.lines or [p.line]
    }
    file = "data/contacts.csv"
    assert found == {
        (file, 5, "contact_time", "not-a-timestamp"),
        (file, 7, "channel", "unknown-channel"),
        (file, 10, "client_id", "orphan-reference"),
        (file, 11, "touchpoint_id", "duplicate-key"),
        (file, 14, "wait_minutes", "negative-value"),
        (file, 17, "client_id", "required-value-missing"),
        (file, 22, "resolved", "not-a-bool"),
    }
    duplicate = next(p for p in info.value.problems if p.rule == "duplicate-key")
    assert "line 3" in duplicate.message
    assert all(p.hint for p in info.value.problems)
    text = str(info.value)
    for identifier in ("C999999", rows[1]["touchpoint_id"], rows[1]["client_id"]):
        assert identifier not in text
    assert_same_store(before, store_snapshot(project_dir))


def test_malformed_lines_are_located(project_dir: Path) -> None:
    path = project_dir / "data" / "clients.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4] + ",extra"
    lines[6] = ",".join(lines[6].split(",")[:3])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    found = {(p.file, n, p.rule) for p in info.value.problems for n in p.lines or [p.line]}
    clients = "data/clients.csv"  # and nothing in the other files, read after it
    assert found == {(clients, 5, "too-many-fields"), (clients, 7, "too-few-fields")}
    assert not Project(project_dir).status().tables


def test_missing_required_column_and_bad_mapping(project_dir: Path) -> None:
    config = project_dir / "decisionframe.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("started_at: contact_time", "started_at: when"),
        encoding="utf-8",
    )
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    rules = {(p.rule, p.column) for p in info.value.problems}
    assert ("mapped-column-missing", "when") in rules
    assert ("missing-column", "started_at") in rules


def test_reimport_of_unchanged_files_changes_nothing(project_dir: Path) -> None:
    project = Project(project_dir)
    first = project.import_data()
    before = store_snapshot(project_dir)
    second = project.import_data()
    assert not first.unchanged
    assert second.unchanged
    assert_same_store(before, store_snapshot(project_dir))


def test_changed_file_is_reimported_with_a_new_batch(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    path = project_dir / "data" / "costs.csv"
    path.write_text(path.read_text(encoding="utf-8") + "premium,1200,100\n", encoding="utf-8")
    result = project.import_data()
    assert not result.unchanged
    assert {t.table: t.rows for t in result.tables}["costs"] == 3


def test_a_source_removed_from_the_config_takes_its_table_with_it(project_dir: Path) -> None:
    """Old costs must not keep deciding after costs.csv left decisionframe.yaml."""
    project = Project(project_dir)
    project.import_data()
    config = project_dir / "decisionframe.yaml"
    lines = config.read_text("utf-8").splitlines(keepends=True)
    config.write_text("".join(x for x in lines if not x.startswith("  costs:")), "utf-8")
    result = Project(project_dir).import_data()
    assert result.removed_tables == ("costs",)
    assert any("table costs removed" in note for note in result.notes)
    with Project(project_dir).open_store(read_only=True) as store:
        assert not store.table_exists("costs")
        assert not store.rows("SELECT 1 FROM df_columns WHERE table_name = 'costs'")
        assert store.table_exists("clients")


def test_failure_mid_load_leaves_store_unchanged(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    before = store_snapshot(project_dir)
    path = project_dir / "data" / "costs.csv"
    path.write_text(path.read_text(encoding="utf-8") + "premium,1200,100\n", encoding="utf-8")

    def explode(table: str) -> None:
        if table == "outcomes":
            raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError, match="injected"):
        project.import_data(after_table=explode)
    assert_same_store(before, store_snapshot(project_dir))


def test_killed_process_mid_load_leaves_store_unchanged(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    before = store_snapshot(project_dir)
    path = project_dir / "data" / "costs.csv"
    path.write_text(path.read_text(encoding="utf-8") + "premium,1200,100\n", encoding="utf-8")
    script = (
        "import os, sys\n"
        "from decisionframe.project import Project\n"
        "def die(table):\n"
        "    if table == 'outcomes':\n"
        "        os._exit(9)\n"
        "Project(sys.argv[1]).import_data(after_table=die)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(project_dir)], check=False)
    assert done.returncode == 9
    assert_same_store(before, store_snapshot(project_dir))


def test_identifiers_are_pseudonymized_and_key_stays_out_of_store(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    raw_ids = (project_dir / "data" / "clients.csv").read_text(encoding="utf-8")
    first_id = raw_ids.splitlines()[1].split(",")[0].strip('"')
    key_hex = (project_dir / ".decisionframe" / "key").read_text(encoding="ascii").strip()
    with project.open_store(read_only=True) as store:
        ids = {r[0] for r in store.rows("SELECT client_id FROM clients")}
        dump = " ".join(str(r) for r in store.rows("SELECT * FROM df_imports"))
    assert first_id not in ids
    assert project.key().pseudonym(first_id) in ids
    assert key_hex not in dump
