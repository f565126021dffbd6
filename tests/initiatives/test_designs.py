"""The designs against known answers: analytic cases and diff-diff's Callaway-Sant'Anna.

No published data set ships offline with these packages (diff-diff downloads mpdta at run
time; pysyncon ships none), so the checks are analytic cases whose answer is known exactly
and, for Callaway-Sant'Anna, agreement with diff-diff's implementation on the same panel.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from decisionframe.initiatives.analyze import _synthetic_placebo_units
from decisionframe.initiatives.designs import (
    _Ar1Reml,
    _conformal_p,
    _its_design,
    cs_att,
    did_att,
    estimate_did,
    estimate_its,
    estimate_staggered,
    estimate_synthetic,
    synth_weights,
)

T = 24


def _panel(start: np.ndarray, effect: np.ndarray, *, noise: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = len(start)
    y = rng.normal(0, 1, (n, 1)) + 0.05 * np.arange(T) + np.sin(np.arange(T))[None, :]
    y = y + rng.normal(0, noise, (n, T))
    for i in range(n):
        y[i, start[i] :] += effect[i]
    return y


def test_did_recovers_an_exact_effect_and_its_interval_covers_it() -> None:
    start = np.array([12] * 4 + [T] * 6)
    y = _panel(start, np.full(10, 0.7), noise=0.0)
    assert did_att(y, start) == pytest.approx(0.7)
    noisy = estimate_did(_panel(start, np.full(10, 0.7), noise=0.3), start, seed=0)
    assert noisy.ci_low < 0.7 < noisy.ci_high
    assert noisy.assignments == 210  # every way to pick 4 of 10 units, exactly


def test_staggered_gets_heterogeneous_cohorts_right_where_twfe_would_not() -> None:
    start = np.array([6] * 3 + [14] * 3 + [T] * 3)
    # The early wave's effect grows over time; the late wave's is small.
    y = _panel(start, np.zeros(9), noise=0.0)
    for i in range(3):
        y[i, 6:] += 0.2 * np.arange(1, T - 5)
    y[3:6, 14:] += 0.1
    cells = [0.2 * k for k in range(1, T - 5)] + [0.1] * (T - 14)
    assert cs_att(y, start) == pytest.approx(np.mean(cells))


def _diff_diff_att(y: np.ndarray, start: np.ndarray, control: str) -> float:
    from diff_diff import CallawaySantAnna

    n, horizon = y.shape
    frame = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), horizon),
            "time": np.tile(np.arange(horizon), n),
            "y": y.ravel(),
            "first_treat": np.repeat(np.where(start < horizon, start, 0), horizon),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = CallawaySantAnna(control_group=control, estimation_method="reg").fit(
            frame, "y", "unit", "time", "first_treat"
        )
    return float(fit.overall_att)


@pytest.mark.parametrize("not_yet", [False, True])
def test_callaway_santanna_matches_diff_diff(not_yet: bool) -> None:
    pytest.importorskip("diff_diff")
    start = np.array([5] * 4 + [9] * 4 + [15] * 3 + [T] * 3)
    y = _panel(start, np.where(start == 9, 1.3, 1.0), noise=0.5, seed=3)
    control = "not_yet_treated" if not_yet else "never_treated"
    assert cs_att(y, start, not_yet=not_yet) == pytest.approx(
        _diff_diff_att(y, start, control), abs=1e-9
    )


def test_staggered_interval_covers_truth_and_excludes_zero() -> None:
    start = np.array([6] * 3 + [12] * 3 + [T] * 4)
    fit = estimate_staggered(
        _panel(start, np.full(10, 1.0), noise=0.3), start, not_yet=False, seed=1
    )
    assert fit.ci_low < 1.0 < fit.ci_high
    assert fit.ci_low > 0


def test_its_recovers_level_change_exactly_and_covers_it_with_noise() -> None:
    t = np.arange(36, dtype=float)
    y = 5 + 0.1 * t + 2.0 * (t >= 20)
    assert estimate_its(y, 20).estimate == pytest.approx(2.0)
    noisy = y + np.random.default_rng(0).normal(0, 0.3, 36)
    fit = estimate_its(noisy, 20)
    assert fit.ci_low < 2.0 < fit.ci_high


def _ar1(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    e = np.empty(n)
    shocks = rng.normal(0, 1, n)
    e[0] = shocks[0] / np.sqrt(1 - rho**2)
    for t in range(1, n):
        e[t] = rho * e[t - 1] + shocks[t]
    return e


def test_reml_correlation_agrees_with_statsmodels_on_a_long_series() -> None:
    """On 600 months the REML and least-squares AR(1) estimates must meet the truth."""
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    x = _its_design(600, 400, seasonal=True)
    y = x @ np.array([1.0, 0.01, 2.0, 0.0, 0.5, -0.5]) + _ar1(rng, 600, 0.6)
    rho, _ = _Ar1Reml(y, x).fit_rho()
    glsar = sm.GLSAR(y, x, rho=1)
    glsar.iterative_fit(maxiter=20)
    assert rho == pytest.approx(0.6, abs=0.06)
    assert rho == pytest.approx(float(glsar.rho[0]), abs=0.02)


def test_its_interval_keeps_its_level_on_short_autocorrelated_series() -> None:
    """36 months, AR(1) errors with rho 0.5, a planted level change of 1: the REML interval
    covers it about 95% of the time where Newey-West's falls short (Turner et al. 2021)."""
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    x = _its_design(36, 24, seasonal=True)
    contrast = np.array([0, 0, 1.0, np.mean(np.arange(12)), 0, 0])
    ours = nw = 0
    seeds = 50
    for _ in range(seeds):
        y = x @ np.array([1.0, 0.05, 1.0, 0.0, 1.0, 0.0]) + _ar1(rng, 36, 0.5)
        fit = estimate_its(y, 24)
        ours += fit.ci_low <= 1.0 <= fit.ci_high
        hac = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": 3}, use_t=True)
        low, high = np.asarray(hac.t_test(contrast).conf_int()).ravel()
        nw += low <= 1.0 <= high
    assert ours / seeds >= 0.9
    assert nw / seeds <= 0.85


def test_synthetic_control_recovers_a_convex_combination() -> None:
    rng = np.random.default_rng(0)
    donors = rng.normal(0, 1, (5, 30)).cumsum(axis=1)
    target = 0.6 * donors[0] + 0.4 * donors[3] + 3.0  # a level offset: de-meaned SC
    np.testing.assert_allclose(
        synth_weights(target[:20], donors[:, :20]), [0.6, 0, 0, 0.4, 0], atol=1e-6
    )
    treated = target + 1.5 * (np.arange(30) >= 20) + rng.normal(0, 0.05, 30)
    fit = estimate_synthetic(treated, donors, 20)
    assert fit.estimate == pytest.approx(1.5, abs=0.1)
    assert fit.ci_low < 1.5 < fit.ci_high


@pytest.mark.parametrize("t0", [15, 20])  # equal halves (15 of 30) and not
def test_synthetic_control_test_sees_an_exact_level_shift(t0: int) -> None:
    """A pure shift of 1.5 on an exactly matched target: the post window is the most
    extreme of the 30, tied only by the whole pre-period when the halves are equal (the
    mean of absolute residuals gave p = 1 there: every window looked the same)."""
    rng = np.random.default_rng(1)
    donors = rng.normal(0, 1, (5, 30)).cumsum(axis=1)
    target = 0.6 * donors[0] + 0.4 * donors[3] + 3.0 + 1.5 * (np.arange(30) >= t0)
    p = _conformal_p(target, donors, t0, 0.0)
    assert p == pytest.approx((2 if t0 == 15 else 1) / 30)
    assert _conformal_p(target, donors, t0, 1.5) == 1.0  # the true effect is not rejected
    start = np.full(6, 30)
    start[0] = t0
    units_p, count = _synthetic_placebo_units(np.vstack([target, donors]), start)
    assert (units_p, count) == (1 / 6, 6)  # ranked first of six: as low as six units allow


def test_synthetic_control_test_keeps_its_size_where_nothing_happened() -> None:
    """300 seeded targets with no effect: p-values spread evenly, about 10% at or below
    0.1 (the test only, one fit per seed; coverage over many seeds is bench_initiatives')."""
    ps = []
    for seed in range(300):
        rng = np.random.default_rng(seed)
        donors = rng.normal(0, 1, (6, 30)).cumsum(axis=1)
        target = 0.5 * donors[1] + 0.5 * donors[4] + rng.normal(0, 0.3, 30)
        ps.append(_conformal_p(target, donors, 20, 0.0))
    ps = np.array(ps)
    assert 0.05 <= float(np.mean(ps <= 0.1)) <= 0.15
    assert 0.4 <= float(np.mean(ps)) <= 0.6
