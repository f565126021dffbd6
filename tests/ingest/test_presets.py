"""The hmis and zendesk presets, on exports generated from the public specifications.

HMIS's Client.csv carries names, SSNs and dates of birth: none of them, nor a raw
PersonalID, may appear in the store, in any output or in any error, also when a row is bad.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from decisionframe.cli import app
from decisionframe.config import ProjectConfig
from decisionframe.errors import ConfigError, ImportValidationError
from decisionframe.ingest.stage import band_labels
from decisionframe.presets import HMIS_AGE_BANDS
from decisionframe.project import Project
from tests.ingest.preset_exports import (
    HmisExport,
    write_hmis_export,
    write_zendesk_export,
)

HMIS_CONFIG = "name: Shelter network\nsources: {preset: hmis, path: data/hmis/}\n"
ZENDESK_CONFIG = "name: Helpdesk\nsources: {preset: zendesk, path: data/tickets.csv}\n"


def _hmis_project(root: Path, **kwargs: int) -> HmisExport:
    export = write_hmis_export(root / "data" / "hmis", **kwargs)
    (root / "decisionframe.yaml").write_text(HMIS_CONFIG, "utf-8")
    return export


def _store_text(root: Path) -> str:
    """Every byte the project wrote, as text (store file, logs, quarantine, scratch)."""
    chunks = []
    for path in (root / ".decisionframe").rglob("*"):
        if path.is_file():
            chunks.append(path.read_bytes().decode("latin-1"))
    return "\n".join(chunks)


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text]


def test_hmis_preset_imports_the_spec_export(tmp_path: Path) -> None:
    export = _hmis_project(tmp_path)
    result = Project(tmp_path).import_data()
    assert {t.table: t.rows for t in result.tables} == {
        "clients": export.clients,
        "touchpoints": export.services,
        "outcomes": export.exits,
    }
    notes = "\n".join(result.notes)
    assert "clients: 1 row left out (DateDeleted set)" in notes
    with Project(tmp_path).open_store(read_only=True) as store:
        client_columns = {c for c, _ in store.table_columns("clients")}
        housed = store.rows("SELECT sum(value), count(*), min(outcome), max(outcome) FROM outcomes")
        units = dict(store.rows("SELECT unit, min(project_type) FROM touchpoints GROUP BY 1"))
        bands = {r[0] for r in store.rows("SELECT DISTINCT age_band FROM clients")}
        first_entry = store.rows("SELECT min(enrolled_on) FROM clients")[0][0]
        channels = {r[0] for r in store.rows("SELECT DISTINCT channel FROM touchpoints")}
        needs = store.rows("SELECT count(DISTINCT need_id) FROM touchpoints")[0][0]
    # Only what the preset names: no name, SSN, date of birth or free-text column.
    assert not client_columns & {"first_name", "firstname", "ssn", "dob", "last_name"}
    assert {"client_id", "enrolled_on", "age_band", "veteran"} <= client_columns
    assert housed[0] == (export.housed, export.exits, "housed", "housed")
    assert units == {
        "P-ES": "es_night_by_night",
        "P-RRH": "rapid_rehousing",
        "P-PSH": "permanent_supportive_housing",
    }
    assert bands <= set(band_labels(HMIS_AGE_BANDS))
    assert first_entry == date(2024, 3, 1)
    assert channels == {"in_person"}
    assert needs == export.clients  # one enrollment each


def test_hmis_names_ssns_and_birth_dates_never_reach_store_or_outputs(tmp_path: Path) -> None:
    export = _hmis_project(tmp_path)
    runner = CliRunner()
    out = tmp_path / "import.json"
    shown = runner.invoke(app, ["import", str(tmp_path), "--json", str(out)])
    assert shown.exit_code == 0, shown.output
    status = runner.invoke(app, ["status", str(tmp_path)])
    outputs = shown.output + status.output + out.read_text("utf-8")
    assert _leaks(outputs, export.secrets) == []
    stored = _store_text(tmp_path)
    # First names are short and common words; the rest are specific to one person.
    specific = [s for s in export.secrets if any(ch.isdigit() for ch in s)]
    assert _leaks(stored, specific) == []


def test_a_bad_client_row_is_located_and_shows_no_value(tmp_path: Path) -> None:
    export = _hmis_project(tmp_path, clients=12)
    client = tmp_path / "data" / "hmis" / "Client.csv"
    lines = client.read_text("utf-8").splitlines()
    fields = lines[4].split(",")
    dob_at = lines[0].split(",").index("DOB")
    bad_dob = "1985-13-45"
    fields[dob_at] = bad_dob
    lines[4] = ",".join(fields)
    lines[6] += ",an extra field with Garcia's SSN 123456789"  # an unreadable line
    client.write_text("\r\n".join(lines) + "\r\n", "utf-8")
    runner = CliRunner()
    out = tmp_path / "refused.json"
    shown = runner.invoke(app, ["import", str(tmp_path), "--json", str(out)])
    assert shown.exit_code != 0
    report = out.read_text("utf-8")
    problems = json.loads(report)["problems"]
    by_rule = {p["rule"]: p for p in problems}
    assert "too-many-fields" in by_rule
    assert by_rule["too-many-fields"]["line"] == 7
    assert by_rule["too-many-fields"]["file"] == "data/hmis/Client.csv"
    assert by_rule["bad-date-of-birth"]["line"] == 5
    assert by_rule["bad-date-of-birth"]["column"] == "DOB"
    text = shown.output + report
    assert _leaks(text, [*export.secrets, bad_dob, "123456789"]) == []
    assert _leaks(_store_text(tmp_path), [bad_dob, "123456789"]) == []


def test_a_missing_file_or_column_of_the_export_is_named(tmp_path: Path) -> None:
    _hmis_project(tmp_path, clients=12)
    folder = tmp_path / "data" / "hmis"
    (folder / "Project.csv").unlink()
    services = folder / "Services.csv"
    services.write_text(services.read_text("utf-8").replace("DateProvided", "Date Given", 1))
    with pytest.raises(ImportValidationError) as info:
        Project(tmp_path).import_data()
    assert [(p.file, p.rule) for p in info.value.problems] == [
        ("data/hmis/Project.csv", "missing-file")
    ]
    write_hmis_export(folder, clients=12)
    services.write_text(services.read_text("utf-8").replace("DateProvided", "Date Given", 1))
    with pytest.raises(ImportValidationError) as info:
        Project(tmp_path).import_data()
    problem = info.value.problems[0]
    assert (problem.file, problem.rule, problem.line) == (
        "data/hmis/Services.csv",
        "mapped-column-missing",
        1,
    )
    assert "DateProvided" in problem.message
    assert any("Date Given" in p.hint for p in info.value.problems)


def test_zendesk_preset_maps_tickets_to_clients_touchpoints_and_needs(tmp_path: Path) -> None:
    export = write_zendesk_export(tmp_path / "data" / "tickets.csv")
    (tmp_path / "decisionframe.yaml").write_text(ZENDESK_CONFIG, "utf-8")
    runner = CliRunner()
    shown = runner.invoke(app, ["import", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    with Project(tmp_path).open_store(read_only=True) as store:
        counts = {
            t: store.rows(f"SELECT count(*) FROM {t}")[0][0] for t in ("clients", "touchpoints")
        }
        channels = dict(store.rows("SELECT channel, count(*) FROM touchpoints GROUP BY 1"))
        resolved = store.rows("SELECT count(*) FILTER (WHERE resolved) FROM touchpoints")[0][0]
        rated = dict(store.rows("SELECT satisfaction, count(*) FROM touchpoints GROUP BY 1"))
        columns = {c for c, _ in store.table_columns("touchpoints")}
        solved = store.rows("SELECT max(solved_at) FROM touchpoints")[0][0]
        needs = store.rows("SELECT count(DISTINCT need_id) FROM touchpoints")[0][0]
    assert counts == {"clients": export.requesters, "touchpoints": export.tickets}
    assert set(channels) == {"web", "email", "phone", "mobile", "social"}
    assert channels["web"] == 20  # web form and chat
    assert resolved == export.tickets // 2
    assert rated == {1: 15, 0: 15, None: 30}
    assert {"status", "solved_at", "satisfaction", "reopens"} <= columns
    assert not columns & {"requester", "requester_email", "subject", "submitter", "assignee"}
    assert solved.hour > 0  # a timestamp, not a date
    assert needs == export.tickets
    assert _leaks(shown.output + _store_text(tmp_path), export.secrets) == []


def test_an_unknown_preset_or_key_is_a_located_config_error(tmp_path: Path) -> None:
    (tmp_path / "decisionframe.yaml").write_text(
        "name: x\nsources: {preset: hmiss, path: data/}\n", "utf-8"
    )
    with pytest.raises(ConfigError) as info:
        Project(tmp_path).import_data()
    (problem,) = info.value.problems
    assert problem.line == 2
    assert "presets are: hmis, zendesk" in problem.message
    with pytest.raises(Exception, match="takes only preset, path"):
        ProjectConfig.model_validate(
            {"name": "x", "sources": {"preset": "zendesk", "path": "t.csv", "as_of": "x"}}
        )


def test_the_preset_options_work_on_any_source(tmp_path: Path) -> None:
    """other_columns: drop, age_bands, lookup and a '*' recode, on a spreadsheet."""
    data = tmp_path / "data"
    data.mkdir()
    people = pd.DataFrame(
        {
            "Ref": ["A1", "A2", "A3", "A4"],
            "Full Name": ["Zed Quill", "Ann Vorn", "Bo Trask", "Cy Pell"],
            "Born": ["1990-06-01", "1950-01-01", "", "2000-12-31"],
            "Team Code": ["T1", "T2", "T9", "T1"],
        }
    )
    people.to_excel(data / "people.xlsx", index=False)
    (data / "teams.csv").write_text("Code,Team\nT1,North\nT2,South\n", "utf-8")
    (data / "contacts.csv").write_text(
        "Id,Ref,When,How\n"
        + "".join(f"C{i},A{1 + i % 4},2025-01-0{1 + i},x{i}\n" for i in range(6))
    )
    (tmp_path / "decisionframe.yaml").write_text(
        """name: options
sources:
  clients:
    path: data/people.xlsx
    other_columns: drop
    columns:
      client_id: Ref
      age_band: {column: Born, age_bands: [30, 60], as_of: 2025-01-01}
      team: {column: Team Code, lookup: [{path: data/teams.csv, key: Code, value: Team}]}
  touchpoints:
    path: data/contacts.csv
    columns: {touchpoint_id: Id, client_id: Ref, started_at: When,
              channel: {column: How, values: {'*': phone}}}
""",
        "utf-8",
    )
    Project(tmp_path).import_data()
    with Project(tmp_path).open_store(read_only=True) as store:
        columns = [c for c, _ in store.table_columns("clients")]
        rows = store.rows("SELECT age_band, team FROM clients ORDER BY team NULLS LAST, age_band")
        channels = store.rows("SELECT DISTINCT channel FROM touchpoints")
    assert columns == ["client_id", "enrolled_on", "age_band", "team"]
    assert rows == [("30-59", "North"), ("under 30", "North"), ("60+", "South"), (None, None)]
    assert channels == [("phone",)]
    assert _leaks(_store_text(tmp_path), ["Zed Quill", "Ann Vorn", "1990-06-01"]) == []
    (data / "teams.csv").write_text("Code,Name\nT1,North\n", "utf-8")
    with pytest.raises(ImportValidationError) as info:
        Project(tmp_path).import_data()
    (problem,) = info.value.problems
    assert (problem.file, problem.rule, problem.line) == ("data/teams.csv", "lookup-unreadable", 1)


def test_zendesk_monthly_exports_append_and_requesters_load_once(tmp_path: Path) -> None:
    first = write_zendesk_export(tmp_path / "data" / "tickets_2025-03.csv", tickets=30)
    second = tmp_path / "data" / "tickets_2025-04.csv"
    text = first.path.read_text("utf-8").replace("2025-03-", "2025-04-")
    lines = text.splitlines()
    lines[1:] = [line.replace(",10", ",20", 1) for line in lines[1:]]  # new ticket ids
    second.write_text("\r\n".join(lines) + "\r\n", "utf-8")
    (tmp_path / "decisionframe.yaml").write_text(
        ZENDESK_CONFIG.replace("data/tickets.csv", "data/tickets_*.csv"), "utf-8"
    )
    result = Project(tmp_path).import_data()
    assert {t.table: t.rows for t in result.tables} == {"clients": 20, "touchpoints": 60}


def _reference_lookup(key: str | None, hops: list[dict[str, list[str]]]) -> str | None:
    """The documented lookup, by hand: match ignoring case and spaces, smallest value on a
    repeated key, hop by hop; a key found nowhere gives None."""
    value = key
    for hop in hops:
        if value is None or not value.strip():
            return None
        found = hop.get(value.strip().lower())
        value = min(found) if found else None
    return value


def test_a_lookup_joins_the_same_values_as_the_documented_map(tmp_path: Path) -> None:
    """Two hops, keys in another case and with spaces, repeated keys, keys not found."""
    data = tmp_path / "data"
    data.mkdir()
    enrollment_rows = [(f"EN{k}", f"P{k % 7}") for k in range(60)]
    enrollment_rows += [("en3", "P0"), ("EN4 ", "P9")]  # repeats: the smallest wins
    project_rows = [(f"p{k}", f"type {k % 3}") for k in range(6)]  # P6, P9 not listed
    (data / "enrollment.csv").write_text(
        "EnrollmentID,ProjectID\n" + "".join(f"{k},{v}\n" for k, v in enrollment_rows)
    )
    (data / "project.csv").write_text(
        "ProjectID,ProjectType\n" + "".join(f"{k},{v}\n" for k, v in project_rows)
    )
    keys = [f"EN{k}" for k in range(0, 80, 3)] + [" en5", "EN7 ", ""]  # EN60+ not found
    (data / "people.csv").write_text(
        "Ref,Enrollment\n" + "".join(f"R{i},{k}\n" for i, k in enumerate(keys))
    )
    (tmp_path / "decisionframe.yaml").write_text(
        """name: lookups
sources:
  clients:
    path: data/people.csv
    columns:
      client_id: Ref
      source_ref: Ref  # the raw reference, to compare row by row (a test only)
      project: {column: Enrollment, lookup: [{path: data/enrollment.csv, key: EnrollmentID,
                                              value: ProjectID}]}
      project_type:
        column: Enrollment
        lookup: [{path: data/enrollment.csv, key: EnrollmentID, value: ProjectID},
                 {path: data/project.csv, key: ProjectID, value: ProjectType}]
""",
        "utf-8",
    )
    result = Project(tmp_path).import_data()
    hop1: dict[str, list[str]] = {}
    for k, v in enrollment_rows:
        hop1.setdefault(k.strip().lower(), []).append(v)
    hop2: dict[str, list[str]] = {}
    for k, v in project_rows:
        hop2.setdefault(k.lower(), []).append(v)
    expected = {
        f"R{i}": (_reference_lookup(k, [hop1]), _reference_lookup(k, [hop1, hop2]))
        for i, k in enumerate(keys)
    }
    with Project(tmp_path).open_store(read_only=True) as store:
        got = {
            ref: (project, kind)
            for ref, project, kind in store.rows(
                "SELECT source_ref, project, project_type FROM clients"
            )
        }
    assert got == expected
    assert expected["R1"] == ("P0", "type 0")  # en3 and EN3: the smallest value
    unfound_1 = sum(1 for k in keys if k.strip() and expected[f"R{keys.index(k)}"][0] is None)
    unfound_2 = sum(1 for k in keys if k.strip() and expected[f"R{keys.index(k)}"][1] is None)
    notes = "\n".join(result.notes)
    assert f"clients.project ('Enrollment'): {unfound_1} rows with no value" in notes
    assert f"clients.project_type ('Enrollment'): {unfound_2} rows with no value" in notes
    assert "data/enrollment.csv -> data/project.csv" in notes
    assert unfound_1 == 7
    assert unfound_2 > unfound_1


def _recode_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a generated export (``line`` counts the header as line 1)."""
    lines = path.read_text("utf-8").splitlines()
    at = lines[0].split(",").index(column)
    fields = lines[line - 1].split(",")
    fields[at] = value
    lines[line - 1] = ",".join(fields)
    path.write_text("\r\n".join(lines) + "\r\n", "utf-8")


def test_a_code_outside_the_hud_lists_is_refused_where_it_is(tmp_path: Path) -> None:
    """Destination 440 (not in FY2024's list) used to load as the number 440."""
    export = _hmis_project(tmp_path, clients=12)
    folder = tmp_path / "data" / "hmis"
    _recode_cell(folder / "Exit.csv", 4, "Destination", "440")  # was 101
    _recode_cell(folder / "Exit.csv", 6, "Destination", "440")
    _recode_cell(folder / "Client.csv", 3, "VeteranStatus", "7")
    _recode_cell(folder / "Client.csv", 5, "Woman", "2")
    _recode_cell(folder / "Project.csv", 2, "ProjectType", "15")  # P-ES
    with pytest.raises(ImportValidationError) as info:
        Project(tmp_path).import_data()
    found = {(p.file, p.column, p.rule): p for p in info.value.problems}
    destination = found["data/hmis/Exit.csv", "Destination", "unlisted-value"]
    assert (destination.line, destination.lines, destination.count) == (4, (4, 6), 2)
    assert "440 (2)" in destination.message
    assert "values: {value: {'440': ...}}" in destination.hint
    assert found["data/hmis/Client.csv", "VeteranStatus", "unlisted-value"].lines == (3,)
    assert found["data/hmis/Client.csv", "Woman", "unlisted-value"].lines == (5,)
    projects = found["data/hmis/Services.csv", "EnrollmentID", "unlisted-value"]
    assert projects.count == sum(1 + i % 3 for i in range(0, 11, 3))  # the P-ES services
    assert "15 (" in projects.message  # the project type code, not an EnrollmentID
    assert not any("not-a-" in p.rule for p in info.value.problems)  # reported once
    shown = "\n".join(str(p) for p in info.value.problems)
    assert _leaks(shown, export.secrets) == []
    assert "EN0" not in shown


def test_a_preset_takes_extra_codes_deliberately(tmp_path: Path) -> None:
    export = _hmis_project(tmp_path, clients=12)
    folder = tmp_path / "data" / "hmis"
    _recode_cell(folder / "Exit.csv", 4, "Destination", "440")
    _recode_cell(folder / "Project.csv", 2, "ProjectType", "15")
    (tmp_path / "decisionframe.yaml").write_text(
        "name: x\nsources: {preset: hmis, path: data/hmis/,\n"
        "  values: {value: {440: 1}, project_type: {'15': local_type}}}\n",
        "utf-8",
    )
    Project(tmp_path).import_data()
    with Project(tmp_path).open_store(read_only=True) as store:
        housed = store.rows("SELECT sum(value), max(destination) FROM outcomes")[0]
        types = {r[0] for r in store.rows("SELECT DISTINCT project_type FROM touchpoints")}
    assert housed == (export.housed + 1, 440)
    assert "local_type" in types
    (tmp_path / "decisionframe.yaml").write_text(
        "name: x\nsources: {preset: hmis, path: data/hmis/, values: {destination: {440: 1}}}\n",
        "utf-8",
    )
    with pytest.raises(ConfigError) as info:
        Project(tmp_path).import_data()
    (problem,) = info.value.problems
    assert "not a coded column of the preset" in problem.message
    assert "value (Destination)" in problem.message


def test_other_values_refuse_contradicts_a_star(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="contradict"):
        ProjectConfig.model_validate(
            {
                "name": "x",
                "sources": {
                    "clients": {
                        "path": "c.csv",
                        "columns": {
                            "kind": {
                                "column": "K",
                                "values": {"a": "b", "*": "c"},
                                "other_values": "refuse",
                            }
                        },
                    }
                },
            }
        )


def test_a_preset_with_quarantine_sets_the_unlisted_row_aside(tmp_path: Path) -> None:
    export = _hmis_project(tmp_path, clients=12)
    _recode_cell(tmp_path / "data" / "hmis" / "Exit.csv", 4, "Destination", "440")
    (tmp_path / "decisionframe.yaml").write_text(
        HMIS_CONFIG.replace("path: data/hmis/}", "path: data/hmis/, on_error: quarantine}"),
        "utf-8",
    )
    result = Project(tmp_path).import_data()
    rows = {t.table: (t.rows, t.quarantined) for t in result.tables}
    assert rows["outcomes"] == (export.exits - 1, 1)
    assert rows["clients"] == (export.clients, 0)
    assert result.quarantined == 1
    listed = (tmp_path / result.quarantine_file).read_text("utf-8")
    assert "data/hmis/Exit.csv,4,unlisted-value" in listed.replace('"', "")
    assert "440" not in listed


def test_a_catch_all_recode_leaves_empty_cells_missing(tmp_path: Path) -> None:
    """'*' recodes every other value, not an empty cell: before, an empty cell became the
    catch-all's value (a missing RecordType read as in_person). A '' key asks for it."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "clients.csv").write_text("client_id\nA1\nA2\n", "utf-8")
    (data / "contacts.csv").write_text(
        "Id,Ref,When,How,Kind\nC1,A1,2025-01-01,x,web\nC2,A1,2025-01-02,,\n"
        "C3,A2,2025-01-03,y,  \nC4,A2,2025-01-04,z,other\n",
        "utf-8",
    )
    (tmp_path / "decisionframe.yaml").write_text(
        """name: catch-all
sources:
  clients: {path: data/clients.csv}
  touchpoints:
    path: data/contacts.csv
    columns: {touchpoint_id: Id, client_id: Ref, started_at: When,
              channel: {column: How, values: {'*': phone, '': phone}},
              kind: {column: Kind, values: {web: online, '*': elsewhere}}}
""",
        "utf-8",
    )
    Project(tmp_path).import_data()
    with Project(tmp_path).open_store(read_only=True) as store:
        rows = store.rows("SELECT touchpoint_id, channel, kind FROM touchpoints ORDER BY 1")
    assert rows == [
        ("C1", "phone", "online"),
        ("C2", "phone", None),  # '' asked for the empty How; the empty Kind stays missing
        ("C3", "phone", None),  # only spaces: empty too
        ("C4", "phone", "elsewhere"),
    ]


def test_other_columns_drop_reads_a_column_spelled_as_a_canonical_one(tmp_path: Path) -> None:
    """A file's client_id column needs no `columns: {client_id: client_id}` line with
    other_columns: drop (it used to be dropped, then refused as missing)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "clients.csv").write_text(
        "client_id,Full Name,Born\nA1,Zed Quill,1990-06-01\nA2,Ann Vorn,1950-01-01\n", "utf-8"
    )
    (tmp_path / "decisionframe.yaml").write_text(
        """name: drop
sources:
  clients:
    path: data/clients.csv
    other_columns: drop
    columns: {age_band: {column: Born, age_bands: [30, 60], as_of: 2025-01-01}}
""",
        "utf-8",
    )
    result = Project(tmp_path).import_data()
    assert [t.rows for t in result.tables] == [2]
    with Project(tmp_path).open_store(read_only=True) as store:
        columns = [c for c, _ in store.table_columns("clients")]
        bands = store.rows("SELECT age_band FROM clients ORDER BY 1")
    assert columns == ["client_id", "enrolled_on", "age_band"]
    assert bands == [("30-59",), ("60+",)]
    assert _leaks(_store_text(tmp_path), ["Zed Quill", "Ann Vorn"]) == []


class _Today:
    """Stand-ins for ``date`` whose today() is a chosen day (the import's "today")."""

    @staticmethod
    def on(day: date) -> type[date]:
        class Fixed(date):
            @classmethod
            def today(cls) -> date:
                return day

        return Fixed


def _bands_imported_on(root: Path, today: date, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import decisionframe.ingest.load as load_module
    import decisionframe.ingest.stage as stage_module

    fixed = _Today.on(today)
    monkeypatch.setattr(stage_module, "date", fixed)
    monkeypatch.setattr(load_module, "date", fixed, raising=False)
    Project(root).import_data()
    monkeypatch.undo()
    with Project(root).open_store(read_only=True) as store:
        return [str(r[0]) for r in store.rows("SELECT age_band FROM clients ORDER BY client_id")]


def test_the_same_hmis_export_gives_the_same_ages_on_any_import_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ages are counted to the export's ExportEndDate, not to the import day: imported a
    year later (or six), the same files give the same bands; the day is said and logged."""
    first, later = tmp_path / "first", tmp_path / "later"
    for root in (first, later):
        _hmis_project(root)
    before = _bands_imported_on(first, date(2025, 10, 6), monkeypatch)
    (later / ".decisionframe").mkdir()  # the same key: the same pseudonyms, row for row
    shutil.copy(first / ".decisionframe" / "key", later / ".decisionframe" / "key")
    after = _bands_imported_on(later, date(2031, 10, 6), monkeypatch)
    assert before == after
    with Project(first).open_store(read_only=True) as store:
        logged = store.rows("SELECT DISTINCT table_name, as_of FROM df_imports ORDER BY 1")
    assert logged == [("clients", date(2025, 9, 30)), ("outcomes", None), ("touchpoints", None)]
    status = Project(first).status()
    assert {t.table: t.as_of for t in status.tables}["clients"] == date(2025, 9, 30)
    assert "clients 39 (ages counted to 2025-09-30)" in status.summary()
    shown = CliRunner().invoke(app, ["status", str(first), "--json", str(tmp_path / "s.json")])
    assert shown.exit_code == 0, shown.output
    tables = json.loads((tmp_path / "s.json").read_text("utf-8"))["tables"]
    assert {t["table"]: t["as_of"] for t in tables}["clients"] == "2025-09-30"


def test_without_an_export_date_ages_count_to_the_latest_contact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Export.csv: the latest service date (DateProvided) is the day, and the summary
    says so; an explicit `as_of` next to `preset:` still wins."""
    export = write_hmis_export(tmp_path / "data" / "hmis", export_end=None)
    (tmp_path / "decisionframe.yaml").write_text(HMIS_CONFIG, "utf-8")
    services = pd.read_csv(export.folder / "Services.csv", dtype=str)
    live = services[services["DateDeleted"].isna()]
    latest = max(date.fromisoformat(d) for d in live["DateProvided"])
    import decisionframe.ingest.stage as stage_module

    monkeypatch.setattr(stage_module, "date", _Today.on(date(2040, 1, 1)))
    result = Project(tmp_path).import_data()
    monkeypatch.undo()
    assert {t.table: t.as_of for t in result.tables}["clients"] == latest
    notes = "\n".join(result.notes)
    assert (
        f"clients.age_band ('DOB'): ages counted to {latest} (the latest "
        "touchpoints.started_at; data/hmis/Export.csv: not found)"
    ) in notes
    assert f"Ages counted to {latest}." in result.summary()
    (tmp_path / "decisionframe.yaml").write_text(
        HMIS_CONFIG.replace("path: data/hmis/}", "path: data/hmis/, as_of: 2024-12-31}"), "utf-8"
    )
    result = Project(tmp_path).import_data()
    assert {t.table: t.as_of for t in result.tables}["clients"] == date(2024, 12, 31)
    assert "ages counted to 2024-12-31 (as_of)" in "\n".join(result.notes)


def test_a_store_from_before_the_as_of_log_is_read_and_migrated(tmp_path: Path) -> None:
    """A store written before migration 6 has no as_of column: status still reads it
    (read-only opens do not migrate), and the next writable open adds the column."""
    _hmis_project(tmp_path, clients=12)
    Project(tmp_path).import_data()
    with Project(tmp_path).open_store() as store:
        store.execute("ALTER TABLE df_imports DROP COLUMN as_of")
        store.execute("DELETE FROM df_migrations WHERE version = 6")
    assert {t.as_of for t in Project(tmp_path).status().tables} == {None}
    with Project(tmp_path).open_store() as store:
        assert 6 in store.applied_migrations()
        assert "as_of" in {c for c, _ in store.table_columns("df_imports")}


def test_record_type_and_type_provided_are_checked_against_the_hud_lists(
    tmp_path: Path,
) -> None:
    """RecordType must be in FY2024's list 1.4, and TypeProvided in its RecordType's list:
    both used to load as written (a TypeProvided 10 of an SSVF service, a bed night's 2)."""
    export = _hmis_project(tmp_path, clients=12)
    services = tmp_path / "data" / "hmis" / "Services.csv"
    _recode_cell(services, 2, "RecordType", "999")  # a bed night (200:200) of client 0
    _recode_cell(services, 3, "TypeProvided", "10")  # SSVF services (V2.2) stop at 9
    _recode_cell(services, 4, "RecordType", "200")  # a bed night's TypeProvided is 200, not 2
    with pytest.raises(ImportValidationError) as info:
        Project(tmp_path).import_data()
    found = {(p.file, p.column, p.rule): p for p in info.value.problems}
    record = found["data/hmis/Services.csv", "RecordType", "unlisted-value"]
    assert (record.lines, record.count) == ((2,), 1)
    assert "999 (1)" in record.message
    provided = found["data/hmis/Services.csv", "TypeProvided", "unlisted-value"]
    assert (provided.lines, provided.count) == ((2, 3, 4), 3)
    assert all(f"{pair} (1)" in provided.message for pair in ("144:10", "200:2", "999:200"))
    assert "values: {service: {'144:10': ...}}" in provided.hint
    shown = "\n".join(str(p) for p in info.value.problems)
    assert _leaks(shown, export.secrets) == []
    assert "S0001" not in shown  # no ServicesID
    assert "EN0" not in shown  # no EnrollmentID

    (tmp_path / "decisionframe.yaml").write_text(
        HMIS_CONFIG.replace("path: data/hmis/}", "path: data/hmis/, on_error: quarantine}"),
        "utf-8",
    )
    result = Project(tmp_path).import_data()
    rows = {t.table: (t.rows, t.quarantined) for t in result.tables}
    assert rows["touchpoints"] == (export.services - 3, 3)
    listed = (tmp_path / result.quarantine_file).read_text("utf-8").replace('"', "")
    assert "data/hmis/Services.csv,3,unlisted-value,TypeProvided" in listed
    assert "144:10" not in listed

    write_hmis_export(tmp_path / "data" / "hmis", clients=12)
    _recode_cell(services, 3, "TypeProvided", "10")
    (tmp_path / "decisionframe.yaml").write_text(
        "name: x\nsources: {preset: hmis, path: data/hmis/, values: {service: {'144:10': '10'}}}\n",
        "utf-8",
    )
    Project(tmp_path).import_data()
    with Project(tmp_path).open_store(read_only=True) as store:
        kinds = dict(store.rows("SELECT service, count(*) FROM touchpoints GROUP BY 1"))
        records = {r[0] for r in store.rows("SELECT DISTINCT record_type FROM touchpoints")}
    assert kinds["10"] == 1  # the code is kept, not the pair
    assert kinds["200"] > 0
    assert records == {144, 200}
