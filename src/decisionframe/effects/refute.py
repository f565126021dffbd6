"""Try to refute an estimate: placebo treatment, random common cause, data subset.

These are DoWhy's three classic refuters, run with our own estimator so the comparison is
like for like: each re-fit uses the estimate's own overlap-trimmed sample, its folds (the
first of its repeated splits) and its stacked learners, so it tests the estimate and not a
different one. On more than ``REFUTE_ROWS`` clients the refuters run on a seeded sample of
the estimate's clients and compare with that sample's own estimate (said in each reading).
A refuter that cannot run says "could not run" and why; that is not a failure and does not
on its own make a verdict fragile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

from decisionframe.effects.design import Design
from decisionframe.effects.estimate import Estimator, FitPlan, FittedEffect, Interval

SUBSET_FRACTION = 0.8
# Refuters re-fit the model three times; on more clients than this they run on a seeded
# sample of the estimate's clients (a refuter asks whether the method is stable, which a
# sample this size shows as well as 100k clients, at a fifth of the cost).
REFUTE_ROWS = 20_000
# A placebo "effect" beyond the 99.9% interval fails the test: one permutation is noisy, and
# a method that really finds effects where none exist gives far larger values than that.
_PLACEBO_Z = 3.29
_SHIFT_LIMIT_SE = 2.0
RefutationStatus = Literal["passed", "failed", "could not run"]


class CouldNotRun(Exception):
    """A refuter's re-fit gave no usable number (the reason is its message)."""


@dataclass(frozen=True)
class Refutation:
    name: str
    new_effect: Interval | None
    passed: bool
    reading: str
    status: RefutationStatus = "passed"

    def __post_init__(self) -> None:
        if not self.passed and self.status == "passed":
            object.__setattr__(self, "status", "failed")  # built as (name, effect, False, text)

    @property
    def ran(self) -> bool:
        return self.status != "could not run"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Refutation:
        effect = data.get("new_effect")
        passed = bool(data["passed"])
        return cls(
            data["name"],
            Interval.from_dict(effect) if effect else None,
            passed,
            data["reading"],
            data.get("status", "passed" if passed else "failed"),
        )


def _result(name: str, new: Interval, passed: bool, reading: str) -> Refutation:
    return Refutation(name, new, passed, reading, "passed" if passed else "failed")


def _subset(design: Design, rows: np.ndarray) -> Design:
    return replace(
        design, y=design.y[rows], d=design.d[rows], x=design.x.iloc[rows].reset_index(drop=True)
    )


def _plan(fitted: FittedEffect) -> FitPlan:
    if fitted.plan is None:
        raise CouldNotRun("the estimate kept no record of its sample and folds")
    return fitted.plan.first()


def _refit(
    estimator: Estimator, fitted: FittedEffect, design: Design, seed: int, plan: FitPlan
) -> Interval:
    """Re-estimate on changed data with the estimate's rows, folds and learners."""
    est = fitted.estimate
    refitted = estimator.fit(
        design,
        estimand=est.estimand,
        scale=est.scale,
        seed=seed,
        learners=fitted.learners,
        plan=plan,
    )
    new = refitted.estimate.effect
    if not (np.isfinite(new.estimate) and np.isfinite(new.se)):
        raise CouldNotRun("the re-fit gave no finite estimate (too few clients in an arm)")
    return new


def placebo_treatment(fitted: FittedEffect, estimator: Estimator, *, seed: int) -> Refutation:
    plan = _plan(fitted)
    rng = np.random.default_rng(seed)
    d = fitted.design.d.copy()
    kept = np.nonzero(plan.keep)[0]
    d[kept] = rng.permutation(d[kept])  # shuffled among the estimate's own clients
    new = _refit(estimator, fitted, replace(fitted.design, d=d), seed, plan)
    passed = abs(new.estimate) <= _PLACEBO_Z * new.se
    reading = f"With the treatment shuffled at random the 'effect' is {new.estimate:+.3f}, " + (
        "indistinguishable from zero, as it should be."
        if passed
        else "not zero: the method finds effects where none can exist."
    )
    return _result("placebo treatment", new, passed, reading)


def random_common_cause(fitted: FittedEffect, estimator: Estimator, *, seed: int) -> Refutation:
    plan = _plan(fitted)
    rng = np.random.default_rng(seed + 1)
    design = fitted.design
    x = design.x.assign(_random_cause=rng.normal(size=design.n))
    est = fitted.estimate
    new = _refit(estimator, fitted, replace(design, x=x), seed, plan)
    shift = abs(new.estimate - est.effect.estimate)
    passed = shift <= _SHIFT_LIMIT_SE * est.effect.se
    reading = f"Adding a random made-up cause moves the estimate by {shift:.3f} " + (
        "(within noise)." if passed else "(more than noise: the estimate is unstable)."
    )
    return _result("random common cause", new, passed, reading)


def data_subset(fitted: FittedEffect, estimator: Estimator, *, seed: int) -> Refutation:
    plan = _plan(fitted)
    rng = np.random.default_rng(seed + 2)
    design = fitted.design
    kept = np.nonzero(plan.keep)[0]
    rows = np.sort(rng.choice(kept, size=int(len(kept) * SUBSET_FRACTION), replace=False))
    est = fitted.estimate
    new = _refit(estimator, fitted, _subset(design, rows), seed, plan.subset(rows))
    shift = abs(new.estimate - est.effect.estimate)
    passed = shift <= _SHIFT_LIMIT_SE * est.effect.se
    reading = (
        f"On a random {SUBSET_FRACTION:.0%} of the same clients the estimate is "
        f"{new.estimate:+.3f} "
        + ("(consistent)." if passed else "(it changes: the result depends on a few clients).")
    )
    return _result("data subset", new, passed, reading)


Refuter = Callable[..., Refutation]


def _safely(
    name: str, refuter: Refuter, fitted: FittedEffect, estimator: Estimator, seed: int
) -> Refutation:
    """Run one refuter; if it cannot run, say so and why instead of returning NaN."""
    try:
        return refuter(fitted, estimator, seed=seed)
    except CouldNotRun as exc:
        reason = str(exc)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        # Learners refuse degenerate re-fits (one class in a fold, a singular matrix); the
        # message names no client or value, only what went wrong.
        reason = f"the re-fit failed ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
    return Refutation(name, None, False, f"Could not run: {reason}.", "could not run")


NAMES = ("placebo treatment", "random common cause", "data subset")


def refutation_sample(
    fitted: FittedEffect, estimator: Estimator, *, seed: int
) -> tuple[FittedEffect, str]:
    """The estimate the refuters test: the estimate itself, or on more than ``REFUTE_ROWS``
    clients its re-fit on a seeded sample of them (same learners, the first split's folds).

    A refuter compares a re-fit with the estimate; on a sample it compares with the
    sample's own estimate, so sampling noise is not mistaken for instability.
    """
    plan = _plan(fitted)
    kept = np.nonzero(plan.keep)[0]
    if len(kept) <= REFUTE_ROWS:
        return fitted, ""
    rng = np.random.default_rng([seed, 5])
    rows = np.sort(rng.choice(kept, size=REFUTE_ROWS, replace=False))
    design = _subset(fitted.design, rows)
    sub_plan = FitPlan(np.ones(len(rows), dtype=bool), plan.folds[:1, rows])
    est = fitted.estimate
    base = estimator.fit(
        design,
        estimand=est.estimand,
        scale=est.scale,
        seed=seed,
        learners=fitted.learners,
        plan=sub_plan,
    )
    base.learners = fitted.learners
    if not (np.isfinite(base.estimate.effect.estimate) and np.isfinite(base.estimate.effect.se)):
        raise CouldNotRun("the re-fit on the refuters' sample gave no finite estimate")
    note = (
        f" (On a seeded sample of {REFUTE_ROWS:,} of the estimate's {len(kept):,} clients, "
        f"against that sample's own estimate {base.estimate.effect.estimate:+.3f}.)"
    )
    return base, note


def refute_effect(
    fitted: FittedEffect, estimator: Estimator, *, seed: int
) -> tuple[Refutation, ...]:
    """Run the three refuters on the estimate's own sample, folds and learners (on a seeded
    sample of at most ``REFUTE_ROWS`` of its clients, see ``refutation_sample``)."""
    try:
        base, note = refutation_sample(fitted, estimator, seed=seed)
    except (CouldNotRun, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        reason = str(exc) if isinstance(exc, CouldNotRun) else type(exc).__name__
        return tuple(
            Refutation(name, None, False, f"Could not run: {reason}.", "could not run")
            for name in NAMES
        )
    refuters = (placebo_treatment, random_common_cause, data_subset)
    out = []
    for name, refuter in zip(NAMES, refuters, strict=True):
        result = _safely(name, refuter, base, estimator, seed)
        out.append(replace(result, reading=result.reading + note) if note else result)
    return tuple(out)
