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
