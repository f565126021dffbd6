"""What a new user trying their own export hit (issue #141), through the real CLI.

Each test builds a small hand-made project (not the simulator's), runs the command a user
would, and checks the message says where the problem is and what to do, with the right
hint, in correct English, without a traceback.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from decisionframe.cli import app
from decisionframe.project import Project

runner = CliRunner()

THEORY = """question: Does contact quality keep people housed?
nodes:
  - id: quality
    kind: service_quality
    label: Quality of contact (1-5)
    measure: {table: touchpoints, column: quality, aggregate: mean, within_days: 90}
  - id: prior_episodes
    kind: context
    measure: {table: clients, column: prior_episodes}
  - id: housed
    kind: outcome
    measure: {table: outcomes, outcome: housed, at_day: 180}
edges:
  - {from: prior_episodes, to: quality}
  - {from: prior_episodes, to: housed}
  - from: quality
    to: housed
    assumption: {claim: better contacts keep people housed, expected: increase}
"""


def _project(root: Path, config: str, files: dict[str, str]) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / "data" / name).write_text(text, "utf-8")
    (root / "decisionframe.yaml").write_text(config, "utf-8")
    (root / "theory.yaml").write_text(THEORY, "utf-8")
    return root


CLIENTS = "Case Ref,Referral Date,Prior\nC1,2025-01-03,0\nC2,2025-01-04,1\n"


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def test_an_invalid_on_error_is_told_its_own_choices_not_the_table_names(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "name: t\nsources:\n  clients: {path: data/clients.csv, on_error: skip}\n",
        {"clients.csv": CLIENTS},
    )
    code, out = _run("import", str(root))
    assert code == 2
    assert "sources.clients.on_error" in out
    assert "Hint: use 'refuse' or 'quarantine'" in out
    assert "sources can be" not in out
    assert "(1 problem)" in out
    assert "problem(s)" not in out


def test_an_unquoted_column_name_with_a_question_mark_gets_a_quoting_hint(tmp_path: Path) -> None:
    config = (
        "name: t\nsources:\n  clients: {path: data/clients.csv,\n"
        "    columns: {client_id: Case Ref, resolved: Resolved?}}\n"
    )
    root = _project(tmp_path, config, {"clients.csv": "Case Ref,Resolved?\nC1,yes\n"})
    code, out = _run("import", str(root))
    assert code == 2
    assert "decisionframe.yaml, line 4" in out
    assert "write 'Resolved?' in quotes" in out
    # Quoted as the hint says, it imports.
    (root / "decisionframe.yaml").write_text(config.replace("Resolved?}", "'Resolved?'}"))
    code, out = _run("import", str(root))
    assert code == 0, out
    assert "'Resolved?' -> resolved" in out


def test_analyze_after_a_refused_import_says_run_import_not_add_a_source(tmp_path: Path) -> None:
    config = (
        "name: t\nsources:\n  clients: {path: data/clients.csv,\n"
        "    columns: {client_id: Case Ref, enrolled_on: Referral Date, prior_episodes: Prior}}\n"
    )
    root = _project(tmp_path, config, {"clients.csv": CLIENTS + "C3,not a date,2\n"})
    assert _run("import", str(root))[0] == 2  # refused: the store exists, holds nothing
    code, out = _run("analyze", str(root))
    assert code == 2
    assert "run `decisionframe import` first" in out
    assert "add a" not in out
    assert "(1 problem)" in out  # one cause, said once (not once per node)
    code, out = _run("demand", str(root))
    assert code == 2
    assert "run `decisionframe import` first" in out


def _clients_config(extra: str) -> str:
    return (
        "name: t\nsources:\n  clients: {path: data/clients.csv, " + extra + ",\n"
        "    columns: {client_id: Case Ref, enrolled_on: Referral Date}}\n"
    )


@pytest.mark.parametrize(
    ("pattern", "strftime"),
    [
        ("dd/mm/yyyy", "%d/%m/%Y"),
        ("mm/dd/yyyy", "%m/%d/%Y"),
        ("yyyy-mm-dd", "%Y-%m-%d"),
        ("dd-Mon-yyyy", "%d-%b-%Y"),
        ("DD/MM/YYYY", "%d/%m/%Y"),
    ],
)
def test_a_human_date_pattern_is_translated_and_said(
    tmp_path: Path, pattern: str, strftime: str
) -> None:
    """`date_format: 'dd/mm/yyyy'` was taken as strftime (literal letters): every date then
    failed, or with a day-first file that auto-detection would have read, was misread."""
    days = [date(2025, 3, 31), date(2025, 1, 2), date(2024, 12, 11)]
    text = "Case Ref,Referral Date\n" + "".join(
        f"C{i},{d.strftime(strftime)}\n" for i, d in enumerate(days)
    )
    root = _project(tmp_path, _clients_config(f"date_format: '{pattern}'"), {"clients.csv": text})
    code, out = _run("import", str(root))
    assert code == 0, out
    assert f"date_format '{pattern}' read as '{strftime}'" in out
    with Project(root).open_store(read_only=True) as store:
        loaded = [r[0] for r in store.rows("SELECT enrolled_on FROM clients ORDER BY 1")]
    assert loaded == sorted(days)


def test_an_unreadable_date_pattern_is_a_located_config_error(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        _clients_config("date_format: 'dd/mm/jjjj'"),
        {"clients.csv": "Case Ref,Referral Date\nC1,31/03/2025\n"},
    )
    code, out = _run("import", str(root))
    assert code == 2
    assert "decisionframe.yaml, line 3, column 'sources.clients.date_format'" in out
    assert "'%d/%m/%Y' for 31/03/2025" in out


def test_a_missing_sheet_lists_the_sheets_the_workbook_has(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Case Ref": ["C1"], "Referral Date": ["2025-01-01"]})
    (tmp_path / "data").mkdir()
    with pd.ExcelWriter(tmp_path / "data" / "cases.xlsx") as writer:
        frame.to_excel(writer, sheet_name="Read me", index=False)
        frame.to_excel(writer, sheet_name="Cases", index=False)
    config = (
        "name: t\nsources:\n  clients: {path: data/cases.xlsx, sheet: Clients,\n"
        "    columns: {client_id: Case Ref, enrolled_on: Referral Date}}\n"
    )
    root = _project(tmp_path, config, {})
    code, out = _run("import", str(root))
    assert code == 2
    assert "[bad-sheet]" in out
    assert "'Read me' (0), 'Cases' (1)" in out
    (root / "decisionframe.yaml").write_text(config.replace("sheet: Clients", "sheet: 7"))
    code, out = _run("import", str(root))
    assert code == 2
    assert "'Read me' (0), 'Cases' (1)" in out


def _monthly(root: Path, months: int, channel: str = "Walk-in") -> None:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "clients.csv").write_text(CLIENTS, "utf-8")
    for m in range(1, months + 1):
        rows = ["Contact ID,Case Ref,Contact Date,Channel"]
        rows += [f"K{m}-1,C1,2025-{m:02d}-02,phone", f"K{m}-2,C2,2025-{m:02d}-03,{channel}"]
        (root / "data" / f"contacts_2025-{m:02d}.csv").write_text("\n".join(rows) + "\n")


MONTHLY = """name: t
sources:
  clients: {path: data/clients.csv, columns: {client_id: Case Ref, enrolled_on: Referral Date}}
  touchpoints:
    path: data/contacts_*.csv
    columns: {touchpoint_id: Contact ID, client_id: Case Ref, started_at: Contact Date,
              channel: Channel}
"""


def test_one_problem_in_every_monthly_file_is_said_once_with_every_line_in_json(
    tmp_path: Path,
) -> None:
    _monthly(tmp_path, 12)
    (tmp_path / "decisionframe.yaml").write_text(MONTHLY)
    code, out = _run("import", str(tmp_path), "--json", str(tmp_path / "r.json"))
    assert code == 2
    assert out.count("[unknown-channel]") == 1
    assert "in 12 files (data/contacts_2025-01.csv ... data/contacts_2025-12.csv)" in out
    assert "12 values are not one of the configured channels: Walk-in (12)" in out
    problem = json.loads((tmp_path / "r.json").read_text())["problems"][0]
    assert problem["count"] == 12
    assert [p["lines"] for p in problem["by_file"]] == [[3]] * 12
    # One file, one bad value: singular.
    _monthly(tmp_path / "one", 1)
    (tmp_path / "one" / "decisionframe.yaml").write_text(MONTHLY)
    code, out = _run("import", str(tmp_path / "one"))
    assert "1 value is not one of the configured channels: Walk-in (1)" in out
    assert "1 values" not in out


def test_a_refused_import_says_which_problems_quarantine_would_set_aside(tmp_path: Path) -> None:
    _monthly(tmp_path, 2)
    (tmp_path / "decisionframe.yaml").write_text(MONTHLY)
    code, out = _run("import", str(tmp_path), "--json", str(tmp_path / "r.json"))
    assert code == 2
    assert "it concerns single rows, which `on_error: quarantine` would set aside" in out
    assert "set `on_error: quarantine` on the touchpoints source" in out
    assert json.loads((tmp_path / "r.json").read_text())["problems"][0]["quarantinable"] is True
    # A file problem is not quarantinable, and says nothing of it.
    (tmp_path / "data" / "contacts_2025-02.csv").write_text("Contact ID,Case Ref\n")
    code, out = _run("import", str(tmp_path), "--json", str(tmp_path / "r.json"))
    assert code == 2
    problems = json.loads((tmp_path / "r.json").read_text())["problems"]
    assert {p["quarantinable"] for p in problems} == {False}
    assert "on_error: quarantine" not in out


def _quality_project(root: Path, quality: list[str]) -> Path:
    config = (
        "name: t\nsources:\n"
        "  clients: {path: data/clients.csv,\n"
        "    columns: {client_id: Case Ref, enrolled_on: Referral Date, prior_episodes: Prior}}\n"
        "  touchpoints:\n    path: data/contacts_*.csv\n"
        "    columns: {touchpoint_id: Contact ID, client_id: Case Ref, started_at: Contact Date,\n"
        "              channel: Channel, quality: Quality}\n"
        "  outcomes: {path: data/outcomes.csv}\n"
    )
    rows = ["Contact ID,Case Ref,Contact Date,Channel,Quality"]
    rows += [f"K{i},C{1 + i % 2},2025-02-{1 + i:02d},phone,{q}" for i, q in enumerate(quality)]
    files = {
        "clients.csv": CLIENTS,
        "contacts_2025-02.csv": "\n".join(rows) + "\n",
        "outcomes.csv": "client_id,outcome,value\nC1,housed,1\nC2,housed,0\n",
    }
    root = _project(root, config, files)
    code, out = _run("import", str(root))
    assert code == 0, out
    return root


def test_a_quality_measure_bound_to_words_is_a_located_error(tmp_path: Path) -> None:
    """ "Good"/"Poor" bound as a 1-5 quality: analyze failed with a database conversion
    message that named nothing the user wrote."""
    root = _quality_project(tmp_path, ["Good", "Poor", "Fair", "Good"])
    code, out = _run("analyze", str(root))
    assert code == 2
    assert "theory.yaml, line 6, column 'nodes.quality.measure'" in out
    assert "[theory-measure-not-numeric]" in out
    assert "touchpoints.quality (column 'Quality' of data/contacts_2025-02.csv)" in out
    assert "holds words, not numbers" in out
    assert "Good" not in out
    assert "Conversion Error" not in out


def test_numbers_outside_a_nodes_declared_scale_are_warned_about(tmp_path: Path) -> None:
    root = _quality_project(tmp_path, ["0", "7", "10", "3"])
    _, out = _run("analyze", str(root))
    assert "warning:" in out
    assert "[theory-measure-off-scale]" in out
    assert "node 'quality' is declared on a 1-5 scale" in out
    assert "runs from 0 to 10" in out
