"""The placebo battery: what would we have found where nothing happened?

- placebo dates: the same design run on the pre-period only, with a pretend start, only
  where at least ``MIN_PRE`` months remain before the pretend start and ``MIN_POST`` after;
- placebo units: for designs with comparison units, the share of assignments of the
  initiative to other units that give an estimate at least as large (the randomization
  p-value; for synthetic control, each donor in turn as the treated unit, ranked by its
  mean gap after the start over its fit error before, Abadie, Diamond and Hainmueller
  2010, signed rather than their after/before error ratio);
- leave one unit out: the estimate again without each unit in turn;
- pre-trend (designs with comparison units): treated minus comparison slopes before the
  start, by randomization, and its power: the chance the check would catch a trend large
  enough to explain the whole estimate (Roth 2022: a passed pre-trend test with low power
  reassures little).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from decisionframe.initiatives.designs import ALPHA, MIN_POST, MIN_PRE, MIN_PRE_COMPARED


@dataclass(frozen=True)
class PlaceboDate:
    months_before: int  # how many months before the real start the pretend one lies
    estimate: float
    ci_low: float
    ci_high: float

    @property
    def excludes_zero(self) -> bool:
        return bool(self.ci_low > 0 or self.ci_high < 0)


@dataclass(frozen=True)
class PreTrend:
    slope: float  # per month, treated minus comparison (or the series itself for ITS)
    p_value: float
    power: float  # against the linear trend that would explain the whole estimate


@dataclass(frozen=True)
class LeftOut:
    """The estimate again with one unit left out."""

    unit: str
    estimate: float


@dataclass(frozen=True)
class Placebos:
    dates: tuple[PlaceboDate, ...] = ()
    dates_note: str = ""
    units_p_value: float | None = None  # share of placebo units at least as extreme
    units_count: int = 0
    leave_one_out: tuple[LeftOut, ...] = ()
    pre_trend: PreTrend | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)


def placebo_starts(t0: int, *, most: int = 4) -> list[int]:
    """Pretend start months inside the pre-period (empty when it is too short)."""
    first, last = MIN_PRE, t0 - MIN_POST
    if last < first:
        return []
    candidates = sorted(set(np.linspace(first, last, num=min(most, last - first + 1)).astype(int)))
    return [int(c) for c in candidates]


def pre_trend(
    y: np.ndarray, t0: int, treated: np.ndarray, estimate: float, *, seed: int
) -> PreTrend | None:
    """Did treated and comparison units already drift apart before the start?

    Each unit's own slope over the months before ``t0``; the statistic is the treated mean
    slope minus the comparison mean, judged by randomization over which units were treated
    (the same inference as the estimate: HAC errors on a dozen pre-months reject far too
    often). Power: the chance this check would reject if the treated units had drifted by
    a linear trend large enough to explain the whole estimate.
    """
    n_t = int(treated.sum())
    if t0 < MIN_PRE_COMPARED or n_t == 0 or n_t == len(treated):
        return None
    t = np.arange(t0, dtype=float) - (t0 - 1) / 2
    slopes = (y[:, :t0] - y[:, :t0].mean(axis=1, keepdims=True)) @ t / float(t @ t)
    rng = np.random.default_rng(seed)
    perms = [treated, *(rng.permutation(treated) for _ in range(999))]
    draws = np.array([slopes[p].mean() - slopes[~p].mean() for p in perms])
    observed = float(draws[0])
    p_value = float((np.abs(draws) >= abs(observed) - 1e-12).mean())
    # A trend d per month biases an after-minus-before comparison of means by d times the
    # distance between the mean after-month and the mean before-month.
    post = y.shape[1] - t0
    distance = (t0 + (post - 1) / 2) - (t0 - 1) / 2
    explaining = abs(estimate) / distance if distance else 0.0
    critical = float(np.quantile(np.abs(draws), 1 - ALPHA))
    power = float((np.abs(draws + explaining) > critical).mean())
    return PreTrend(observed, p_value, power)


def problems_of(estimate_excludes_zero: bool, estimate: float, placebos: Placebos) -> list[str]:
    """Why a found effect is fragile (empty: it survived the battery)."""
    found = []
    if placebos.pre_trend and placebos.pre_trend.p_value < ALPHA:
        found.append("the treated and comparison series already drifted apart before the start")
    flagged = [d for d in placebos.dates if d.excludes_zero]
    if flagged and len(flagged) > len(placebos.dates) / 4:
        found.append(
            f"{len(flagged)} of {len(placebos.dates)} pretend start dates before the real one "
            "also show an 'effect'"
        )
    if estimate_excludes_zero and placebos.leave_one_out:
        flipped = [
            x.unit for x in placebos.leave_one_out if np.sign(x.estimate) != np.sign(estimate)
        ]
        if flipped:
            found.append(f"leaving out one unit ({len(flipped)} such) reverses the direction")
    return found
