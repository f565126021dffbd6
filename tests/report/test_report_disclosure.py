"""Everything the report publishes passes the disclosure layer (issue #13): tables, chart
JSON, hover text and sentences; cells are sized by distinct clients."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from decisionframe.project import Project
from decisionframe.report import build_report
from tests.conftest import make_project

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
