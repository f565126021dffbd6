"""The decision the hand-worked decide tests reason about, built in one place.

Two options on one lever q: 'basic' keeps q at 3 (10 a client), 'better' raises it to 4 (20 a
client, unless a test says otherwise). The outcome is 0.5 today and 0.3 without us, so basic
gains 0.2 a client over the baseline and better 0.2 plus q's effect: the numbers the tests'
docstrings work out by hand.
"""

from __future__ import annotations

from decisionframe.decide.inputs import DecisionInputs, Effect
from decisionframe.theory.model import Decision


def basic_or_better(
    effect: Effect,
    *,
    budget: float,
    population: int,
    segments: dict[str, float] | None = None,
    better_cost: float = 20.0,
    better_level: float = 4.0,
) -> DecisionInputs:
    """The inputs for ``effect`` of q; ``segments`` (name -> clients) of the variable 'v'."""
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
        {"q": effect},
        outcome_now=0.5,
        levels_now={"q": 3.0},
        population=population,
        segments={"v": {k: {"clients": n} for k, n in segments.items()}} if segments else {},
    )
