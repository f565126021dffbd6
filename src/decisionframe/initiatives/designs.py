"""The four designs, each an estimate with an interval that holds with 3 to 20 offices.

- Interrupted time series (``its``): segmented regression on the organization's series,
  AR(1) errors by restricted maximum likelihood with Satterthwaite's degrees of freedom
  (Newey-West is too narrow on 36 months), harmonic seasonality when two years of history
  allow (Bernal, Cummins and Gasparrini 2017).
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
  offices differ in level), with conformal inference (Chernozhukov, Wuthrich and Zhu 2021)
  on the post-period mean residual, which stays valid with few donors where the
  placebo-in-space permutation cannot reach 5% (twelve offices: p >= 1/12).

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


def _its_design(n: int, t0: int, *, seasonal: bool) -> np.ndarray:
    t = np.arange(n, dtype=float)
    post = (t >= t0).astype(float)
    columns = [np.ones(n), t, post, (t - t0) * post]
    if seasonal:
        columns += [np.sin(2 * np.pi * t / 12), np.cos(2 * np.pi * t / 12)]
    return np.column_stack(columns)


# Written by hand because statsmodels has no restricted (REML) likelihood for a regression
# with AR(1) errors: GLSAR, Prais-Winsten and SARIMAX estimate rho by least squares or full
# maximum likelihood, both biased towards zero when a 36-month series also fits six
# coefficients, and Newey-West's lag window is no better (the org-wide-change scenario of
# bench_initiatives, 200 seeds: 95% intervals covered 0.77 for Newey-West, 0.88 for GLSAR,
# 0.92 for REML with n - k degrees of freedom, 0.935 with Satterthwaite's). The final fit
# at the chosen rho is statsmodels' GLS.
RHO_BOUNDS = (-0.9, 0.95)


class _Ar1Reml:
    """Regression with stationary AR(1) errors on a short series, fitted by REML.

    Restricted maximum likelihood (Patterson and Thompson 1971) estimates the error
    correlation from the residual contrasts only, so the coefficients' degrees of freedom
    are not spent twice; on short series it is the method whose intervals came closest to
    their level (Turner et al. 2021, BMC Med Res Methodol 21:181, a simulation study of
    interrupted time series methods, REML with Satterthwaite degrees of freedom among them).
    """

    def __init__(self, y: np.ndarray, x: np.ndarray) -> None:
        self.y, self.x = y, x
        i = np.arange(len(y))
        self.lag = np.abs(i[:, None] - i[None, :])

    def gls(self, rho: float) -> tuple[np.ndarray, np.ndarray, float]:
        """(X'C^-1X, coefficients, residual sum of squares) with C the AR(1) correlation."""
        root = np.linalg.cholesky(rho**self.lag)
        xw = np.linalg.solve(root, self.x)
        yw = np.linalg.solve(root, self.y)
        xtx = xw.T @ xw
        beta = np.linalg.solve(xtx, xw.T @ yw)
        resid = yw - xw @ beta
        return xtx, beta, float(resid @ resid)

    def neg_loglik(self, rho: float, log_s2: float) -> float:
        """Minus the restricted log-likelihood (constants dropped); |C| = (1-rho^2)^(n-1)."""
        n, k = self.x.shape
        xtx, _, rss = self.gls(rho)
        return 0.5 * float(
            (n - k) * log_s2
            + (n - 1) * math.log(1 - rho**2)
            + float(np.linalg.slogdet(xtx)[1])
            + rss / math.exp(log_s2)
        )

    def fit_rho(self) -> tuple[float, float]:
        """(rho, sigma^2): rho maximizing the profile REML likelihood, sigma^2 = RSS/(n-k)."""
        from scipy.optimize import minimize_scalar

        n, k = self.x.shape

        def profile(rho: float) -> float:
            xtx, _, rss = self.gls(rho)
            return 0.5 * float(
                (n - 1) * math.log(1 - rho**2)
                + float(np.linalg.slogdet(xtx)[1])
                + (n - k) * math.log(rss)
            )

        if self.gls(0.0)[2] <= 1e-20 * max(float(self.y @ self.y), 1.0):
            return 0.0, 0.0  # an exact fit: no residual to take a correlation from
        rho = float(minimize_scalar(profile, bounds=RHO_BOUNDS, method="bounded").x)
        return rho, self.gls(rho)[2] / (n - k)

    def satterthwaite_df(self, contrast: np.ndarray, rho: float, s2: float) -> float:
        """Degrees of freedom of the contrast's variance (Satterthwaite 1946).

        2 V^2 / Var(V), with V = s2 c'(X'C^-1X)^-1 c and Var(V) by the delta method from
        the inverse of the restricted likelihood's Hessian in (rho, log s2), both by
        central differences. Falls back to n - k where the Hessian is not usable (rho at a
        bound).
        """
        n, k = self.x.shape
        if not RHO_BOUNDS[0] + 1e-3 < rho < RHO_BOUNDS[1] - 1e-3:
            return float(n - k)
        theta = np.array([rho, np.log(s2)])
        h = 1e-4

        def variance(t: np.ndarray) -> float:
            return float(np.exp(t[1]) * contrast @ np.linalg.solve(self.gls(t[0])[0], contrast))

        def nll(t: np.ndarray) -> float:
            return self.neg_loglik(float(t[0]), float(t[1]))

        steps = np.eye(2) * h
        grad = np.array([(variance(theta + e) - variance(theta - e)) / (2 * h) for e in steps])
        hess = np.array(
            [
                [
                    (
                        nll(theta + a + b)
                        - nll(theta + a - b)
                        - nll(theta - a + b)
                        + nll(theta - a - b)
                    )
                    / (4 * h * h)
                    for b in steps
                ]
                for a in steps
            ]
        )
        try:
            var_v = float(grad @ np.linalg.solve(hess, grad))
        except np.linalg.LinAlgError:
            return float(n - k)
        if not np.isfinite(var_v) or var_v <= 0:
            return float(n - k)
        return float(np.clip(2 * variance(theta) ** 2 / var_v, 1.0, n - k))


def estimate_its(y: np.ndarray, t0: int) -> Estimate:
    """Segmented regression; the effect is the mean gap from the extended pre-trend.

    Errors AR(1) by REML, coefficients by GLS at that correlation, the interval with
    Satterthwaite's degrees of freedom (see ``_Ar1Reml`` for why not Newey-West).
    """
    import statsmodels.api as sm
    from scipy import stats

    n = len(y)
    seasonal = t0 >= 24
    x = _its_design(n, t0, seasonal=seasonal)
    contrast = np.zeros(x.shape[1])
    contrast[2] = 1.0
    contrast[3] = float(np.mean(np.arange(n - t0)))
    model = _Ar1Reml(np.asarray(y, dtype=float), x)
    rho, s2 = model.fit_rho()
    fit = sm.GLS(y, x, sigma=rho**model.lag).fit()
    estimate = float(contrast @ fit.params)
    se = float(np.sqrt(s2 * contrast @ np.linalg.solve(model.gls(rho)[0], contrast)))
    df = model.satterthwaite_df(contrast, rho, s2) if se > 0 else float(n - x.shape[1])
    if se > 0:
        q = float(stats.t.ppf(1 - ALPHA / 2, df))
        low, high = estimate - q * se, estimate + q * se
        p = float(2 * stats.t.sf(abs(estimate) / se, df))
    else:
        low = high = estimate
        p = 0.0 if estimate else 1.0
    season = ", harmonic seasonality" if seasonal else ""
    return Estimate(
        "its",
        estimate,
        low,
        high,
        p,
        f"segmented regression (level and slope change{season}), AR(1) errors by REML "
        f"(rho {rho:+.2f}), t with {df:.1f} Satterthwaite degrees of freedom",
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
    """Chernozhukov-Wuthrich-Zhu: refit on all months under the null, permute in time.

    The statistic is the absolute mean of the signed residuals over the post-period
    window, the one that tests a constant (average) effect. Their default, the mean of
    absolute residuals, cannot see a level shift here: the de-meaned fit spreads the shift
    over all months (post +tau T0/T, pre -tau (T-T0)/T), so every window's absolute
    residuals are about the same size, and with as many months after as before exactly
    the same (p = 1 on an exact shift). Signed, the post window stands out; only the
    window that is the whole pre-period can tie it, when T0 = T/2, so the smallest
    p-value is 1/T, or 2/T with equal halves.
    """
    n = len(target)
    adjusted = target - tau * (np.arange(n) >= t0)
    w = synth_weights(adjusted, donors)
    fitted = w @ donors
    resid = adjusted - fitted - (adjusted - fitted).mean()
    post = n - t0
    stats = np.abs([np.roll(resid, -j)[-post:].mean() for j in range(n)])
    tie = 1e-9 * (float(np.abs(adjusted).max()) + 1.0)  # rounding is not a difference
    return float(np.mean(stats >= stats[0] - tie))


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
        f"conformal inference on the mean gap after the start, {len(target)} moving-block "
        "permutations in time",
        len(target),
    )
