"""One rule across a run's effects: Benjamini-Hochberg, worked out by hand."""

from __future__ import annotations

import pytest

from decisionframe.initiatives import InitiativeEffect, Placebos, adjust_for_multiplicity
from decisionframe.initiatives.multiplicity import adjusted_p_values


def test_adjusted_p_values_are_benjamini_hochberg_by_hand() -> None:
    # sorted 0.01, 0.03, 0.04, 0.20 with m = 4: p * m / rank, then the running minimum
    # from the largest down: 0.20, min(0.04*4/3, 0.20), min(0.03*4/2, 0.0533), 0.01*4.
    got = adjusted_p_values([0.01, 0.04, 0.03, 0.20])
    assert got == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])
    assert adjusted_p_values([]) == []


def _effect(measure: str, p: float, estimate: float = 1.0) -> InitiativeEffect:
    low, high = (0.2, 1.8) if p <= 0.05 else (-0.8, 2.8)
    return InitiativeEffect(
        initiative_id="I1",
        name="New process",
        measure=measure,
        design="did",
        why="",
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        p_value=p,
        inference="",
        verdict="",
        sentence="",
        treated_units=3,
        comparison_units=9,
        months_before=12,
        months_after=12,
        placebos=Placebos(),
        hoped="increase",
        meaningful=0.1,
    )


def test_a_lone_five_percent_result_among_many_is_not_called_worked() -> None:
    effects = [_effect("a", 0.001), _effect("b", 0.03), *(_effect(m, 0.5) for m in "cdef")]
    judged, rule = adjust_for_multiplicity(effects)
    verdicts = {e.measure: e.verdict for e in judged}
    # adjusted: a 0.001 * 6 = 0.006; b 0.03 * 6 / 2 = 0.09 > 5%
    assert verdicts["a"] == "worked"
    assert judged[0].p_adjusted == pytest.approx(0.006)
    assert "Benjamini-Hochberg adjusted p 0.006 over 6 effects" in judged[0].sentence
    assert verdicts["b"] == "inconclusive"
    assert judged[1].p_adjusted == pytest.approx(0.09)
    assert "Benjamini-Hochberg" in judged[1].sentence
    assert "6 effects" in rule
    assert "Benjamini-Hochberg" in rule


def test_one_effect_needs_no_correction() -> None:
    judged, rule = adjust_for_multiplicity([_effect("a", 0.03)])
    assert judged[0].verdict == "worked"
    assert judged[0].p_adjusted == pytest.approx(0.03)
    assert "no correction" in rule
