"""One recommendation, pooled targeting, costs from one place: analytic cases."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from decisionframe.decide.analyze import decide_from_inputs
from decisionframe.decide.costs import resolve_costs
from decisionframe.decide.inputs import DecisionInputs, Effect
from decisionframe.decide.plans import POOLED, group_estimates, segment_groups
from decisionframe.decide.pooling import pool_segments
from decisionframe.decide.recommend import Recommendation
from decisionframe.decide.voi import clients_to_settle
from decisionframe.errors import NotEstimableError
from decisionframe.theory.model import Decision
from tests.decide.hand_inputs import basic_or_better


def test_equal_segment_estimates_pool_to_the_overall_effect() -> None:
    pooled = pool_segments("q", "v", {"a": (0.05, 0.02), "b": (0.05, 0.03), "c": (0.05, 0.01)})
    assert pooled.tau == 0.0
    for s in pooled.segments:
        assert s.pooled == pytest.approx(0.05)
        # tau is uncertain (three segments say little about it): pulled part of the way,
        # not all of it, and the noisier the estimate the harder
        assert 0.3 < s.shrinkage < 1.0
    a, b, c = (pooled.get(k) for k in "abc")
    assert a is not None
    assert b is not None
    assert c is not None
    assert b.shrinkage > a.shrinkage > c.shrinkage


def test_pooled_posterior_matches_numerical_integration_on_eight_schools() -> None:
    """BDA3's eight schools (section 5.5): the grid posterior of each school's effect
    against an independent integration over tau with scipy's quad."""
    from scipy import integrate

    from decisionframe.decide.pooling import _conditional

    y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
    sigma = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
    pooled = pool_segments("q", "v", {str(i): (y[i], sigma[i]) for i in range(8)})
    mu0, vmu0, _ = _conditional(y, sigma**2, np.zeros(1))
    scale = abs(mu0[0]) + 2 * np.sqrt(vmu0[0])

    def density(tau: float) -> float:
        _, _, loglik = _conditional(y, sigma**2, np.array([tau]))
        return float(np.exp(loglik[0]) / (1 + (tau / scale) ** 2))

    def school_a(tau: float) -> float:
        mu_hat, _, _ = _conditional(y, sigma**2, np.array([tau]))
        b = sigma[0] ** 2 / (sigma[0] ** 2 + tau**2)
        return float(mu_hat[0] + (1 - b) * (y[0] - mu_hat[0]))

    norm = integrate.quad(density, 0, np.inf)[0]
    expected = integrate.quad(lambda t: density(t) * school_a(t), 0, np.inf)[0] / norm
    school = pooled.get("0")
    assert school is not None
    # the grid stops at 10x the prior scale: the half-Cauchy tail beyond it moves little
    assert school.pooled == pytest.approx(expected, abs=0.3)
    # BDA3 table 5.3 (uniform prior on tau): school A's posterior median is about 10
    assert 8 < school.pooled < 13


def test_a_noisy_segment_is_pulled_harder_than_a_precise_one() -> None:
    estimates = {"a": (0.0, 0.01), "b": (0.10, 0.01), "c": (0.05, 0.01), "noisy": (0.3, 0.2)}
    pooled = pool_segments("q", "v", estimates)
    assert pooled.tau > 0.02  # a, b and c really differ
    precise, noisy = pooled.get("b"), pooled.get("noisy")
    assert precise is not None
    assert noisy is not None
    assert noisy.shrinkage > 0.8 > 0.1 > precise.shrinkage
    assert abs(noisy.pooled - pooled.mean) < abs(0.3 - pooled.mean) / 5


def _inputs(segments: dict[str, tuple[float, float]], *, sd: float = 0.01) -> DecisionInputs:
    return basic_or_better(
        Effect("q", 0.3, sd, 4000, "q -> y", {"v": segments}),
        budget=10_000.0,
        population=4000,
        segments=dict.fromkeys(segments, 1000.0),
    )


def test_no_real_differences_means_no_targeted_plan() -> None:
    same = dict.fromkeys("abcd", (0.3, 0.05))
    result = decide_from_inputs(_inputs(same), objective_label="housed", draws=4000)
    rec = result.recommendation
    assert rec.kind == "uniform"
    assert rec.plan[0].option == "better"
    assert "not established" in rec.targeting_note
    assert not rec.rests_on


def test_clear_differences_give_a_targeted_plan_that_names_its_estimates() -> None:
    # better adds 0.6 per client in segment d, nothing elsewhere: serve d with 'better'
    differ = {"a": (0.0, 0.01), "b": (0.0, 0.01), "c": (0.0, 0.01), "d": (0.6, 0.01)}
    result = decide_from_inputs(_inputs(differ), objective_label="housed", draws=4000)
    rec = result.recommendation
    assert rec.kind == "targeted"
    assert {(a.segment, a.option) for a in rec.plan} >= {("d", "better")}
    assert {s.segment for s in rec.rests_on} >= {"d"}
    assert rec.p_beats_runner_up is not None
    assert rec.p_beats_runner_up >= 0.9
    assert "Targeting by v" in rec.targeting_note
    assert Recommendation.from_dict(rec.to_dict()) == rec


def test_the_summary_states_the_recommendation_and_the_break_even() -> None:
    result = decide_from_inputs(_inputs({}), objective_label="housed", draws=2000)
    assert result.summary().startswith(result.recommendation.sentence())
    # basic: 1000 clients at 0.2 over baseline; better 500 at 0.5: break-even 20 points
    qr = result.quality_vs_reach
    assert (qr.good_clients, qr.basic_clients) == (500, 1000)
    assert qr.break_even_points == pytest.approx(20.0, abs=0.5)
    assert qr.raises_by_points.mean == pytest.approx(30.0, abs=0.5)
    assert qr.p_worth_it == pytest.approx(1.0)


class _CostsStore:
    def __init__(self, rows: list[tuple[str, float | None, float | None]]) -> None:
        self._rows = rows

    def table_exists(self, name: str) -> bool:
        return name == "costs"

    def table_columns(self, name: str) -> list[tuple[str, str]]:
        return [("option", "VARCHAR"), ("cost_per_client", "DOUBLE"), ("capacity", "BIGINT")]

    def rows(self, sql: str, params: object = None) -> list[tuple[object, ...]]:
        return list(self._rows)


def test_costs_table_wins_and_a_conflict_names_both_values() -> None:
    decision = _inputs({}).decision
    store = _CostsStore([("basic", 12.0, 500.0), ("better", 20.0, None)])
    options, warnings = resolve_costs(decision, store)  # type: ignore[arg-type]
    assert [(o.cost_per_client, o.capacity, o.cost_source) for o in options] == [
        (12.0, 500.0, "costs table"),
        (20.0, None, "costs table"),
    ]
    assert len(warnings) == 1
    assert "12.00" in warnings[0]
    assert "10.00" in warnings[0]


def test_a_missing_cost_is_an_error_not_zero() -> None:
    decision = Decision.model_validate(
        {"objective": "y", "budget": 1.0, "baseline": 0.1, "options": [{"id": "x"}]}
    )
    with pytest.raises(NotEstimableError, match="no cost per client"):
        resolve_costs(decision, _CostsStore([]))  # type: ignore[arg-type]


def test_clients_to_settle_by_hand() -> None:
    # se 0.01 with 1000 clients; estimate 0.01: exclude 0 needs se 0.0051 -> 3,842 clients
    extra, goal = clients_to_settle(0.01, 0.01, 1000, 0.005)
    assert extra == int(np.ceil(1000 * 1.96**2 - 1000))
    assert "real" in goal
    extra, goal = clients_to_settle(0.0, 0.01, 1000, 0.02)
    assert extra == int(np.ceil(1000 * (1.96 * 0.01 / 0.02) ** 2 - 1000)) or extra == 0
    assert "smaller" in goal


def test_what_if_changes_with_costs_budget_and_effects() -> None:
    from decisionframe.decide.whatif import what_if
    from decisionframe.errors import DecisionframeError

    inputs = _inputs({})
    base = what_if(inputs, draws=2000)
    assert base.plan[0].option == "better"  # 500 x 0.5 = 250 > 1000 x 0.2
    # better at 40 per client serves 250 (125 outcomes) < basic's 200: reach wins
    assert what_if(inputs, costs={"better": 40.0}, draws=2000).plan[0].option == "basic"
    # if quality adds nothing, reach wins
    assert what_if(inputs, effects={"q": (0.0, 0.001)}, draws=2000).plan[0].option == "basic"
    capped = what_if(inputs, capacity={"better": 100.0}, draws=2000)
    assert capped.kind == "split"
    assert {a.option: a.clients for a in capped.plan} == pytest.approx(
        {"better": 100.0, "basic": 800.0}
    )
    assert what_if(inputs, budget=5_000, draws=2000).plan[0].clients == pytest.approx(250)
    with pytest.raises(DecisionframeError, match="option"):
        what_if(inputs, costs={"nope": 1.0})


def test_chance_differences_are_not_targeted() -> None:
    # four segments whose estimates scatter as their standard errors say (z = -1, 0, 0, 1)
    chance = {"a": (0.25, 0.05), "b": (0.3, 0.05), "c": (0.3, 0.05), "d": (0.35, 0.05)}
    rec = decide_from_inputs(_inputs(chance), objective_label="housed", draws=4000)
    assert rec.recommendation.kind == "uniform"
    assert "not established" in rec.recommendation.targeting_note
    assert "expected loss" in rec.recommendation.targeting_note


def test_a_decision_result_round_trips_through_json() -> None:
    import json

    from decisionframe.decide.analyze import DecisionResult

    differ = {"a": (0.0, 0.01), "b": (0.0, 0.01), "c": (0.0, 0.01), "d": (0.6, 0.01)}
    result = decide_from_inputs(_inputs(differ), objective_label="housed", draws=2000)
    again = DecisionResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result


def test_a_small_segment_is_merged_not_targeted_on_its_own() -> None:
    # segment 'tiny' (40 clients) looks hugely better; too few clients for its standard
    # error to be trusted, so it is merged with the other small group and not targeted
    same = dict.fromkeys("abc", (0.3, 0.02))
    inputs = _inputs({**same, "tiny": (1.5, 0.05), "wee": (0.3, 0.3)})
    sizes = {**{k: {"clients": 1300.0} for k in "abc"}, "tiny": {"clients": 40.0}}
    sizes["wee"] = {"clients": 30.0}
    effect = inputs.effects["q"]
    effect = replace(
        effect, segment_n={"v": {"a": 1300, "b": 1300, "c": 1300, "tiny": 40, "wee": 30}}
    )
    inputs = replace(inputs, effects={"q": effect}, segments={"v": sizes})
    groups = segment_groups(inputs, "v", 11)
    assert set(groups) == {"a", "b", "c", POOLED}
    assert groups[POOLED] == 70.0
    # merged: 70 clients, still under the minimum: no estimate of its own
    assert POOLED not in group_estimates(inputs, "q", "v", groups)
    rec = decide_from_inputs(inputs, objective_label="housed", draws=4000).recommendation
    assert rec.kind == "uniform"


def test_a_lever_without_an_estimated_effect_is_left_out_and_said() -> None:
    from decisionframe.decide.inputs import LeftOut

    inputs = _inputs({})
    decision = inputs.decision.model_copy(
        update={
            "options": [
                o.model_copy(update={"set": {**o.set, "w": 5.0 if o.id == "better" else 0.0}})
                for o in inputs.decision.options
            ]
        }
    )
    missing = LeftOut("w", "w -> y", "not identifiable", "motivation is not measured")
    inputs = replace(inputs, decision=decision, left_out=(missing,))
    result = decide_from_inputs(
        inputs, objective_label="housed", draws=2000, collect={"w": "start measuring motivation"}
    )
    rec = result.recommendation
    assert rec.plan[0].option == "better"  # as without w: w adds nothing
    assert [o.lever for o in rec.left_out] == ["w"]
    assert "'w'" in rec.sentence()
    assert "start measuring motivation" in rec.left_out[0].sentence()
    assert Recommendation.from_dict(rec.to_dict()) == rec


def test_the_sentence_says_how_many_clients_the_budget_leaves_unserved() -> None:
    """A new user read "'standard' for ... (1,242 clients) and 'enhanced' for ... (879
    clients)" out of 3,000 and was never told the other 879 get nothing. Budget 30,000:
    'basic' at 10 reaches all 3,000; 'better' at 20 (q worth +0.3 a point) reaches 1,500
    and gains 1,500 x 0.5 = 750 outcomes against 3,000 x 0.2 = 600, so 'better' wins and
    1,500 clients get neither."""
    inputs = basic_or_better(Effect("q", 0.3, 0.01, 4000, "q -> y"), budget=30_000, population=3000)
    rec = decide_from_inputs(inputs, objective_label="housed", draws=2000).recommendation
    assert rec.plan[0].option == "better"
    assert rec.unserved == pytest.approx(1500)
    assert "The budget leaves 1,500 of 3,000 clients without either option." in rec.sentence()
    back = Recommendation.from_dict(rec.to_dict())
    assert back == rec
    assert rec.to_dict()["unserved"] == pytest.approx(1500)
    cheap = basic_or_better(Effect("q", 0.01, 0.01, 4000, "q -> y"), budget=30_000, population=3000)
    rec = decide_from_inputs(cheap, objective_label="housed", draws=2000).recommendation
    assert rec.plan[0].option == "basic"
    assert "budget leaves" not in rec.sentence()  # everyone served
