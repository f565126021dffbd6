"""Reading options per source and per column, formats, and the files that are not data."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionframe.errors import ImportValidationError
from decisionframe.project import Project

CLIENTS = "client_id,enrolled_on\nA,2025-01-02\nB,2025-01-03\n"


def _project(root: Path, sources: str, files: dict[str, str | bytes], extra: str = "") -> Project:
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = data / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")
    (root / "decisionframe.yaml").write_text(f"name: t\nsources:\n{sources}{extra}", "utf-8")
    return Project(root)


def _rows(project: Project, sql: str) -> list[tuple[object, ...]]:
    with project.open_store(read_only=True) as store:
        return store.rows(sql)


def _contacts(times: list[str], extra: str = "") -> str:
    lines = [f"touchpoint_id,client_id,started_at,channel{extra and ',' + extra}"]
    lines += [f"T{i},A,{t},phone" for i, t in enumerate(times)]
    return "\n".join(lines) + "\n"


FORMATS = ["%d/%m/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%d-%b-%Y %H:%M:%S", "%Y%m%d %H%M", "%d.%m.%Y"]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fmt=st.sampled_from(FORMATS),
    moments=st.lists(
        st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31)),
        min_size=1,
        max_size=5,
    ),
)
def test_a_date_written_in_any_declared_format_reads_back_equal(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, moments: list[datetime]
) -> None:
    root = tmp_path_factory.mktemp("fmt")
    wanted = [datetime.strptime(m.strftime(fmt), fmt) for m in moments]  # what fmt can hold
    project = _project(
        root,
        "  clients: {path: data/clients.csv}\n"
        f"  touchpoints: {{path: data/contacts.csv, date_format: ['{fmt}']}}\n",
        {"clients.csv": CLIENTS, "contacts.csv": _contacts([m.strftime(fmt) for m in moments])},
    )
    project.import_data()
    got = [
        r[0] for r in _rows(project, "SELECT started_at FROM touchpoints ORDER BY touchpoint_id")
    ]
    order = sorted(range(len(wanted)), key=lambda i: f"T{i}")
    assert got == [wanted[i] for i in order]


def test_offsets_are_converted_to_utc_and_a_local_zone_applied(tmp_path: Path) -> None:
    times = ["2025-03-31 14:05:00+01:00", "2025-03-31T14:05:00Z", "2025-06-01 10:00:00"]
    project = _project(
        tmp_path,
        "  clients: {path: data/clients.csv}\n"
        "  touchpoints: {path: data/contacts.csv, timezone: Europe/London}\n",
        {"clients.csv": CLIENTS, "contacts.csv": _contacts(times)},
    )
    project.import_data()
    got = [r[0] for r in _rows(project, "SELECT started_at FROM touchpoints ORDER BY 1")]
    assert got == [
        datetime(2025, 3, 31, 13, 5),  # +01:00 honoured
        datetime(2025, 3, 31, 14, 5),  # Z is UTC
        datetime(2025, 6, 1, 9, 0),  # naive, read as London summer time
    ]
    assert all(g.tzinfo is None for g in got)
    assert datetime(2025, 6, 1, 9, 0, tzinfo=UTC).hour == 9


def test_decimal_commas_yes_no_words_semicolons_and_column_options(tmp_path: Path) -> None:
    contacts = (
        "touchpoint_id;client_id;started_at;channel;wait_minutes;resolved\n"
        "T1;A;31/03/2025;Phone;3,5;Ja\n"
        "T2;B;01/04/2025;Phone;12,25;Nein\n"
    )
    project = _project(
        tmp_path,
        "  clients: {path: data/clients.csv}\n"
        "  touchpoints:\n"
        "    path: data/contacts.csv\n"
        "    decimal: ','\n"
        "    true_values: [Ja]\n"
        "    false_values: [Nein]\n"
        "    columns: {started_at: {column: started_at, date_format: '%d/%m/%Y'}}\n",
        {"clients.csv": CLIENTS, "contacts.csv": contacts},
    )
    result = project.import_data()
    assert any("separated by ';'" in n for n in result.notes)
    rows = _rows(project, "SELECT wait_minutes, resolved, started_at FROM touchpoints ORDER BY 1")
    assert rows == [(3.5, True, datetime(2025, 3, 31)), (12.25, False, datetime(2025, 4, 1))]


def test_encodings_detected_or_named_when_wrong(tmp_path: Path) -> None:
    text = "client_id,enrolled_on,worker\n" + "".join(
        f"C{i},2025-01-0{1 + i % 9},Zoë “Müller” {i}\n" for i in range(40)
    )
    project = _project(
        tmp_path, "  clients: {path: data/clients.csv}\n", {"clients.csv": text.encode("cp1252")}
    )
    result = project.import_data()
    assert any("encoding detected" in n for n in result.notes)
    workers = {r[0] for r in _rows(project, "SELECT worker FROM clients")}
    assert "Zoë “Müller” 3" in workers
    (tmp_path / "decisionframe.yaml").write_text(
        "name: t\nsources:\n  clients: {path: data/clients.csv, encoding: utf-8}\n"
    )
    with pytest.raises(ImportValidationError) as info:
        Project(tmp_path).import_data()
    problem = info.value.problems[0]
    assert problem.rule == "bad-encoding"
    assert "utf-8" in problem.message.lower()
    assert "encoding:" in problem.hint


def test_accented_names_in_windows_1252_are_not_read_as_a_mac_code_page(tmp_path: Path) -> None:
    """A new user's cases file: only names carry accents. charset-normalizer rated
    mac_latin2 cleaner than cp1252 on it, and the store held 'Josť NķŮez'."""
    names = ["Zoë Dubois", "José Núñez", "Renée Côté", "Søren Ålund", "Ana Müller", "Tom Reid"]
    text = "Case Ref,Referral Date,Key Worker\n" + "".join(
        f"CR-{i},2025-0{1 + i % 9}-1{i % 10},{names[i % len(names)]}\n" for i in range(3000)
    )
    project = _project(
        tmp_path,
        "  clients: {path: data/clients.csv, columns: {client_id: Case Ref, "
        "enrolled_on: Referral Date}}\n",
        {"clients.csv": text.encode("cp1252")},
    )
    result = project.import_data()
    assert any("encoding detected as cp1252" in n for n in result.notes), result.notes
    workers = {r[0] for r in _rows(project, "SELECT key_worker FROM clients")}
    assert workers == set(names)


def test_empty_header_only_and_unsplit_files_get_one_clear_problem(tmp_path: Path) -> None:
    sources = "  clients: {path: data/clients.csv}\n"
    for content, rule in (("", "empty-file"), ("client_id,enrolled_on\n", "no-rows")):
        project = _project(tmp_path, sources, {"clients.csv": content})
        with pytest.raises(ImportValidationError) as info:
            project.import_data()
        assert [p.rule for p in info.value.problems] == [rule]
    project = _project(
        tmp_path,
        "  clients: {path: data/clients.csv, delimiter: ','}\n",
        {"clients.csv": "client_id;enrolled_on\nA;2025-01-01\n"},
    )
    with pytest.raises(ImportValidationError) as info:
        project.import_data()
    (problem,) = info.value.problems
    assert problem.rule == "header-not-split"
    assert "delimiter: ';'" in problem.hint


def test_gzip_parquet_list_and_spreadsheets(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "clients.csv.gz").write_bytes(gzip.compress(CLIENTS.encode()))
    start = datetime(2025, 1, 1)
    for month in (1, 2):
        frame = pd.DataFrame(
            {
                "touchpoint_id": [f"T{month}-{i}" for i in range(3)],
                "client_id": ["A", "B", "A"],
                "started_at": [start + timedelta(days=31 * (month - 1) + i) for i in range(3)],
                "channel": ["phone"] * 3,
            }
        )
        frame.to_parquet(data / f"contacts_{month}.parquet")
    outcomes = pd.DataFrame({"client_id": ["A", "B"], "outcome": ["housed"] * 2, "value": [1, 0]})
    outcomes.to_excel(data / "outcomes.ods", index=False, engine="odf")
    (tmp_path / "decisionframe.yaml").write_text(
        "name: t\nsources:\n  clients: {path: data/clients.csv.gz}\n"
        "  touchpoints: {path: [data/contacts_1.parquet, data/contacts_2.parquet]}\n"
        "  outcomes: {path: data/outcomes.ods}\n"
    )
    project = Project(tmp_path)
    result = project.import_data()
    assert {t.table: t.rows for t in result.tables} == {
        "clients": 2,
        "touchpoints": 6,
        "outcomes": 2,
    }
    touchpoints = next(t for t in result.tables if t.table == "touchpoints")
    assert [f.rows for f in touchpoints.files] == [3, 3]
    assert _rows(project, "SELECT min(started_at) FROM touchpoints")[0][0] == start
    assert _rows(project, "SELECT min(enrolled_on) FROM clients")[0][0] == date(2025, 1, 2)


def test_a_missing_sheet_and_unknown_targets_are_explained(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"client_id": ["A"]}).to_excel(data / "clients.xlsx", index=False)
    (tmp_path / "decisionframe.yaml").write_text(
        "name: t\nsources:\n  clients: {path: data/clients.xlsx, sheet: Nope}\n"
    )
    with pytest.raises(ImportValidationError) as info:
        Project(tmp_path).import_data()
    assert [p.rule for p in info.value.problems] == ["bad-sheet"]
    (tmp_path / "decisionframe.yaml").write_text(
        "name: t\nsources:\n  clients:\n"
        "    {path: data/clients.xlsx, columns: {client_idd: client_id}}\n"
    )
    with pytest.raises(ImportValidationError) as info:
        Project(tmp_path).import_data()
    problem = next(p for p in info.value.problems if p.rule == "unknown-target-column")
    assert "did you mean 'client_id'" in problem.hint
    assert "enrolled_on" in problem.hint  # the canonical list


def test_attribute_columns_follow_the_sources_date_format(tmp_path: Path) -> None:
    """An attribute column (not canonical) written day-first is a date, not text."""
    clients = (
        "client_id,enrolled_on,referred_on,last_review,age\n"
        "A,02/01/2025,31/12/2024,31/01/2025 14:05,40\n"
        "B,03/01/2025,,01/02/2025 09:30,35\n"
    )
    project = _project(
        tmp_path,
        "  clients:\n"
        "    path: data/clients.csv\n"
        "    date_format: ['%d/%m/%Y %H:%M', '%d/%m/%Y']\n"
        "    columns: {last_review: {column: last_review, date_format: '%d/%m/%Y %H:%M'}}\n",
        {"clients.csv": clients},
    )
    project.import_data()
    with project.open_store(read_only=True) as store:
        types = dict(store.table_columns("clients"))
        rows = store.rows("SELECT referred_on, last_review, age FROM clients ORDER BY enrolled_on")
    assert types["referred_on"] == "TIMESTAMP"  # the source's list has a time layout first
    assert types["last_review"] == "TIMESTAMP"
    assert types["age"] == "BIGINT"  # a number column is not read as a date
    assert rows[0] == (datetime(2024, 12, 31), datetime(2025, 1, 31, 14, 5), 40)
    assert rows[1][0] is None
    assert rows[1][1] == datetime(2025, 2, 1, 9, 30)


def test_an_attribute_date_format_applies_to_dates_only(tmp_path: Path) -> None:
    clients = "client_id,enrolled_on,referred_on,note\nA,2025-01-02,31/12/2024,x\n"
    project = _project(
        tmp_path,
        "  clients:\n"
        "    path: data/clients.csv\n"
        "    columns: {referred_on: {column: referred_on, date_format: '%d/%m/%Y'}}\n",
        {"clients.csv": clients},
    )
    project.import_data()
    with project.open_store(read_only=True) as store:
        types = dict(store.table_columns("clients"))
        assert store.rows("SELECT referred_on FROM clients")[0][0] == date(2024, 12, 31)
    assert types["referred_on"] == "DATE"
    assert types["note"] == "VARCHAR"


def test_line_numbers_count_the_lines_of_multi_line_quoted_fields(tmp_path: Path) -> None:
    """Issue #13: a problem after quoted fields with line breaks was reported at the
    record's number (13), not its line in the file (16)."""
    lines = ["touchpoint_id,client_id,started_at,channel,reason"]
    lines += ['T1,A,2025-01-01 10:00:00,phone,"first line\nsecond line\nthird line"']
    lines += [f"T{i},A,2025-01-0{i} 10:00:00,phone,plain" for i in range(2, 5)]
    lines += ['T5,A,2025-01-05 10:00:00,phone,"one\r\ntwo"']
    lines += ["T6,A,yesterday,phone,plain"]  # physical line 10 (record 7)
    lines += ["T7,A,2025-01-07 10:00:00,phone,plain"]
    lines += ["T8,A,tomorrow,phone,plain"]  # line 12
    text = "\n".join(lines) + "\n"
    assert text.splitlines()[9].startswith("T6")
    assert text.splitlines()[11].startswith("T8")
    project = _project(
        tmp_path,
        "  clients: {path: data/clients.csv}\n  touchpoints: {path: data/contacts.csv}\n",
        {"clients.csv": CLIENTS, "contacts.csv": text},
    )
    with pytest.raises(ImportValidationError) as info:
        project.import_data()
    assert [(p.rule, p.lines) for p in info.value.problems] == [("not-a-timestamp", (10, 12))]
    # A line the reader rejects (too many fields) after them: located by file line too.
    (tmp_path / "data" / "contacts.csv").write_text(
        text.replace("T7,A,2025-01-07 10:00:00,phone,plain", "T7,A,2025-01-07 10:00:00,p,x,y")
    )
    with pytest.raises(ImportValidationError) as info:
        project.import_data()
    assert [(p.rule, p.line) for p in info.value.problems] == [("too-many-fields", 11)]
