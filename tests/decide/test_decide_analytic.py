"""Decision analysis against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from decisionframe.decide.allocate import optimal_split, targeting
from decisionframe.decide.evaluate import effect_draws, evaluate_options, gains
from decisionframe.decide.inputs import DecisionInputs, Effect
from decisionframe.decide.voi import measure_next
from tests.decide.hand_inputs import basic_or_better


def _inputs(
    effect: float,
    sd: float,
    *,
    budget: float = 1000.0,
    better_cost: float = 20.0,
    better_level: float = 4.0,
) -> DecisionInputs:
    return basic_or_better(
        Effect("q", effect, sd, 1000, "q -> y"),
        budget=budget,
        population=10_000,
        better_cost=better_cost,
        better_level=better_level,
    )


def test_no_uncertainty_means_no_value_of_information_and_a_hand_margin() -> None:
    inputs = _inputs(0.2, 1e-9)
    theta = effect_draws(inputs, draws=2000, seed=1)
    basic, better = evaluate_options(inputs, theta)
    # basic: 100 clients x (0.5 - 0.3) = 20; better: 50 clients x (0.5 + 0.2 - 0.3) = 20 + ...
    assert basic.gain_mean == pytest.approx(20.0)
    assert better.gain_mean == pytest.approx(50 * 0.4)
    evpi, ranked, _ = measure_next(inputs, theta, {})
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
    evpi, ranked, _ = measure_next(inputs, theta, {"q": "survey q"})
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


def _two_segments(budget: float) -> DecisionInputs:
    """400 clients: segment a (300) gains nothing from better service, b (100) gains 0.4.

    Per client over the baseline (0.3, today 0.5 at q = 3): basic 0.2 everywhere; better
    0.2 in a and 0.6 in b (0.3 on average). basic costs 10, better 20.
    """
    segments = {"a": (0.0, 1e-4), "b": (0.4, 1e-4)}
    effect = Effect("q", 0.1, 1e-9, 400, "q -> y", {"v": segments}, {"v": {"a": 300, "b": 100}})
    return basic_or_better(effect, budget=budget, population=400, segments={"a": 300.0, "b": 100.0})


def test_no_plan_serves_more_clients_than_there_are() -> None:
    """Budget 5,000 buys 500 basic clients, but there are only 400.

    By hand: uniform basic serves 400 (80 outcomes), uniform better 250 (75); the best
    split serves 100 with better and 300 with basic (30 + 60 = 90, all 5,000 spent); the
    best plan targets better to b (100 x 0.6 = 60, 2,000) and basic to a (300 x 0.2 = 60,
    3,000): 120 outcomes.
    """
    from decisionframe.decide.allocate import frontier
    from decisionframe.decide.analyze import decide_from_inputs
    from decisionframe.decide.whatif import what_if

    inputs = _two_segments(5_000.0)
    theta = effect_draws(inputs, draws=2000, seed=0)
    basic, better = evaluate_options(inputs, theta)
    assert basic.clients_served == pytest.approx(400)
    assert basic.gain_mean == pytest.approx(80.0)
    assert better.clients_served == pytest.approx(250)
    assert better.gain_mean == pytest.approx(75.0)
    points = frontier(inputs, theta, cheap=0, better=1)
    assert points[0].gain_mean == pytest.approx(80.0)  # not 500 x 0.2 = 100
    assert points[-1].gain_mean == pytest.approx(75.0)
    top = max(points, key=lambda p: p.gain_mean)
    assert (top.share_on_better, top.gain_mean) == pytest.approx((0.4, 90.0))
    split = optimal_split(inputs, np.array([0.2, 0.3]))
    assert {o: n for _, o, n, _ in split.rows} == pytest.approx({"better": 100, "basic": 300})
    assert split.gain == pytest.approx(90.0)

    result = decide_from_inputs(inputs, objective_label="housed", draws=2000)
    rec = result.recommendation
    assert rec.kind == "targeted"
    assert {(a.segment, a.option): a.clients for a in rec.plan} == pytest.approx(
        {("a", "basic"): 300, ("b", "better"): 100}
    )
    assert rec.outcomes.mean == pytest.approx(120.0, rel=1e-3)
    by_label = {c.label: c for c in rec.candidates}
    assert by_label["'basic' for everyone served (400 clients)"].outcomes.mean == pytest.approx(80)
    split_plan = next(c for c in rec.candidates if c.kind == "split")
    assert split_plan.outcomes.mean == pytest.approx(90.0)
    # every output states the same numbers: options table, frontier, plans, what-if
    for option, plan in zip(result.options, rec.candidates[:2], strict=True):
        assert option.gain_mean == pytest.approx(plan.outcomes.mean)
        assert option.clients_served == pytest.approx(sum(a.clients for a in plan.plan))
    assert what_if(inputs, objective_label="housed", draws=2000) == rec


def test_a_budget_for_everyone_credits_no_one_twice() -> None:
    # 100,000 would buy 5,000 better clients: everyone (400) gets better, 120 outcomes
    inputs = _two_segments(100_000.0)
    theta = effect_draws(inputs, draws=500, seed=0)
    basic, better = evaluate_options(inputs, theta)
    assert (basic.clients_served, better.clients_served) == pytest.approx((400, 400))
    assert better.gain_mean == pytest.approx(120.0)
    from decisionframe.decide.allocate import frontier

    assert max(p.gain_mean for p in frontier(inputs, theta, cheap=0, better=1)) == pytest.approx(
        120.0
    )


def _two_even_segments(a: tuple[float, float], b: tuple[float, float]) -> DecisionInputs:
    """2,000 clients, 1,000 in each of segments a and b; budget 10,000; basic 10 per
    client, better 20. Per client over the baseline (0.3; 0.5 today at q = 3): basic 0.2,
    better 0.2 + the segment's effect of q (0.3 overall)."""
    effect = Effect("q", 0.3, 0.01, 2000, "q -> y", {"v": {"a": a, "b": b}})
    return basic_or_better(
        effect, budget=10_000.0, population=2000, segments={"a": 1000.0, "b": 1000.0}
    )


def test_two_segments_that_clearly_differ_are_targeted_by_hand() -> None:
    """a gains 0.1 from q, b 0.5 (standard errors 0.02: 14 of them apart).

    By hand: basic for 1,000 clients (the budget's worth) gains 200; better for 500,
    0.2 + 0.3 each: 250 (the best plan for everyone, and the best split). Per unit of money
    better in b gains 0.7 / 20 = 0.035, more than basic anywhere (0.02) or better in a
    (0.3 / 20 = 0.015): all 10,000 to better for 500 of b, 500 x 0.7 = 350. Knowing the
    effects would not change that plan: its expected loss is about 0, its gain 100.
    """
    from decisionframe.decide.analyze import decide_from_inputs

    inputs = _two_even_segments((0.1, 0.02), (0.5, 0.02))
    rec = decide_from_inputs(inputs, objective_label="housed", draws=4000).recommendation
    assert rec.kind == "targeted"
    assert {(a.segment, a.option): a.clients for a in rec.plan} == pytest.approx(
        {("b", "better"): 500.0}
    )
    assert rec.outcomes.mean == pytest.approx(350.0, rel=0.02)
    assert rec.runner_up is not None
    assert rec.runner_up.outcomes.mean == pytest.approx(250.0, rel=0.02)
    assert rec.expected_loss < 2.0
    assert "Targeting by v is recommended" in rec.targeting_note


def test_two_segments_within_noise_are_not_targeted_by_hand() -> None:
    """a 0.28, b 0.32, standard errors 0.05: b - a is 0.04 with standard error 0.07, so
    P(b gains more than a) is at most Phi(0.57) = 72% before pooling. The targeted plan
    (better for 500 of b) beats better for a representative 500 exactly when b gains more
    than the average, so with at most 72%, under the 80% required: better for everyone
    (500 x 0.5)."""
    from decisionframe.decide.analyze import decide_from_inputs

    inputs = _two_even_segments((0.28, 0.05), (0.32, 0.05))
    rec = decide_from_inputs(inputs, objective_label="housed", draws=4000).recommendation
    assert rec.kind == "uniform"
    assert rec.plan[0].option == "better"
    assert rec.outcomes.mean == pytest.approx(250.0, rel=0.02)
    assert "not established" in rec.targeting_note
    p = float(rec.targeting_note.split("with probability ")[1].split("%")[0]) / 100
    assert 0.5 < p <= 0.72


def test_best_allocation_per_draw_by_hand() -> None:
    """Two draws of the two-segment world: in the first b gains 0.5 from q and a 0.1, in the
    second the other way round. The best allocation puts the whole budget on better for
    500 of whichever segment gains 0.5: 500 x 0.7 = 350 in both draws."""
    from decisionframe.decide.plans import GainModel, best_per_draw

    inputs = _two_even_segments((0.1, 0.02), (0.5, 0.02))
    gain = np.array([[[0.2, 0.3], [0.2, 0.7]], [[0.2, 0.7], [0.2, 0.3]]])
    model = GainModel("v", ("a", "b"), np.array([1000.0, 1000.0]), gain, ())
    assert best_per_draw(inputs, model, np.array([0, 1])) == pytest.approx([350.0, 350.0])


@pytest.mark.parametrize(("oracle_second", "targeted"), [(110.0, True), (120.0, False)])
def test_targeting_needs_a_gain_at_least_its_expected_loss(
    oracle_second: float, targeted: bool
) -> None:
    """Two equally likely draws. The plan for everyone gains 100 in both; the targeted plan
    110 and 104: 7 more in expectation, and more in both draws (P = 100%). Knowing the
    effects gains 110 in the first draw and ``oracle_second`` in the second, so the
    targeted plan's expected loss is (0 + 6) / 2 = 3 (gain 7 >= 3: target) or
    (0 + 16) / 2 = 8 (gain 7 < 8: do not)."""
    from decisionframe.decide.plans import Candidate, Oracle
    from decisionframe.decide.recommend import recommend

    one = np.ones((1, 2))
    uniform = Candidate("uniform", None, ("all clients",), one, np.array([100.0, 100.0]))
    target = Candidate("targeted", "v", ("a", "b"), np.eye(2), np.array([110.0, 104.0]))
    oracle = Oracle(np.array([0, 1]), np.array([110.0, oracle_second]))
    rec = recommend([uniform, target], {}, oracle, ["basic", "better"], objective_label="y")
    assert (rec.kind == "targeted") is targeted
    by_kind = {c.kind: c for c in rec.candidates}
    assert by_kind["targeted"].expected_loss == pytest.approx((oracle_second - 104.0) / 2)
    assert by_kind["uniform"].expected_loss == pytest.approx((10.0 + oracle_second - 100) / 2)
