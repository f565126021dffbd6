"""Every theory error names the file, the line and gives a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from decisionframe.errors import TheoryError
from decisionframe.project import Project
from decisionframe.theory import load_theory

BASE = """\
nodes:
  - id: cx
    kind: context
    measure: {table: clients, column: case_complexity}
  - id: respect
    kind: service_quality
    measure: {table: touchpoints, column: respect, aggregate: mean, within_days: 90}
  - id: housed
    kind: outcome
    measure: {table: outcomes, outcome: housed, at_day: 180}
edges:
  - {from: cx, to: respect}
  - {from: cx, to: housed}
  - from: respect
    to: housed
    assumption:
      claim: Respect keeps people housed
      expected: increase
      prior: {mean: 0.05, sd: 0.05}
"""


def _problems(tmp_path: Path, text: str, store_dir: Path | None = None) -> list:  # type: ignore[type-arg]
    path = tmp_path / "theory.yaml"
    path.write_text(text)
    if store_dir is None:
        with pytest.raises(TheoryError) as info:
            load_theory(path)
    else:
        with (
            Project(store_dir).open_store(read_only=True) as store,
            pytest.raises(TheoryError) as info,
        ):
            load_theory(path, store)
    for problem in info.value.problems:
        assert problem.file.endswith("theory.yaml")
        assert problem.line is not None
        assert problem.hint
    return info.value.problems


def test_base_theory_is_valid(tmp_path: Path) -> None:
    (tmp_path / "theory.yaml").write_text(BASE)
    assert len(load_theory(tmp_path / "theory.yaml").nodes) == 3


def test_unknown_node_in_edge(tmp_path: Path) -> None:
    [problem] = _problems(
        tmp_path, BASE.replace("{from: cx, to: respect}", "{from: cxx, to: respect}")
    )
    assert problem.rule == "theory-unknown-node"
    assert problem.line == 12
    assert "'cx'" in problem.hint


def test_cycle_is_shown(tmp_path: Path) -> None:
    text = BASE.replace(
        "  - {from: cx, to: housed}\n",
        "  - {from: cx, to: housed}\n  - {from: housed, to: respect}\n",
    )
    problems = _problems(tmp_path, text)
    cycle = next(p for p in problems if p.rule == "theory-cycle")
    assert (
        "respect -> housed -> respect" in cycle.message
        or "housed -> respect -> housed" in cycle.message
    )


def test_context_cannot_be_an_effect_of_service(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, BASE.replace("{from: cx, to: respect}", "{from: respect, to: cx}")
    )
    assert any(p.rule == "theory-kind" and "context" in p.message for p in problems)


def test_assumption_without_expected(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, BASE.replace("      expected: increase\n", ""))
    assert problem.column == "edges.2.assumption.expected"
    assert "increase" in problem.hint
    assert problem.line == 16


def test_prior_with_non_positive_sd(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, BASE.replace("sd: 0.05", "sd: 0"))
    assert problem.rule == "theory-prior-sd"
    assert problem.line == 19


def test_option_that_sets_a_non_cause(tmp_path: Path) -> None:
    text = (
        BASE
        + """decision:
  objective: housed
  budget: 1000
  baseline: 0.3
  options:
    - {id: a, cost_per_client: 10, set: {respect: 3}}
    - {id: b, cost_per_client: 20, set: {housed: 1}}
"""
    )
    [problem] = _problems(tmp_path, text)
    assert problem.rule == "theory-option-not-a-cause"
    assert "'housed'" in problem.message
    assert problem.line == 26


def test_measure_not_in_store_lists_close_matches(tmp_path: Path, project_dir: Path) -> None:
    Project(project_dir).import_data()
    text = BASE.replace("column: respect", "column: respekt").replace(
        "outcome: housed,", "outcome: housd,"
    )
    problems = _problems(tmp_path, text, store_dir=project_dir)
    by_rule = {p.rule: p for p in problems}
    assert "respect" in by_rule["theory-measure-column"].hint
    assert by_rule["theory-measure-column"].line == 7
    assert "housed" in by_rule["theory-measure-outcome"].hint
