"""Segment effects partially pooled toward the overall effect (a hierarchical model).

Each segment's estimate ``y_s`` (standard error ``s_s``) is one draw of a normal-normal
model: ``y_s ~ N(theta_s, s_s^2)``, ``theta_s ~ N(mu, tau^2)``, flat prior on ``mu``.
``tau``, the real spread of effects between segments, is *not* treated as known: its
posterior is computed on a grid (Gelman et al., Bayesian Data Analysis, 3rd ed., section
5.4, the "eight schools" computation) under a half-Cauchy prior whose scale is the size of
the effect itself (``|mu| + 2 se(mu)``: segments differing by as much as the effect is
plausible, much more is not; Gelman 2006 recommends the half-Cauchy for few groups).
Draws take ``tau`` from that posterior, then ``mu``, then every ``theta_s``. Plugging in a
point estimate of ``tau`` (empirical Bayes) made the posterior too sure whenever ``tau``
was estimated above 0 by chance, and that sureness is what a targeted plan's "probability
it beats the plan for everyone" feeds on.

Hand-written rather than PyMC/Stan (not in the default install): the model has one
hyperparameter, so a 1-D grid is exact to grid error and takes microseconds, which the
what-if simulator needs.
"""

from __future__ import annotations

import functools
import warnings
import zlib
from dataclasses import dataclass

import numpy as np
from scipy import stats

GRID_POINTS = 400


@dataclass(frozen=True)
class PooledSegment:
    """One segment's effect of one lever: as estimated and after pooling."""

    lever: str
    variable: str
    segment: str
    estimate: float  # per unit of the lever
    se: float
    pooled: float  # posterior mean
    pooled_sd: float  # posterior sd (tau's uncertainty included)
    shrinkage: float  # posterior mean share of the way pulled toward the overall effect


@dataclass(frozen=True)
class PooledLever:
    lever: str
    variable: str
    mean: float  # posterior mean of the overall (segment-average) effect mu
    tau: float  # Paule-Mandel point estimate of the spread of effects between segments
    segments: tuple[PooledSegment, ...]
    heterogeneity_p: float  # Cochran's Q test that the segments share one effect
    tau_grid: tuple[float, ...] = ()  # the posterior of tau on a grid ...
    tau_weights: tuple[float, ...] = ()  # ... and its probabilities
    tau_posterior_mean: float = 0.0

    def get(self, segment: str) -> PooledSegment | None:
        return next((s for s in self.segments if s.segment == segment), None)


def between_segment_variance(
    estimates: np.ndarray, variances: np.ndarray
) -> tuple[float, float, float]:
    """(tau^2, random-effects mean, Cochran's Q p-value) by Paule-Mandel; tau^2 = 0 and
    p = 1 with fewer than 2 segments."""
    if len(estimates) < 2:
        mean = float(estimates[0]) if len(estimates) else float("nan")
        return 0.0, mean, 1.0
    from statsmodels.stats.meta_analysis import combine_effects

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = combine_effects(estimates, variances, method_re="pm")
    tau2 = float(result.tau2)
    if not np.isfinite(tau2) or tau2 < 0:
        tau2 = 0.0
    p = float(stats.chi2.sf(float(result.q), len(estimates) - 1))
    return tau2, float(result.mean_effect_re), p


def _conditional(y: np.ndarray, v: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per grid tau: (mu_hat, V_mu, log marginal likelihood of y given tau), flat mu."""
    total = v[None, :] + tau[:, None] ** 2  # grid x segments
    prec = 1.0 / total
    v_mu = 1.0 / prec.sum(axis=1)
    mu_hat = (y[None, :] * prec).sum(axis=1) * v_mu
    loglik = 0.5 * np.log(v_mu) - 0.5 * (
        np.log(total) + (y[None, :] - mu_hat[:, None]) ** 2 * prec
    ).sum(axis=1)
    return mu_hat, v_mu, loglik


def tau_posterior(y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid and probabilities of tau's posterior (half-Cauchy prior, see module doc)."""
    mu0, vmu0, _ = _conditional(y, v, np.zeros(1))
    scale = abs(float(mu0[0])) + 2.0 * float(np.sqrt(vmu0[0]))
    spread = float(np.ptp(y)) + float(np.sqrt(v.max()))
    upper = 10.0 * max(scale, spread)
    # denser near 0, where the posterior of tau piles up when segments barely differ;
    # each point weighs its density times the width it stands for
    grid = upper * np.linspace(0.0, 1.0, GRID_POINTS) ** 2
    _, _, loglik = _conditional(y, v, grid)
    logpost = loglik - np.log1p((grid / scale) ** 2)
    w = np.exp(logpost - logpost.max()) * np.gradient(grid)
    return grid, w / w.sum()


def pool_segments(
    lever: str, variable: str, estimates: dict[str, tuple[float, float]]
) -> PooledLever:
    """Partially pool one lever's segment estimates ``{segment: (estimate, se)}``."""
    return _pool(lever, variable, tuple(estimates.items()))


@functools.lru_cache(maxsize=128)
def _pool(
    lever: str, variable: str, items: tuple[tuple[str, tuple[float, float]], ...]
) -> PooledLever:
    estimates = dict(items)
    names = [k for k, (_, se) in estimates.items() if np.isfinite(se) and se > 0]
    y = np.array([estimates[k][0] for k in names], dtype=float)
    v = np.array([estimates[k][1] ** 2 for k in names], dtype=float)
    tau2, _, p = between_segment_variance(y, v)
    if len(names) == 0:
        return PooledLever(lever, variable, float("nan"), 0.0, (), 1.0)
    grid, w = tau_posterior(y, v)
    mu_hat, v_mu, _ = _conditional(y, v, grid)
    # theta_s | tau, y: mean mu_hat + (1 - B)(y - mu_hat), var (1 - B) v + B^2 V_mu
    b = v[None, :] / (v[None, :] + grid[:, None] ** 2)
    cond_mean = mu_hat[:, None] + (1 - b) * (y[None, :] - mu_hat[:, None])
    cond_var = (1 - b) * v[None, :] + b**2 * v_mu[:, None]
    post_mean = w @ cond_mean
    post_var = w @ (cond_var + cond_mean**2) - post_mean**2
    mean = float(w @ mu_hat)
    segments = tuple(
        PooledSegment(
            lever,
            variable,
            name,
            float(y[i]),
            float(np.sqrt(v[i])),
            float(post_mean[i]),
            float(np.sqrt(max(post_var[i], 0.0))),
            float(w @ b[:, i]),
        )
        for i, name in enumerate(names)
    )
    return PooledLever(
        lever,
        variable,
        mean,
        float(np.sqrt(tau2)),
        segments,
        p,
        tuple(float(t) for t in grid),
        tuple(float(x) for x in w),
        float(w @ grid),
    )


_CACHE: dict[tuple[object, ...], np.ndarray] = {}
_CACHE_SIZE = 32


def deviation_draws(
    pooled: PooledLever,
    segments: list[str],
    weights: np.ndarray,
    *,
    draws: int,
    seed: int,
) -> np.ndarray:
    """Draws (draws x segments) of each segment's effect minus the population-weighted mean.

    Each draw takes tau from its posterior, mu given tau, then every segment's effect given
    both (a segment with no estimate of its own: ``N(mu, tau^2)``). Added to the overall
    effect's draws, they give segment effects whose population average is exactly the
    overall effect: a plan that serves a representative mix of clients is valued the same
    with or without segments. Each segment variable has its own seeded stream, so the
    draws do not depend on the order they are asked for, and are cached: what-ifs that
    change only budgets, costs or the overall effects reuse them.

    The levers of one variable share that stream: a segment's errors are drawn
    comonotone across levers (the same normal deviate scaled by each lever's standard
    error). The levers' segment estimates come from separate fits on the same clients and
    outcomes, so their errors are correlated, by an amount the evidence does not keep;
    independent draws made what an option adds in a segment (the levers' sum) look
    surer than it is, and a segment whose estimates were all low by the same chance looked
    set apart. Perfect correlation is the cautious bound for options that move the
    levers the same way (an option raising one lever and lowering another is the exception).
    """
    key = (pooled, tuple(segments), tuple(np.round(weights, 12)), draws, seed)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    rng = np.random.default_rng([seed, 16, zlib.crc32(pooled.variable.encode())])
    if not pooled.segments:
        out = np.zeros((draws, len(segments)))
        out.setflags(write=False)
        return out
    y = np.array([s.estimate for s in pooled.segments])
    v = np.array([s.se for s in pooled.segments]) ** 2
    grid = np.asarray(pooled.tau_grid)
    k = rng.choice(len(grid), size=draws, p=np.asarray(pooled.tau_weights))
    mu_hat, v_mu, _ = _conditional(y, v, grid)
    tau = grid[k]
    mu = mu_hat[k] + np.sqrt(v_mu[k]) * rng.standard_normal(draws)
    z = rng.standard_normal((draws, len(segments)))
    theta = np.empty((draws, len(segments)))
    index = {s.segment: i for i, s in enumerate(pooled.segments)}
    for j, name in enumerate(segments):
        i = index.get(name)
        if i is None:
            theta[:, j] = mu + tau * z[:, j]
            continue
        b = v[i] / (v[i] + tau**2)
        theta[:, j] = mu + (1 - b) * (y[i] - mu) + np.sqrt((1 - b) * v[i]) * z[:, j]
    out = np.asarray(theta - (theta @ weights)[:, None])
    out.setflags(write=False)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = out
    return out
