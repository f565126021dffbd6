"""The messy case-system export of issue #14, generated here, imports with a config alone."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from decisionframe.cli import app
from decisionframe.errors import ImportValidationError
from decisionframe.project import Project

ISSUE_CONFIG = """name: Messy export
sources:
  clients: {path: data/cases.csv, encoding: latin-1, date_format: '%d/%m/%Y',
            columns: {client_id: Case Ref, enrolled_on: Referral Date}}
  touchpoints:
    path: data/contacts_*.csv
    date_format: ['%d/%m/%Y %H:%M', '%d/%m/%Y']
    columns: {touchpoint_id: Contact ID, client_id: Case Ref, started_at: Contact Date,
              channel: Channel, respect: Respect Score}
    values: {channel: {Walk-in: in_person, Phone: phone, Email: email}}
  outcomes: {path: data/outcomes.xlsx, sheet: Outcomes, values: {value: {'Yes': 1, 'No': 0}}}
"""

CHANNELS = ("Phone", "Walk-in", "Email")
START = datetime(2025, 1, 1, 9, 0)


def write_messy_export(root: Path, *, clients: int = 60, months: int = 3) -> dict[str, int]:
    """Cases (latin-1, dd/mm/yyyy), monthly contact files, an .xlsx of Yes/No outcomes."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    refs = [f"CR-{i:04d}" for i in range(clients)]
    lines = ["Case Ref,Referral Date,Worker\n"]
    for i, ref in enumerate(refs):
        day = START + timedelta(days=i % 28)
        lines.append(f"{ref},{day:%d/%m/%Y},Zoë Müller-{i % 3}\n")  # non-ASCII names
    (data / "cases.csv").write_bytes("".join(lines).encode("latin-1"))
    contacts = 0
    for month in range(months):
        rows = ["Contact ID,Case Ref,Contact Date,Channel,Respect Score\n"]
        for i, ref in enumerate(refs):
            when = datetime(2025, month + 1, 1 + i % 28, 8 + i % 9, (7 * i) % 60)
            written = f"{when:%d/%m/%Y %H:%M}" if i % 4 else f"{when:%d/%m/%Y}"
            rows.append(f"K{month}-{i},{ref},{written},{CHANNELS[i % 3]},{i % 5 + 1}\n")
            contacts += 1
        (data / f"contacts_2025-{month + 1:02d}.csv").write_text("".join(rows), "utf-8")
    outcomes = pd.DataFrame(
        {
            "client_id": refs,
            "outcome": "housed",
            "value": ["Yes" if i % 3 else "No" for i in range(clients)],
        }
    )
    with pd.ExcelWriter(data / "outcomes.xlsx") as writer:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(writer, sheet_name="Cover", index=False)
        outcomes.to_excel(writer, sheet_name="Outcomes", index=False)
    (root / "decisionframe.yaml").write_text(ISSUE_CONFIG, "utf-8")
    return {"clients": clients, "touchpoints": contacts, "outcomes": clients}


def test_the_issue_config_imports_the_messy_export_verbatim(tmp_path: Path) -> None:
    expected = write_messy_export(tmp_path)
    result = Project(tmp_path).import_data()
    assert {t.table: t.rows for t in result.tables} == expected
    notes = "\n".join(result.notes)
    assert "'Respect Score' -> respect" in notes
    assert "'Worker' -> worker" in notes
    with Project(tmp_path).open_store(read_only=True) as store:
        channels = dict(store.rows("SELECT channel, count(*) FROM touchpoints GROUP BY 1"))
        first = store.rows("SELECT min(started_at), max(started_at) FROM touchpoints")[0]
        values = dict(store.rows("SELECT value, count(*) FROM outcomes GROUP BY 1"))
        enrolled = store.rows("SELECT min(enrolled_on) FROM clients")[0][0]
        respect = store.rows("SELECT sum(respect) FROM touchpoints")[0][0]
    assert set(channels) == {"phone", "in_person", "email"}
    assert first[0] == datetime(2025, 1, 1, 0, 0)  # a date-only contact reads as midnight
    assert first[1] < datetime(2025, 4, 1)
    assert values == {1.0: 40, 0.0: 20}
    assert enrolled.isoformat() == "2025-01-01"
    assert respect == sum((i % 5 + 1) for i in range(60)) * 3


def test_monthly_files_append_change_and_go(tmp_path: Path) -> None:
    write_messy_export(tmp_path)
    project = Project(tmp_path)
    project.import_data()
    assert project.import_data().unchanged
    data = tmp_path / "data"
    february = data / "contacts_2025-02.csv"
    february.write_text("\n".join(february.read_text().splitlines()[:11]) + "\n")
    (data / "contacts_2025-03.csv").unlink()
    result = project.import_data()
    notes = "\n".join(result.notes)
    assert "contacts_2025-02.csv: changed; replaced its rows with 10 rows" in notes
    assert "contacts_2025-03.csv: removed; its 60 rows are gone" in notes
    touchpoints = next(t for t in result.tables if t.table == "touchpoints")
    assert touchpoints.rows == 70
    assert {f.path: f.change for f in touchpoints.files} == {
        "data/contacts_2025-01.csv": "unchanged",
        "data/contacts_2025-02.csv": "changed",
    }
    status = project.status()
    assert sum(t.rows for t in status.tables if t.table == "touchpoints") == 70


def test_channels_spelled_as_in_the_export_are_accepted(tmp_path: Path) -> None:
    write_messy_export(tmp_path)
    config = ISSUE_CONFIG.replace(
        "    values: {channel: {Walk-in: in_person, Phone: phone, Email: email}}\n", ""
    )
    config += "channels: [Phone, Walk-in, Email, Web form]\n"
    (tmp_path / "decisionframe.yaml").write_text(config, "utf-8")
    Project(tmp_path).import_data()
    with Project(tmp_path).open_store(read_only=True) as store:
        channels = {r[0] for r in store.rows("SELECT DISTINCT channel FROM touchpoints")}
    assert channels == {"phone", "walk-in", "email"}


def test_a_refused_import_groups_problems_and_writes_json(tmp_path: Path) -> None:
    write_messy_export(tmp_path)
    config = ISSUE_CONFIG.replace("    date_format: ['%d/%m/%Y %H:%M', '%d/%m/%Y']\n", "")
    config = config.replace(
        "    values: {channel: {Walk-in: in_person, Phone: phone, Email: email}}\n", ""
    )
    config = config.replace(", values: {value: {'Yes': 1, 'No': 0}}", "")
    (tmp_path / "decisionframe.yaml").write_text(config, "utf-8")
    with pytest.raises(ImportValidationError) as info:
        Project(tmp_path).import_data()
    problems = info.value.problems
    (date,) = [p for p in problems if p.column == "Contact Date"]
    # Mixed layouts: no single format fits, so the values are refused: said once for the
    # three monthly files (#141), each file's problem kept with its lines.
    assert [p.file for p in date.by_file] == [f"data/contacts_2025-0{m}.csv" for m in (1, 2, 3)]
    assert all(p.count == 60 and "NN/NN/NNNN" in p.message for p in date.by_file)
    assert date.count == 180
    assert "in 3 files" in str(info.value)
    assert "date_format: ['%d/%m/%Y %H:%M', '%d/%m/%Y']" in date.hint
    channel = next(p for p in problems if p.rule == "unknown-channel")
    assert "Walk-in (60)" in channel.message  # over the three files
    assert channel.count == 60
    value = next(p for p in problems if p.column == "value")
    assert "'Yes': 1" in value.hint
    assert "Yes (40)" in value.message
    assert len(str(info.value).splitlines()) < 15
    assert "CR-0" not in str(info.value)
    assert "K0-" not in str(info.value)
    out = tmp_path / "refused.json"
    runner = CliRunner()
    ran = runner.invoke(app, ["import", str(tmp_path), "--json", str(out)])
    assert ran.exit_code == 2
    written = json.loads(out.read_text())
    assert written["refused"] is True
    assert sum(p["count"] for p in written["problems"]) == sum(p.count for p in problems)
    assert len(next(p for p in written["problems"] if p["column"] == "Contact Date")["lines"]) == 60


def test_ambiguous_dates_are_refused_with_both_readings(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "clients.csv").write_text("client_id,enrolled_on\nA,03/04/2025\nB,05/06/2025\n")
    (tmp_path / "decisionframe.yaml").write_text(
        "name: x\nsources:\n  clients: {path: data/clients.csv}\n"
    )
    with pytest.raises(ImportValidationError) as info:
        Project(tmp_path).import_data()
    (problem,) = info.value.problems
    assert problem.rule == "ambiguous-date-format"
    assert "03 April 2025" in problem.message
    assert "04 March 2025" in problem.message
    (data / "clients.csv").write_text("client_id,enrolled_on\nA,03/04/2025\nB,25/06/2025\n")
    result = Project(tmp_path).import_data()
    assert any("'%d/%m/%Y' (detected)" in n for n in result.notes)
