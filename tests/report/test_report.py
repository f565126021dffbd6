"""The report: right verdicts on the first screen, data shown as text, privacy kept."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from decisionframe.errors import ProjectError
from decisionframe.project import Project
from decisionframe.report import build_report
from tests.conftest import make_project


def _first_screen(html: str) -> str:
    start = html.index('<header class="hero"')
    return html[start : html.index("</section>", start)]


def test_first_screen_states_the_right_verdicts(analyzed) -> None:  # type: ignore[no-untyped-def]
    project, _, truth = analyzed
    project.decide(draws=4000)
    project.demand()
    html = build_report(project).read_text()
    screen = _first_screen(html)
    matters = truth["scenario"] == "service-matters"
    expected = "supported" if matters else "no detectable effect"
    assert f'data-edge="respect -&gt; housed_180" data-verdict="{expected}"' in screen
    assert "per point on" not in screen
    assert "respect -> housed_180</" not in screen
    assert "For each point more on the 1-5 respect rating" in screen
    assert ("Choose &#39;enhanced&#39;" if matters else "Choose &#39;standard&#39;") in screen
    assert "benefits_processing" in screen


def _rewrite(path: Path, column: str, value: str, rows: int = 50) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        data = list(csv.DictReader(handle))
    for row in data[:rows]:
        row[column] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows(data)


def test_markup_in_the_data_is_shown_as_text(sim_cache: Path, tmp_path: Path) -> None:
    folder = make_project(sim_cache, tmp_path / "org", n=1500, seed=8)
    data = folder / "data"
    _rewrite(data / "contacts.csv", "unit", "<script>alert('unit')</script>", rows=400)
    _rewrite(data / "contacts.csv", "waiting_on", "<img src=x onerror=alert(1)>", rows=400)
    _rewrite(data / "contacts.csv", "reason", "<b>bold reason</b>")
    _rewrite(data / "initiatives.csv", "name", "<i>Training</i><script>alert(2)</script>")
    theory = folder / "theory.yaml"
    theory.write_text(
        theory.read_text().replace(
            "question: Does how", "question: <script>alert('q')</script> Does how"
        )
    )
    project = Project(folder)
    project.import_data()
    project.demand()
    html = build_report(project).read_text()
    body = html[html.index("<body>") :]
    for raw in ("<script>alert", "<img src=x", "<b>bold", "<i>Training"):
        assert raw not in body
    assert "&lt;script&gt;alert(&#39;q&#39;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    # every script tag in the body is ours: a chart call
    for script in re.findall(r"<script>(.*?)</script>", body, flags=re.S):
        assert script.startswith("draw(")


def test_report_has_no_identifiers_or_feedback_text(analyzed) -> None:  # type: ignore[no-untyped-def]
    project, _, _ = analyzed
    html = build_report(project).read_text()
    clients = (project.directory / "data" / "clients.csv").read_text().splitlines()[1:50]
    for line in clients:
        assert line.split(",")[0].strip('"') not in html
    assert "nobody called me back" not in html  # simulated feedback text


def test_report_needs_a_run(project_dir: Path) -> None:
    Project(project_dir).import_data()
    with pytest.raises(ProjectError, match="analyze"):
        build_report(Project(project_dir))


def test_demand_alone_needs_no_theory(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    (project_dir / "theory.yaml").unlink()
    project.demand()
    html = build_report(project).read_text()
    assert "No impact theory yet" in _first_screen(html)
    assert 'id="theory"' not in html
    assert "Where does the work go wrong? Failure demand" in html
