"""Decisions against the simulator's truth: the right plan, one plan everywhere, costs used."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from decisionframe.cli import app
from decisionframe.decide import DecisionResult
from decisionframe.decide.inputs import gather_inputs
from decisionframe.decide.plans import best_allocation
from decisionframe.effects import EvidenceResult
from decisionframe.project import Project
from decisionframe.report import build_report
from decisionframe.runs import latest_run, result_of
from decisionframe.theory import load_theory
from tests.conftest import make_project

HET_CLIENTS = 10_000


def test_existing_scenarios_get_the_right_option(analyzed) -> None:  # type: ignore[no-untyped-def]
    project, _, truth = analyzed
    result = project.decide(draws=4000)
    expected = "enhanced" if truth["scenario"] == "service-matters" else "standard"
    assert result.chosen == expected
    assert {a.option for a in result.recommendation.plan} == {expected}


@pytest.fixture(scope="module")
def het(sim_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Project:
    folder = make_project(
        sim_cache,
        tmp_path_factory.mktemp("het") / "org",
        scenario="service-matters-for-some",
        n=HET_CLIENTS,
        seed=4,
    )
    project = Project(folder)
    project.import_data()
    project.analyze(seed=1)
    return project


def _true_values(project: Project) -> tuple[float, float, dict[tuple[str, str], float]]:
    """(true value of decide's plan, true best value, true gain per client per cell)."""
    truth = json.loads((project.directory / "truth.json").read_text())["decision"]
    result = project.decide(draws=4000)
    with project.open_store(read_only=True) as store:
        theory = load_theory(project.theory_path, store)
        evidence = latest_run(store, "analyze")
        assert evidence is not None
        inputs = gather_inputs(store, theory, result_of(evidence, EvidenceResult))
    segments = list(inputs.segments[truth["segment_variable"]])
    gain = np.array(
        [
            [
                inputs.outcome_now
                - inputs.decision.baseline
                + sum(
                    truth["segment_effects"][n][s] * (v - inputs.levels_now[n])
                    for n, v in o.set.items()
                )
                for o in inputs.options
            ]
            for s in segments
        ]
    )
    sizes = np.array([inputs.segments[truth["segment_variable"]][s]["clients"] for s in segments])
    best = best_allocation(inputs, gain, sizes, segments=tuple(segments))
    cell = {
        (s, o.id): float(gain[i, j])
        for i, s in enumerate(segments)
        for j, o in enumerate(inputs.options)
    }
    rec = result.recommendation
    if rec.kind == "targeted":
        value = sum(a.clients * cell[(a.segment, a.option)] for a in rec.plan)
    else:
        weights = sizes / sizes.sum()
        value = sum(
            a.clients * sum(w * cell[(s, a.option)] for s, w in zip(segments, weights, strict=True))
            for a in rec.plan
        )
    return float(value), float((best * gain).sum()), cell


def test_heterogeneous_scenario_gets_the_true_targeted_plan(het: Project) -> None:
    value, best, _ = _true_values(het)
    rec = het.decide(draws=4000).recommendation
    assert rec.kind == "targeted"
    assert rec.variable == "case_complexity"
    assert {a.segment for a in rec.plan if a.option == "enhanced"} <= {"4", "5"}
    band = (rec.outcomes.high - rec.outcomes.low) / 2
    assert best - value <= max(rec.expected_loss, band), (value, best)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_no_output_can_state_two_different_plans(het: Project, tmp_path: Path) -> None:
    out = tmp_path / "decide.json"
    cli = CliRunner().invoke(
        app, ["decide", str(het.directory), "--draws", "4000", "--json", str(out)]
    )
    assert cli.exit_code == 0, cli.output
    data = json.loads(out.read_text())
    rec = data["recommendation"]
    sentence = DecisionResult.from_dict(data).recommendation.sentence()
    assert set(rec) >= {"plan", "kind", "outcomes", "p_best", "runner_up", "margin"}
    assert data["summary"].startswith(sentence)
    assert sentence in _flat(cli.output)
    assert _flat(cli.output).count("Choose ") == 1
    page = build_report(het).read_text()

    # The report words the plan with the theory's labels (#17): the first screen and the
    # decision section carry that one sentence, and it names the recommended option.
    def said(css_class: str) -> str:
        start = page.index(f'<p class="{css_class}">') + len(f'<p class="{css_class}">')
        return page[start : page.index("</p>", start)]

    worded = said("plan-sentence")
    assert said("decision-sentence") == worded
    assert worded.startswith("Choose ")
    for option in {a["option"] for a in rec["plan"]}:
        assert f"&#39;{option}&#39;" in worded
    # The first screen and the decision section, the same sentence, and nowhere another plan.
    assert page.count("Choose ") == 2


def test_a_changed_costs_file_changes_the_decision(het: Project) -> None:
    before = het.decide(draws=4000).recommendation
    costs = het.directory / "data" / "costs.csv"
    original = costs.read_text()
    try:
        costs.write_text(original.replace("800", "3000"))
        # analyze does not read the costs table (runs._READS), so its evidence stays
        # current and decide must pick the new costs up by itself
        het.import_data()
        after = het.decide(draws=4000)
    finally:
        costs.write_text(original)
    assert after.recommendation.plan != before.plan
    assert after.chosen == "standard"
    assert any("3,000.00" in w and "800.00" in w for w in after.cost_warnings)
