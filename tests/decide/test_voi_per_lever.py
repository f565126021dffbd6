"""'What to measure next' answers per lever, and says a count no one can collect as such.

A board reader saw the same 'more clients' figure for every lever, and '13 more clients'
beside '79,723 more clients'. Each lever's answer shrinks only that lever's uncertainty, so
levers with different effects and variances get different answers.
"""

from __future__ import annotations

from decisionframe.decide.evaluate import effect_draws
from decisionframe.decide.inputs import DecisionInputs, Effect
from decisionframe.decide.voi import CHOICE_GOAL, clients_words, measure_next
from decisionframe.theory.model import Decision


def _two_levers(sd_q: float, sd_r: float) -> DecisionInputs:
    decision = Decision.model_validate(
        {
            "objective": "y",
            "budget": 1000.0,
            "baseline": 0.3,
            "options": [
                {"id": "basic", "cost_per_client": 10, "set": {"q": 3.0, "r": 0.0}},
                {"id": "better", "cost_per_client": 20, "set": {"q": 4.0, "r": 1.0}},
            ],
        }
    )
    return DecisionInputs(
        decision,
        {
            "q": Effect("q", 0.15, sd_q, 1000, "q -> y"),
            "r": Effect("r", 0.1, sd_r, 400, "r -> y"),
        },
        outcome_now=0.5,
        levels_now={"q": 3.0, "r": 0.0},
        population=10_000,
        segments={},
    )


def test_each_lever_gets_its_own_answer() -> None:
    inputs = _two_levers(0.06, 0.03)
    theta = effect_draws(inputs, draws=20_000, seed=2)
    _, ranked, together = measure_next(inputs, theta, {})
    extra = {m.node: m.extra_clients for m in ranked}
    # the noisier effect alone can settle the choice; the sharper one cannot while q is noisy
    assert extra["q"] is not None
    assert extra["q"] > 0
    assert extra["r"] is None
    assert together is not None
    assert 0 < together < extra["q"]


def test_more_clients_said_one_way_and_capped_in_years() -> None:
    assert clients_words(13, goal="to show the effect is real", per_year=2000) == (
        "about 13 more clients to show the effect is real"
    )
    assert clients_words(79_723, goal=CHOICE_GOAL, per_year=9000) == (
        "about 80,000 more clients for a choice that is 90% sure"
    )
    assert clients_words(79_723, goal=CHOICE_GOAL, per_year=2000) == (
        "more clients than you serve in 10 years for a choice that is 90% sure"
    )
    assert clients_words(0, goal=CHOICE_GOAL, per_year=None) == (
        "none needed for a choice that is 90% sure"
    )


def test_value_of_information_sentence_multiplies_out() -> None:
    """'worth 0.1 outcomes (about 150 at 2,303)' read as 0.1 x 2,303 = 150: both numbers
    to two significant figures, so the product of the printed figures is the printed sum."""
    from dataclasses import replace

    from decisionframe.decide.analyze import decide_from_inputs

    result = decide_from_inputs(_two_levers(0.06, 0.03), objective_label="y", draws=2000)
    small = replace(result, evpi=0.065, evpi_money=0.065 * 2303, cost_per_outcome=2303.0)
    assert small.value_of_information() == (
        "knowing the effects exactly is worth 0.065 outcomes (about 150 at 2,300 per outcome)"
    )
