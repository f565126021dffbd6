"""Segment effects partially pooled toward the overall effect (empirical Bayes).

Each segment's estimate ``y_s`` (standard error ``s_s``) is one draw of a normal-normal
model: ``y_s ~ N(theta_s, s_s^2)``, ``theta_s ~ N(mu, tau^2)``. ``tau^2``, the real spread
of effects between segments, is estimated by Paule-Mandel (statsmodels'
``combine_effects``, the random-effects meta-analysis estimator); a segment's posterior
mean is then pulled toward ``mu`` by ``B_s = s_s^2 / (s_s^2 + tau^2)``: the noisier the
estimate, the harder the pull. When the estimates spread no more than their standard errors
explain, ``tau^2`` is 0 and every segment gets the overall effect: targeting has nothing
to act on.

Known limit: empirical Bayes treats ``tau^2`` as known, so with few segments the posterior
is a little too sure; the decision asks a targeted plan to win with high probability
(``TARGETING_THRESHOLD``) partly for that reason.
"""

from __future__ import annotations

import functools
import warnings
import zlib
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class PooledSegment:
    """One segment's effect of one lever: as estimated and after pooling."""

    lever: str
    variable: str
    segment: str
    estimate: float  # per unit of the lever
    se: float
    pooled: float
    pooled_sd: float
    shrinkage: float  # share of the way pulled toward the overall effect (0..1)


@dataclass(frozen=True)
class PooledLever:
    lever: str
    variable: str
    mean: float  # random-effects mean of the segment estimates
    tau: float  # estimated real spread of effects between segments
    segments: tuple[PooledSegment, ...]
    heterogeneity_p: float  # Cochran's Q test that the segments share one effect

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
    tau2, mu, p = between_segment_variance(y, v)
    shrink = v / (v + tau2) if tau2 > 0 else np.ones_like(v)
    post_mean = mu + (1 - shrink) * (y - mu)
    post_var = (1 - shrink) * v
    segments = tuple(
        PooledSegment(
            lever,
            variable,
            name,
            float(y[i]),
            float(np.sqrt(v[i])),
            float(post_mean[i]),
            float(np.sqrt(post_var[i])),
            float(shrink[i]),
        )
        for i, name in enumerate(names)
    )
    return PooledLever(lever, variable, mu, float(np.sqrt(tau2)), segments, p)


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

    Added to the overall effect's draws, they give segment effects whose population average
    is exactly the overall effect: a plan that serves a representative mix of clients is
    valued the same with or without segments. A segment with no estimate of its own gets
    the prior predictive ``N(mu, tau^2)``. Each (lever, variable) has its own seeded stream,
    so the draws do not depend on the order they are asked for, and are cached: what-ifs
    that change only budgets, costs or the overall effects reuse them.
    """
    key = (pooled, tuple(segments), tuple(np.round(weights, 12)), draws, seed)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    rng = np.random.default_rng(
        [seed, 16, zlib.crc32(f"{pooled.variable}/{pooled.lever}".encode())]
    )
    means = np.empty(len(segments))
    sds = np.empty(len(segments))
    for j, name in enumerate(segments):
        seg = pooled.get(name)
        means[j] = seg.pooled if seg is not None else pooled.mean
        sds[j] = seg.pooled_sd if seg is not None else pooled.tau
    theta = means + sds * rng.standard_normal((draws, len(segments)))
    out = np.asarray(theta - (theta @ weights)[:, None])
    out.setflags(write=False)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = out
    return out
