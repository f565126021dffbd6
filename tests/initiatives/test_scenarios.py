"""Initiatives on simulated KPI-only projects (series and initiatives, nothing else)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from decisionframe.cli import app
from decisionframe.initiatives import InitiativesResult
from decisionframe.project import Project
from decisionframe.simulate import simulate_project


def _run(
    tmp_path: Path, scenario: str, seed: int
) -> tuple[InitiativesResult, dict[tuple[str, str], dict]]:
    directory = tmp_path / scenario
    simulate_project(directory, scenario=scenario, seed=seed)
    project = Project(directory)
    project.import_data()
    result = project.initiatives(seed=0)
    truth = json.loads((directory / "truth.json").read_text())
    return result, {(t["initiative_id"], t["measure"]): t for t in truth["initiatives"]}


def test_each_planted_effect_inside_its_interval_with_the_expected_design(tmp_path: Path) -> None:
    result, truth = _run(tmp_path, "staggered-rollout", 2)
    assert {e.design for e in result.initiatives} == {"staggered", "did", "synthetic_control"}
    for e in result.initiatives:
        planted = truth[(e.initiative_id, e.measure)]
        assert e.design == planted["design"]
        assert e.ci_low is not None
        assert e.ci_high is not None
        assert e.ci_low <= planted["effect"] <= e.ci_high, e.sentence
    verdicts = {(e.initiative_id, e.measure): e.verdict for e in result.initiatives}
    assert verdicts[("I1", "failure_share")] == "worked"
    assert verdicts[("I2", "letters_understood")] == "worked"
    assert verdicts[("I1", "satisfaction")] != "worked"


def test_org_wide_change_uses_its_and_finds_it_backfired(tmp_path: Path) -> None:
    result, truth = _run(tmp_path, "org-wide-change", 1)
    for e in result.initiatives:
        assert e.design == "its"
        assert e.ci_low is not None
        assert e.ci_high is not None
        assert e.ci_low <= truth[(e.initiative_id, e.measure)]["effect"] <= e.ci_high
        assert e.verdict == "backfired"
        assert e.placebos.dates  # pretend dates inside the two years before


def test_stable_organization_has_no_initiative_that_worked(tmp_path: Path) -> None:
    result, _ = _run(tmp_path, "stable", 1)
    assert result.initiatives
    assert all(e.verdict != "worked" for e in result.initiatives)
    assert "Benjamini-Hochberg" in result.multiplicity
    assert all(e.p_adjusted is not None for e in result.initiatives if e.p_value is not None)
    again = InitiativesResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result


def test_cli_writes_the_json_contract(tmp_path: Path) -> None:
    directory = tmp_path / "org"
    simulate_project(directory, scenario="org-wide-change", seed=3)
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(directory)]).exit_code == 0
    out = tmp_path / "i.json"
    run = runner.invoke(app, ["initiatives", str(directory), "--json", str(out)])
    assert run.exit_code == 0, run.output
    data = json.loads(out.read_text())
    keys = {
        "initiative_id",
        "measure",
        "design",
        "estimate",
        "ci_low",
        "ci_high",
        "verdict",
        "placebos",
    }
    assert data["initiatives"]
    assert "multiplicity" in data
    for item in data["initiatives"]:
        assert keys <= set(item)


@pytest.mark.parametrize("bad", ["no initiatives"])
def test_project_without_initiatives_says_so(tmp_path: Path, bad: str) -> None:
    directory = tmp_path / "org"
    simulate_project(directory, scenario="org-wide-change", seed=3)
    config = directory / "decisionframe.yaml"
    lines = config.read_text().splitlines(keepends=True)
    config.write_text("".join(line for line in lines if "initiatives" not in line))
    project = Project(directory)
    project.import_data()
    result = project.initiatives()
    assert not result.initiatives
    assert "initiative" in result.summary().lower(), bad


def test_report_section_renders_each_verdict_and_escapes_names(tmp_path: Path) -> None:
    from decisionframe.report.initiatives import initiatives_context, render_initiatives

    result, _ = _run(tmp_path, "org-wide-change", 1)
    data = result.to_dict()
    data["initiatives"][0]["name"] = "<script>x</script>"
    html = render_initiatives(initiatives_context(data))
    assert "<script>x" not in html
    assert "interrupted time series" in html
    assert "backfired" in html
    assert render_initiatives(None).strip() == ""


def test_kpi_only_project_gets_a_report_with_the_initiatives_on_its_first_screen(
    tmp_path: Path,
) -> None:
    from decisionframe.report.build import build_report

    directory = tmp_path / "kpi"
    simulate_project(directory, scenario="staggered-rollout", seed=2)
    project = Project(directory)
    project.import_data()
    result = project.initiatives(seed=0)
    html = build_report(project).read_text()
    assert 'id="initiatives"' in html
    assert "Did the initiatives work?" in html
    worked = {e.name for e in result.initiatives if e.verdict == "worked"}
    assert worked
    answer = html.split('class="initiatives-answer">', 1)[1].split("</p>", 1)[0]
    for name in worked:
        assert name in answer
    assert f"Of {len(result.initiatives)} effects judged" in answer
    assert "No contacts loaded" in html
