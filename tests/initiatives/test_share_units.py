"""A share's effect is written in percentage points and stays inside what a share can do.

A board reader saw '95% interval -1.5 to +0.29' for a rate: no share can fall by more than
100 points. These hold the initiatives output to the bound and to words with units.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from decisionframe.initiatives import InitiativesResult, evaluate_initiative
from decisionframe.initiatives.designs import estimate_its
from decisionframe.initiatives.panel import Initiative, Panel, Wave, measure_words
from decisionframe.initiatives.placebos import Placebos
from decisionframe.initiatives.verdict import change_words, table_cells

PERIODS = tuple(date(2024, m, 1) for m in range(1, 9))
STARTED = Initiative("I1", "New process", (Wave(date(2024, 6, 1), ()),), (), {})


def _falling_share(seed: int) -> np.ndarray:
    """A one-unit share rising steeply for five months, then near 10% for three."""
    rng = np.random.default_rng(seed)
    pre = np.clip(0.5 + np.linspace(-0.3, 0.3, 5) + rng.normal(0, 0.15, 5), 0, 1)
    post = np.clip(0.1 + rng.normal(0, 0.05, 3), 0, 1)
    return np.concatenate([pre, post])[None, :]


def test_a_share_interval_is_bounded_by_what_a_share_can_do() -> None:
    y = _falling_share(0)
    raw = estimate_its(y.mean(axis=0), 5)
    assert raw.ci_low < -1  # the unbounded interval a reader was shown
    effect = evaluate_initiative(
        STARTED, Panel("one_touch_rate", ("A",), PERIODS, y, "series"), others=[]
    )
    assert effect is not None
    assert effect.estimate is not None
    assert effect.ci_low is not None
    assert effect.ci_high is not None
    post = float(y[0, 5:].mean())
    assert post - 1 - 1e-12 <= effect.ci_low <= effect.estimate <= effect.ci_high <= post
    assert effect.unit == "share"
    assert "percentage points" in effect.sentence
    assert "-2.5" not in effect.sentence
    assert "-250" not in effect.sentence
    est, interval = table_cells(effect.estimate, effect.ci_low, effect.ci_high, effect.unit)
    assert est.endswith(" points")
    assert interval.endswith(" points")


def test_no_estimate_when_the_counterfactual_leaves_zero_to_one() -> None:
    """The trend extended past 100%: the point estimate itself is impossible for a share,
    so the design gives none (never an interval squeezed to one point)."""
    effect = evaluate_initiative(
        STARTED, Panel("one_touch_rate", ("A",), PERIODS, _falling_share(5), "series"), others=[]
    )
    assert effect is not None
    assert effect.estimate is None
    assert effect.verdict == "inconclusive"
    assert "outside 0% to 100%" in effect.sentence


def test_changes_in_words_with_units() -> None:
    one_touch = measure_words("one_touch_rate")
    assert change_words(0.0937, one_touch) == (
        "9.4 percentage points more needs resolved at the first contact"
    )
    assert change_words(-1.24, measure_words("days_to_resolve")) == "fell by 1.2 days"
    assert measure_words("letters_understood", np.array([0.5, 0.7])).unit == "share"
    assert measure_words("satisfaction", np.array([3.5, 4.1])).unit == ""


def test_one_initiative_is_singular() -> None:
    effect = evaluate_initiative(
        STARTED, Panel("one_touch_rate", ("A",), PERIODS, _falling_share(0), "series"), others=[]
    )
    assert effect is not None
    summary = InitiativesResult((effect,)).summary()
    assert summary.startswith("1 initiative, 1 effect:"), summary
    assert isinstance(effect.placebos, Placebos)
