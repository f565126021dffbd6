"""Try to refute an estimate: placebo treatment, random common cause, data subset.

These are DoWhy's three classic refuters, run with our own estimator so the comparison is
like for like (DoWhy's versions re-fit its estimator many times; one re-fit each keeps
`analyze` fast). Each has a pass rule and a plain reading.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from decisionframe.effects.design import Design
from decisionframe.effects.estimate import Estimator, FittedEffect, Interval

SUBSET_FRACTION = 0.8
# A placebo "effect" beyond the 99.9% interval fails the test: one permutation is noisy, and
# a method that really finds effects where none exist gives far larger values than that.
_PLACEBO_Z = 3.29
_SHIFT_LIMIT_SE = 2.0


@dataclass(frozen=True)
class Refutation:
    name: str
    new_effect: Interval
    passed: bool
    reading: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _subset(design: Design, rows: np.ndarray) -> Design:
    return replace(
        design, y=design.y[rows], d=design.d[rows], x=design.x.iloc[rows].reset_index(drop=True)
    )


def _refit(estimator: Estimator, fitted: FittedEffect, design: Design, seed: int) -> Interval:
    """Re-estimate on changed data with the same model families as the original fit."""
    est = fitted.estimate
    refitted = estimator.fit(
        design, estimand=est.estimand, scale=est.scale, seed=seed, learners=fitted.learners
    )
    return refitted.estimate.effect


def placebo_treatment(fitted: FittedEffect, estimator: Estimator, *, seed: int) -> Refutation:
    rng = np.random.default_rng(seed)
    design = replace(fitted.design, d=rng.permutation(fitted.design.d))
    new = _refit(estimator, fitted, design, seed)
    passed = abs(new.estimate) <= _PLACEBO_Z * new.se
    reading = f"With the treatment shuffled at random the 'effect' is {new.estimate:+.3f}, " + (
        "indistinguishable from zero, as it should be."
        if passed
        else "not zero: the method finds effects where none can exist."
    )
    return Refutation("placebo treatment", new, passed, reading)


def random_common_cause(fitted: FittedEffect, estimator: Estimator, *, seed: int) -> Refutation:
    rng = np.random.default_rng(seed + 1)
    design = fitted.design
    x = design.x.assign(_random_cause=rng.normal(size=design.n))
    est = fitted.estimate
    new = _refit(estimator, fitted, replace(design, x=x), seed)
    shift = abs(new.estimate - est.effect.estimate)
    passed = shift <= _SHIFT_LIMIT_SE * est.effect.se
    reading = f"Adding a random made-up cause moves the estimate by {shift:.3f} " + (
        "(within noise)." if passed else "(more than noise: the estimate is unstable)."
    )
    return Refutation("random common cause", new, passed, reading)


def data_subset(fitted: FittedEffect, estimator: Estimator, *, seed: int) -> Refutation:
    rng = np.random.default_rng(seed + 2)
    design = fitted.design
    rows = np.sort(rng.choice(design.n, size=int(design.n * SUBSET_FRACTION), replace=False))
    est = fitted.estimate
    new = _refit(estimator, fitted, _subset(design, rows), seed)
    shift = abs(new.estimate - est.effect.estimate)
    passed = shift <= _SHIFT_LIMIT_SE * est.effect.se
    reading = (
        f"On a random {SUBSET_FRACTION:.0%} of clients the estimate is {new.estimate:+.3f} "
        + ("(consistent)." if passed else "(it changes: the result depends on a few clients).")
    )
    return Refutation("data subset", new, passed, reading)


def refute_effect(
    fitted: FittedEffect, estimator: Estimator, *, seed: int
) -> tuple[Refutation, ...]:
    """Run the three refuters with a cheaper estimator configuration of the same kind."""
    return (
        placebo_treatment(fitted, estimator, seed=seed),
        random_common_cause(fitted, estimator, seed=seed),
        data_subset(fitted, estimator, seed=seed),
    )
