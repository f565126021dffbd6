"""Decision analysis against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from decisionframe.decide.allocate import optimal_split, targeting
from decisionframe.decide.evaluate import effect_draws, evaluate_options, gains
from decisionframe.decide.inputs import DecisionInputs, Effect
from decisionframe.decide.voi import measure_next
from decisionframe.theory.model import Decision


def _inputs(
    effect: float,
    sd: float,
    *,
    budget: float = 1000.0,
    better_cost: float = 20.0,
    better_level: float = 4.0,
) -> DecisionInputs:
    decision = Decision.model_validate(
        {
            "objective": "y",
            "budget": budget,
            "baseline": 0.3,
            "options": [
                {"id": "basic", "cost_per_client": 10, "set": {"q": 3.0}},
                {"id": "better", "cost_per_client": better_cost, "set": {"q": better_level}},
            ],
        }
    )
    return DecisionInputs(
        decision,
        {"q": Effect("q", effect, sd, 1000, "q -> y")},
        outcome_now=0.5,
        levels_now={"q": 3.0},
        population=10_000,
        segments={},
    )


def test_no_uncertainty_means_no_value_of_information_and_a_hand_margin() -> None:
    inputs = _inputs(0.2, 1e-9)
    theta = effect_draws(inputs, draws=2000, seed=1)
    basic, better = evaluate_options(inputs, theta)
    # basic: 100 clients x (0.5 - 0.3) = 20; better: 50 clients x (0.5 + 0.2 - 0.3) = 20 + ...
    assert basic.gain_mean == pytest.approx(20.0)
    assert better.gain_mean == pytest.approx(50 * 0.4)
    evpi, ranked = measure_next(inputs, theta, {})
    assert evpi == pytest.approx(0.0, abs=1e-6)
    assert ranked[0].evppi == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(("effect", "winner"), [(0.1, "basic"), (0.3, "better")])
def test_reach_wins_unless_quality_more_than_doubles_the_gain(effect: float, winner: str) -> None:
    # better costs twice as much; its gain over baseline is 0.2 + effect vs 0.2 for basic
    inputs = _inputs(effect, 1e-9)
    results = evaluate_options(inputs, effect_draws(inputs, draws=500, seed=0))
    best = max(results, key=lambda r: r.gain_mean)
    assert best.option == winner
    assert best.p_best == pytest.approx(1.0)


def test_uncertain_close_call_has_positive_value_of_information() -> None:
    inputs = _inputs(0.2, 0.1)
    theta = effect_draws(inputs, draws=20_000, seed=3)
    evpi, ranked = measure_next(inputs, theta, {"q": "survey q"})
    g = gains(inputs, theta)
    assert evpi > 0
    assert ranked[0].evppi == pytest.approx(evpi, rel=1e-9)  # one effect: EVPPI = EVPI
    assert ranked[0].collect == "survey q"
    assert evpi == pytest.approx(g.max(axis=1).mean() - g.mean(axis=0).max())


def test_same_seed_same_result() -> None:
    inputs = _inputs(0.2, 0.1)
    a = evaluate_options(inputs, effect_draws(inputs, draws=1000, seed=5))
    b = evaluate_options(inputs, effect_draws(inputs, draws=1000, seed=5))
    assert a == b


def test_budget_split_with_capacity_by_hand() -> None:
    inputs = _inputs(0.3, 1e-9)
    # per client: basic 0.2, better 0.5; better is capped at 30 clients
    capped = inputs.decision.model_copy(
        update={
            "options": [
                inputs.decision.options[0],
                inputs.decision.options[1].model_copy(update={"capacity": 30}),
            ]
        }
    )
    split = optimal_split(
        DecisionInputs(capped, inputs.effects, 0.5, {"q": 3.0}, 10_000, {}), np.array([0.2, 0.5])
    )
    clients = {option: n for _, option, n, _ in split.rows}
    # better first: 30 x 20 = 600 spent; the remaining 400 buys 40 basic clients
    assert clients == pytest.approx({"better": 30.0, "basic": 40.0})
    assert split.gain == pytest.approx(30 * 0.5 + 40 * 0.2)


def test_two_segment_targeting_by_hand() -> None:
    inputs = _inputs(0.1, 1e-9, budget=1000.0)
    # segment a gains 0.2 (basic) or 0.25 (better); segment b gains 0.2 or 0.6
    table = {"a": np.array([0.2, 0.25]), "b": np.array([0.2, 0.6])}
    plan = targeting(inputs, table, {"a": 100.0, "b": 30.0})
    got = {(s, o): n for s, o, n, _ in plan.rows}
    # b gets better service (30 x 20 = 600), the remaining 400 serves 40 of a with basic
    assert got == pytest.approx({("b", "better"): 30.0, ("a", "basic"): 40.0})
    assert plan.gain == pytest.approx(30 * 0.6 + 40 * 0.2)
