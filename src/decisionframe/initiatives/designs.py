"""The four designs, each an estimate with an interval that holds with 3 to 20 offices.

- Interrupted time series (``its``): segmented regression on the organization's series,
  Newey-West (HAC) errors with small-sample t, harmonic seasonality when two years of
  history allow (Bernal, Cummins and Gasparrini 2017).
- Difference-in-differences (``did``): one start date, units without the initiative as
  comparison; each unit's after-minus-before mean, treated minus comparison (the two-way
  fixed-effects estimate on a balanced panel), and an event study.
- Staggered roll-out (``staggered``): Callaway and Sant'Anna (2021) group-time effects
  ATT(g, t) against never-treated units (not-yet-treated when every unit is eventually
  treated), averaged over treated unit-months (their "simple" aggregation). Two-way fixed
  effects would compare late adopters with early ones and can even flip the sign when
  effects differ by cohort or grow over time (Goodman-Bacon 2021).
- Synthetic control (``synthetic_control``): one treated unit, a weighted combination of
  the others matched on its pre-period path (de-meaned, Ferman and Pinto 2021, because
  offices differ in level), with conformal inference (Chernozhukov, Wuthrich and Zhu 2021),
  which stays valid with few donors where the placebo-in-space permutation cannot reach 5%.

Why DiD and Callaway-Sant'Anna are written here rather than called from ``diff-diff``:
with 3 to 20 offices their asymptotic and multiplier-bootstrap intervals are not to be
trusted, so intervals come from randomization inference over which units were treated
(Fisher; MacKinnon and Webb 2020 on few treated clusters), inverted into an interval. That
needs the estimator recomputed for thousands of assignments; unconditional CS (no
covariates) is linear in the outcomes, which makes the inversion exact and cheap. The tests
check the estimate against ``diff-diff``'s CallawaySantAnna on the same panel.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

ALPHA = 0.05
MIN_PRE = 4  # periods before a start, at least (a trend and a level to extend)
MIN_PRE_COMPARED = 3  # with comparison units: enough for each unit's own pre-period slope
MIN_POST = 2  # periods after it
# Randomization inference with one treated unit among n has n assignments, so its smallest
# p-value is 1/n: below 20 units it cannot reach 5%, and synthetic control (conformal
# inference in time) is the design that can still give an interval.
MIN_UNITS_FOR_ONE_TREATED_DID = 20
PERMUTATIONS = 1999


@dataclass(frozen=True)
class Estimate:
    design: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    inference: str  # how the interval was made, in words
    assignments: int = 0  # placebo assignments behind a randomization interval
    event_study: tuple[tuple[int, float], ...] = ()  # (months from start, estimate)

    @property
    def excludes_zero(self) -> bool:
        return bool(self.ci_low > 0 or self.ci_high < 0)


# ---------------------------------------------------------------- DiD and Callaway-Sant'Anna


def did_att(y: np.ndarray, start: np.ndarray) -> float:
    """One start date: mean after-minus-before change, treated minus comparison units."""
    return float(did_batch(y, start[None, :])[0])


def did_batch(y: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``did_att`` for each row of ``starts`` (assignments of one start month to units)."""
    horizon = y.shape[1]
    c = int(starts[0][starts[0] < horizon].min())
    change = y[:, c:].mean(axis=1) - y[:, :c].mean(axis=1)
    treated = starts < horizon
    n_t = treated.sum(axis=1)
    return np.asarray((treated @ change) / n_t - ((~treated) @ change) / (len(change) - n_t))


def cs_att(y: np.ndarray, start: np.ndarray, *, not_yet: bool = False) -> float:
    """Callaway-Sant'Anna simple ATT: ATT(g, t) weighted by cohort size over t >= g.

    ATT(g, t) = mean change from g-1 to t of cohort g minus that of the comparison units
    (never treated; with ``not_yet``, also units first treated after t).
    """
    return float(cs_batch(y, start[None, :], not_yet=not_yet)[0])


def cs_batch(
    y: np.ndarray, starts: np.ndarray, *, not_yet: bool = False, relative: int | None = None
) -> np.ndarray:
    """``cs_att`` for each row of ``starts``; ``relative``: only cells t = g + relative.

    Works on sums of outcomes by start month, one array per assignment: a shuffle keeps how
    many units start in each month, so cohort sizes (the weights) are the same in every row.
    """
    horizon = y.shape[1]
    values, counts = np.unique(starts[0], return_counts=True)
    onehot = (starts[:, :, None] == values[None, None, :]).astype(float)
    sums = np.einsum("pnv,nt->pvt", onehot, y)
    num = np.zeros(len(starts))
    den = 0.0
    for k, g in enumerate(values):
        g = int(g)
        if g >= horizon or g < 1:
            continue
        times = range(g, horizon) if relative is None else [g + relative]
        for t in times:
            if not 0 <= t < horizon or t == g - 1:
                continue
            control = values > max(t, g - 1) if not_yet else values >= horizon
            n_c = float(counts[control].sum())
            if not n_c:
                continue
            base = g - 1
            own = (sums[:, k, t] - sums[:, k, base]) / counts[k]
            other = (sums[:, control, t].sum(axis=1) - sums[:, control, base].sum(axis=1)) / n_c
            num += counts[k] * (own - other)
            den += float(counts[k])
    return num / den if den else np.full(len(starts), np.nan)


def event_study(
    y: np.ndarray, start: np.ndarray, *, not_yet: bool = False
) -> list[tuple[int, float]]:
    """Estimates by months since the start (base: the month before; leads test pre-trends)."""
    horizon = y.shape[1]
    firsts = start[start < horizon]
    out = []
    for e in range(-int(firsts.max()), horizon - int(firsts.min())):
        if e == -1:
            continue
        value = float(cs_batch(y, start[None, :], not_yet=not_yet, relative=e)[0])
        if np.isfinite(value):
            out.append((e, value))
    return out


def _assignments(
    start: np.ndarray, rng: np.random.Generator, *, limit: int = PERMUTATIONS
) -> list[np.ndarray]:
    """Placebo assignments: the start months shuffled across units (all when few)."""
    n = len(start)
    values, counts = np.unique(start, return_counts=True)
    total = math.factorial(n) // math.prod(math.factorial(int(k)) for k in counts)
    if total <= limit and len(values) == 2:
        treated_value = values[0]
        k = int(counts[0])
        out = []
        for combo in itertools.combinations(range(n), k):
            perm = np.full(n, values[1])
            perm[list(combo)] = treated_value
            out.append(perm)
        return out
    return [start, *(rng.permutation(start) for _ in range(limit))]


def randomization_interval(
    y: np.ndarray,
    start: np.ndarray,
    estimator: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    seed: int,
) -> tuple[float, float, float, int]:
    """(ci_low, ci_high, p_value, assignments) by inverting a randomization test.

    Under "the effect is tau in every treated month", subtracting tau from treated months
    leaves outcomes that would have been seen under any assignment. Because ``estimator``
    is linear in the outcomes, the placebo estimate on adjusted outcomes is
    est(y, perm) - tau * est(D, perm), with D the actual treated-month indicator, so every
    tau is tested at once. ``estimator`` takes a matrix of assignments, one per row.
    """
    horizon = y.shape[1]
    treated_months = (np.arange(horizon)[None, :] >= start[:, None]).astype(float)
    observed = float(estimator(y, start[None, :])[0])
    perms = np.array(_assignments(start, np.random.default_rng(seed)))
    a = estimator(y, perms)
    b = estimator(treated_months, perms)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    if len(a) == 0 or not np.isfinite(observed):
        return -math.inf, math.inf, 1.0, 0

    def p_at(tau: float) -> float:
        stat = abs(observed - tau)
        return float((np.abs(a - tau * b) >= stat - 1e-12).mean())

    p_zero = p_at(0.0)
    scale = float(np.std(a)) or float(np.std(y)) or 1.0
    low = _boundary(p_at, observed, -scale)
    high = _boundary(p_at, observed, scale)
    return low, high, p_zero, len(a)


def _boundary(p_at: Callable[[float], float], centre: float, step: float) -> float:
    """The interval's end on one side: bisection between accepted and rejected tau."""
    inside, outside = centre, centre + step
    for _ in range(20):
        if p_at(outside) <= ALPHA:
            break
        inside, outside = outside, centre + 2 * (outside - centre)
    else:
        return math.copysign(math.inf, step)
    for _ in range(30):
        mid = (inside + outside) / 2
        if p_at(mid) > ALPHA:
            inside = mid
        else:
            outside = mid
    return inside


def estimate_did(y: np.ndarray, start: np.ndarray, *, seed: int) -> Estimate:
    low, high, p, k = randomization_interval(y, start, did_batch, seed=seed)
    return Estimate(
        "did",
        did_att(y, start),
        low,
        high,
        p,
        f"randomization inference over {k} placebo assignments of the start to units",
        k,
        tuple(event_study(y, start)),
    )


def estimate_staggered(y: np.ndarray, start: np.ndarray, *, not_yet: bool, seed: int) -> Estimate:
    def att(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
        return cs_batch(values, starts, not_yet=not_yet)

    low, high, p, k = randomization_interval(y, start, att, seed=seed)
    return Estimate(
        "staggered",
        cs_att(y, start, not_yet=not_yet),
        low,
        high,
        p,
        f"randomization inference over {k} reshufflings of the start months across units",
        k,
        tuple(event_study(y, start, not_yet=not_yet)),
    )


# ---------------------------------------------------------------- interrupted time series


def hac_lags(n: int) -> int:
    """Newey-West's rule of thumb, at least 1."""
    return max(1, int(4 * (n / 100) ** (2 / 9)))


def _its_design(n: int, t0: int, *, seasonal: bool) -> np.ndarray:
    t = np.arange(n, dtype=float)
    post = (t >= t0).astype(float)
    columns = [np.ones(n), t, post, (t - t0) * post]
    if seasonal:
        columns += [np.sin(2 * np.pi * t / 12), np.cos(2 * np.pi * t / 12)]
    return np.column_stack(columns)


def estimate_its(y: np.ndarray, t0: int) -> Estimate:
    """Segmented regression; the effect is the mean gap from the extended pre-trend."""
    import statsmodels.api as sm

    n = len(y)
    seasonal = t0 >= 24
    x = _its_design(n, t0, seasonal=seasonal)
    lags = hac_lags(n)
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=True)
    contrast = np.zeros(x.shape[1])
    contrast[2] = 1.0
    contrast[3] = float(np.mean(np.arange(n - t0)))
    test = fit.t_test(contrast)
    low, high = (float(v) for v in np.asarray(test.conf_int(alpha=ALPHA)).ravel())
    season = ", harmonic seasonality" if seasonal else ""
    return Estimate(
        "its",
        float(np.asarray(test.effect).ravel()[0]),
        low,
        high,
        float(np.asarray(test.pvalue).ravel()[0]),
        f"segmented regression (level and slope change{season}), Newey-West errors with "
        f"{lags} lag{'s' if lags > 1 else ''}, t with {int(fit.df_resid)} degrees of freedom",
    )


# ---------------------------------------------------------------- synthetic control


def synth_weights(target: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to one that best match the de-meaned target path.

    Written by hand: with the outcome path as the only predictor, Abadie's problem is this
    constrained least squares, solved exactly by NNLS with the sum-to-one row weighted
    heavily; ``pysyncon``'s Synth adds an outer search over predictor weights that has
    nothing to weigh here (the tests compare the two).
    """
    yc = target - target.mean()
    xc = donors - donors.mean(axis=1, keepdims=True)
    big = 1e3 * (float(np.abs(xc).max()) + 1.0)
    a = np.vstack([xc.T, big * np.ones((1, donors.shape[0]))])
    b = np.concatenate([yc, [big]])
    w, _ = nnls(a, b)
    return np.asarray(w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w)))


def synth_gap(target: np.ndarray, donors: np.ndarray, t0: int) -> np.ndarray:
    """Target minus its de-meaned synthetic control, weights fitted on months before t0."""
    w = synth_weights(target[:t0], donors[:, :t0])
    synthetic = w @ donors
    shift = target[:t0].mean() - synthetic[:t0].mean()
    return np.asarray(target - synthetic - shift)


def _conformal_p(target: np.ndarray, donors: np.ndarray, t0: int, tau: float) -> float:
    """Chernozhukov-Wuthrich-Zhu: refit on all months under the null, permute in time."""
    n = len(target)
    adjusted = target - tau * (np.arange(n) >= t0)
    w = synth_weights(adjusted, donors)
    fitted = w @ donors
    resid = adjusted - fitted - (adjusted - fitted).mean()
    post = n - t0
    stats = [np.abs(np.roll(resid, -j)[-post:]).mean() for j in range(n)]
    return float(np.mean(np.array(stats) >= stats[0] - 1e-12))


def estimate_synthetic(target: np.ndarray, donors: np.ndarray, t0: int) -> Estimate:
    gap = synth_gap(target, donors, t0)
    estimate = float(gap[t0:].mean())
    scale = float(np.std(gap[:t0])) or 1.0

    def p_at(tau: float) -> float:
        return _conformal_p(target, donors, t0, tau)

    low = _boundary(p_at, estimate, -scale)
    high = _boundary(p_at, estimate, scale)
    return Estimate(
        "synthetic_control",
        estimate,
        low,
        high,
        p_at(0.0),
        f"conformal inference, {len(target)} moving-block permutations in time",
        len(target),
    )
