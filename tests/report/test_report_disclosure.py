"""Everything the report publishes passes the disclosure layer (issue #13): tables, chart
JSON, hover text and sentences; cells are sized by distinct clients."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from decisionframe.project import Project
from decisionframe.report import build_report
from tests.conftest import append_contacts, make_project

K = 11


def _specs(html: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(m) for m in re.findall(r'draw\("[^"]+", (\{.*?\})\);</script>', html)]


def _one_client_floods_a_new_channel(folder: Path) -> None:
    path = folder / "data" / "contacts.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    template = rows[0]
    for i in range(168):
        rows.append(
            {
                **template,
                "touchpoint_id": f"TX{i:05d}",
                "channel": "social",
                "unit": "<a href=https://evil.example>outreach</a>",
                "need_id": "",
                "reason": "benefit claim",
                "contact_time": f"2025-{1 + i % 12:02d}-{1 + i % 27:02d} 10:00:00",
            }
        )
    for row in rows:  # the flood is the only social contact
        if row["channel"] == "social" and not row["touchpoint_id"].startswith("TX"):
            row["channel"] = "phone"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(template))
        writer.writeheader()
        writer.writerows(rows)


def test_one_clients_contacts_are_a_cell_of_one(sim_cache: Path, tmp_path: Path) -> None:
    folder = make_project(sim_cache, tmp_path / "org", n=1500, seed=8)
    _one_client_floods_a_new_channel(folder)
    project = Project(folder)
    project.import_data()
    project.demand()
    html = build_report(project).read_text()
    social = re.search(r'<tr><th scope="row">social</th>(.*?)</tr>', html)
    assert social is not None
    assert re.findall(r'class="num">([^<]*)<', social.group(1)) == ["suppressed"] * 4
    specs = _specs(html)
    assert specs
    for spec in specs:
        for trace in spec["data"]:
            assert "<a " not in json.dumps(trace.get("x", []))
            assert "<a " not in json.dumps(trace.get("y", []))
    for title in re.findall(r"<figcaption[^>]*>(.*?)</figcaption>", html):
        assert "<a " not in title
        assert "outreach, " not in title  # no control chart of one person


def test_no_chart_count_below_the_cell_size(sim_cache: Path, tmp_path: Path) -> None:
    folder = make_project(sim_cache, tmp_path / "org", n=1500, seed=8)
    project = Project(folder)
    project.import_data()
    project.demand()
    html = build_report(project).read_text()
    checked = 0
    for spec in _specs(html):
        for trace in spec["data"]:
            along = "x" if trace.get("orientation") == "h" else "y"
            axis = spec["layout"].get(f"{along}axis", {}).get("title", {}).get("text", "")
            if axis in ("failure-demand contacts", "needs", "clients"):
                values = [v for v in trace.get(along, []) if v is not None]
                assert not [v for v in values if 0 < v < K], (axis, values)
                checked += 1
    assert checked >= 2
    # "Staff tagged N contacts" counted contacts, not people (#13): no count is printed
    tagged = re.search(r"Staff tagged ([^<]*)</p>", html)
    assert tagged is not None  # the simulator's staff audit trained the classifier
    assert not re.search(r"\d[\d,]* contacts", tagged.group(1)), tagged.group(1)
    # The CLI said "Staff tagged 31 contacts; ... decided 12 contacts": now the report's
    # sentence, made once (demand.published.classifier_sentence).
    from typer.testing import CliRunner

    from decisionframe.cli import app

    shown = CliRunner().invoke(app, ["demand", str(folder)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    said = " ".join(shown.output.split())
    assert "Staff tagged " + tagged.group(1) in said
    assert not re.search(r"Staff tagged \d", said)


def _one_client_bounces_between_units(folder: Path, contacts: int = 60) -> None:
    """One client's need passes back and forth between a usual unit and a new one
    ('annex') on every contact, unresolved: every contact after the first is failure demand
    after a hand-off, and both hand-off pairs with 'annex' are cells of one client."""
    with (folder / "data" / "contacts.csv").open(newline="", encoding="utf-8") as handle:
        unit = next(csv.DictReader(handle))["unit"]  # the first contact's, copied below
    append_contacts(
        folder,
        (
            {
                "touchpoint_id": f"TBOUNCE{i:03d}",
                "unit": "annex" if i % 2 else unit,
                "need_id": "NBOUNCE",
                "resolved": "false",
                "contact_time": f"2025-03-{1 + i // 4:02d} {9 + i % 4:02d}:00:00",
            }
            for i in range(contacts)
        ),
    )


def test_demand_tables_count_distinct_clients(sim_cache: Path, tmp_path: Path) -> None:
    """Rules fired, hand-offs and end-to-end times are sized by distinct clients in the
    report, the web page (the report's context) and --json --publish alike (#13)."""
    from decisionframe.publish import publishable
    from decisionframe.report.build import report_context

    folder = make_project(sim_cache, tmp_path / "org", n=400)
    _one_client_bounces_between_units(folder)
    project = Project(folder)
    project.import_data()
    result = project.demand()
    private = result.handoffs
    annex = private[(private["from_unit"] == "annex") | (private["to_unit"] == "annex")]
    assert len(annex) == 2
    assert set(annex["failure_contacts"]) == {30, 29}
    assert set(annex["clients"]) == {1}
    demand = report_context(project)["demand"]
    for row in demand["handoff_rows"]:
        if "annex" in (row["from_unit"], row["to_unit"]):
            assert row["failure_contacts"] is None
    published = publishable(result, min_cell_size=K)
    annexed = [h for h in published["handoffs"] if "annex" in (h["from_unit"], h["to_unit"])]
    assert annexed
    assert all(h["failure_contacts"] is None for h in annexed)
    for table in ("rules_fired", "handoffs", "end_to_end"):
        assert table not in published["left_out"]
    html = build_report(project).read_text()
    for cells in re.findall(r"<tr><td>[^<]*</td><td>annex</td>(.*?)</tr>", html):
        assert "suppressed" in cells
    for cells in re.findall(r"<tr><td>annex</td><td>[^<]*</td>(.*?)</tr>", html):
        assert "suppressed" in cells
