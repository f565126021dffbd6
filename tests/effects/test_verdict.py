"""Verdict rules and the normal-normal update, on hand-made estimates."""

from __future__ import annotations

import math

import pytest

from decisionframe.effects.estimate import EffectEstimate, Interval
from decisionframe.effects.refute import Refutation
from decisionframe.effects.sensitivity import Sensitivity
from decisionframe.effects.verdict import judge, update
from decisionframe.theory.model import Assumption


def _assumption(expected: str = "increase", min_effect: float = 0.02) -> Assumption:
    return Assumption.model_validate(
        {
            "claim": "c",
            "expected": expected,
            "prior": {"mean": 0.05, "sd": 0.05},
            "min_effect": min_effect,
        }
    )


def _estimate(value: float, se: float) -> EffectEstimate:
    return EffectEstimate(
        "ATE", Interval.normal(value, se), Interval.normal(0.1, 0.01), 1000, "test", 1.0
    )


OK = (Refutation("placebo treatment", Interval.normal(0, 1), True, ""),)
FAIL = (Refutation("placebo treatment", Interval.normal(0.2, 0.01), False, ""),)
ROBUST = Sensitivity(0.2, 0.1, 0.01, False, "")
WEAK = Sensitivity(0.005, 0.002, 0.01, True, "")


@pytest.mark.parametrize(
    ("expected", "value", "se", "refutations", "sensitivity", "verdict"),
    [
        ("increase", 0.05, 0.01, OK, ROBUST, "supported"),
        ("increase", -0.05, 0.01, OK, ROBUST, "contradicted"),
        ("decrease", 0.05, 0.01, OK, ROBUST, "contradicted"),
        ("increase", 0.001, 0.005, OK, ROBUST, "no detectable effect"),
        ("none", 0.001, 0.005, OK, ROBUST, "supported"),
        ("increase", 0.01, 0.02, OK, ROBUST, "inconclusive"),
        ("increase", 0.05, 0.01, FAIL, ROBUST, "fragile"),
        ("increase", 0.05, 0.01, OK, WEAK, "fragile"),
    ],
)
def test_verdict_rules(
    expected: str,
    value: float,
    se: float,
    refutations: tuple[Refutation, ...],
    sensitivity: Sensitivity,
    verdict: str,
) -> None:
    result = judge(
        _assumption(expected),
        _estimate(value, se),
        refutations,
        sensitivity,
        treatment="t",
        outcome="y",
        unit="per unit",
    )
    assert result.verdict == verdict
    assert result.sentence.startswith("c: ")
    assert result.advice


def test_normal_normal_update_matches_closed_form() -> None:
    posterior = update(_assumption(), _estimate(0.01, 0.05), 0.02)
    # equal precisions: posterior mean is the average, sd shrinks by sqrt(2)
    assert posterior.mean == pytest.approx(0.03)
    assert posterior.sd == pytest.approx(0.05 / math.sqrt(2))
    z = 0.03 / (0.05 / math.sqrt(2))
    assert posterior.p_expected_direction == pytest.approx(0.5 * (1 + math.erf(z / math.sqrt(2))))
