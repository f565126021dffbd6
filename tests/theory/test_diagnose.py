"""Diagnostics name the variable and say why; a bad draft is answered, never raised."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from decisionframe.simulate.theory_yaml import THEORY_YAML
from decisionframe.theory import TheoryCheck, TheoryDiagnosis, check_draft, check_theory


def _demo() -> dict[str, Any]:
    return dict(yaml.safe_load(THEORY_YAML.format(name="Test")))


def _rules(diagnosis: TheoryDiagnosis) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in diagnosis.diagnostics:
        out.setdefault(d.rule, []).append(d.message)
    return out


def test_demo_theory_mediator_is_named_with_its_path() -> None:
    diagnosis = check_draft(_demo())
    assert diagnosis.valid
    mediators = [d for d in diagnosis.diagnostics if d.rule == "theory-mediator"]
    assert len(mediators) == 1
    (m,) = mediators
    assert m.message.startswith(
        "adjusting for 'trust' would block part of the effect of 'respect' on 'housed_180': "
        "it is a mediator (respect -> trust -> housed_180)"
    )
    assert m.nodes == ("trust",)
    assert m.edges == ("respect -> housed_180",)
    # every assumption says how it is identified, naming the adjustment set
    identified = {
        d.edges[0]: d.message for d in diagnosis.diagnostics if d.rule.startswith("identify-")
    }
    assert identified["respect -> housed_180"] == (
        "respect -> housed_180: back-door: adjust for case_complexity, prior_episodes"
    )
    assert len(identified) == 4


def test_cycle_is_an_error_naming_the_edge() -> None:
    data = _demo()
    data["edges"].append({"from": "trust", "to": "respect"})
    diagnosis = check_draft(data)
    assert not diagnosis.valid
    (cycle,) = [d for d in diagnosis.errors if d.rule == "theory-cycle"]
    assert "respect -> trust -> respect" in cycle.message or "trust -> respect -> trust" in (
        cycle.message
    )
    assert set(cycle.nodes) == {"trust", "respect"}
    assert diagnosis.identifications == ()  # no identification on a cyclic graph


def test_unknown_node_and_bad_kind_name_what_was_written() -> None:
    data = _demo()
    data["edges"].append({"from": "respec", "to": "trust"})
    data["nodes"][0] = {**data["nodes"][0], "kind": "contxt"}
    diagnosis = check_draft(data)
    messages = " | ".join(d.message for d in diagnosis.errors)
    assert "nodes.0.kind" in messages  # pydantic stops first: the kind is reported, located
    fixed = _demo()
    fixed["edges"].append({"from": "respec", "to": "trust"})
    (unknown,) = check_draft(fixed).errors
    assert unknown.rule == "theory-unknown-node"
    assert "'respec'" in unknown.message
    assert "'respect'" in unknown.hint
    assert unknown.edges == ("respec -> trust",)


def test_unknown_measure_against_the_store_catalogue() -> None:
    catalogue = {
        "clients": ["client_id", "case_complexity", "prior_episodes", "case_worker_followup"],
        "touchpoints": ["respect", "explained_next_steps"],  # wait_minutes not loaded
        "outcomes": ["client_id", "outcome", "value"],
    }
    diagnosis = check_draft(_demo(), catalogue=catalogue, outcomes=["housed"])
    (problem,) = diagnosis.errors
    assert problem.rule == "theory-measure-column"
    assert "'wait_minutes'" in problem.message
    assert problem.nodes == ("wait_minutes",)


def test_no_path_from_an_intervention_to_an_outcome() -> None:
    data = _demo()
    data["nodes"].append({"id": "leaflets", "kind": "intervention", "label": "Leaflets"})
    data["edges"].append({"from": "case_complexity", "to": "leaflets"})
    rules = _rules(check_draft(data))
    assert rules["theory-no-path"] == [
        "no path of arrows leads from intervention 'leaflets' to any outcome"
    ]
    data["nodes"].append({"id": "posters", "kind": "intervention"})
    rules = _rules(check_draft(data))
    assert rules["theory-isolated"] == ["'posters' has no arrows: it takes no part in the theory"]


M_BIAS = {
    "nodes": [
        {"id": "a", "kind": "context"},
        {"id": "b", "kind": "context"},
        {"id": "c", "kind": "context", "measure": {"column": "c"}},
        {"id": "t", "kind": "intervention", "measure": {"column": "t"}},
        {"id": "y", "kind": "outcome", "measure": {"column": "y"}},
        {"id": "y_later", "kind": "outcome", "measure": {"column": "y_later"}},
    ],
    "edges": [
        {"from": "a", "to": "t"},
        {"from": "a", "to": "c"},
        {"from": "b", "to": "c"},
        {"from": "b", "to": "y"},
        {"from": "y", "to": "y_later"},
        {"from": "t", "to": "y", "assumption": {"claim": "t helps", "expected": "increase"}},
    ],
}


def test_collider_and_descendant_of_the_outcome_are_named() -> None:
    diagnosis = check_draft(copy.deepcopy(M_BIAS))
    rules = _rules(diagnosis)
    assert rules["identify-backdoor"] == [
        "t -> y: back-door: adjust for nothing (no back-door path)"
    ]
    assert rules["theory-collider"] == [
        "adjusting for 'c' when estimating t -> y would open a non-causal path between 't' "
        "and 'y': it is a collider (a common effect of 'a' and 'b')"
    ]
    assert rules["theory-outcome-descendant"] == [
        "'y_later' is caused by the outcome 'y': adjusting for it when estimating t -> y "
        "would bias the estimate"
    ]
    # without the arrow b -> c, c is no collider: adjusting for it is harmless, no warning
    no_collider = copy.deepcopy(M_BIAS)
    no_collider["edges"] = [e for e in no_collider["edges"] if e != {"from": "b", "to": "c"}]
    assert "theory-collider" not in _rules(check_draft(no_collider))


def test_unidentifiable_assumption_says_what_to_measure() -> None:
    data = copy.deepcopy(M_BIAS)
    data["edges"].append({"from": "a", "to": "y"})  # a confounds t and y, and is unmeasured
    (warning,) = [d for d in check_draft(data).diagnostics if d.rule == "identify-none"]
    assert warning.severity == "warning"
    assert warning.nodes == ("a",)
    assert warning.hint == "measure 'a'"


def test_not_a_mapping_is_an_answer_not_a_crash() -> None:
    assert not check_draft(["nodes"]).valid
    assert not check_draft({"nodes": []}).valid


def test_theory_check_carries_the_diagnostics_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "theory.yaml"
    path.write_text(THEORY_YAML.format(name="Test"))
    result = check_theory(path)
    assert any(d.rule == "theory-mediator" for d in result.diagnostics)
    assert TheoryCheck.from_dict(result.to_dict()) == result
    diagnosis = check_draft(_demo())
    assert TheoryDiagnosis.from_dict(diagnosis.to_dict()) == diagnosis
