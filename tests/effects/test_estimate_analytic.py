"""Estimators against analytic cases with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decisionframe.effects.design import make_design
from decisionframe.effects.estimate import DoubleMLEstimator
from decisionframe.errors import NotEstimableError

EST = DoubleMLEstimator(n_folds=3, max_iter=60)


def _confounded_continuous(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c = rng.integers(1, 6, n)
    group = rng.choice(["a", "b", "c"], n)
    t = 4 - 0.4 * c + (group == "b") * 0.3 + rng.normal(0, 0.6, n)
    y = 1.0 + 0.5 * t - 0.8 * c + (group == "c") * 0.5 + rng.normal(0, 1, n)
    return pd.DataFrame({"y": y, "t": t, "c": c, "group": group})


def test_continuous_treatment_recovers_slope_and_naive_is_biased() -> None:
    frame = _confounded_continuous(4000, 1)
    before = frame.copy()
    design = make_design(frame, treatment="t", outcome="y", covariates=["c", "group"])
    fitted = EST.fit(design, estimand="ATE", scale=1.0, seed=1)
    effect = fitted.estimate.effect
    assert effect.ci_low < 0.5 < effect.ci_high
    assert abs(fitted.estimate.naive.estimate - 0.5) > 5 * fitted.estimate.naive.se
    pd.testing.assert_frame_equal(frame, before)


def test_contrast_scale_multiplies_estimate_and_interval() -> None:
    design = make_design(
        _confounded_continuous(2000, 2), treatment="t", outcome="y", covariates=["c", "group"]
    )
    per_unit = EST.fit(design, estimand="ATE", scale=1.0, seed=3).estimate.effect
    contrast = EST.fit(design, estimand="ATE", scale=1.5, seed=3).estimate.effect
    assert contrast.estimate == pytest.approx(1.5 * per_unit.estimate)
    assert contrast.se == pytest.approx(1.5 * per_unit.se)


def test_binary_treatment_ate_att_atc_with_heterogeneity() -> None:
    rng = np.random.default_rng(5)
    n = 8000
    hard = rng.random(n) < 0.4
    p = np.where(hard, 0.7, 0.25)
    d = rng.random(n) < p
    tau = np.where(hard, 0.3, 0.05)
    y = 0.2 - 0.1 * hard + tau * d + rng.normal(0, 0.3, n)
    frame = pd.DataFrame({"y": y, "d": d, "hard": hard})
    design = make_design(frame, treatment="d", outcome="y", covariates=["hard"])
    truth = {"ATE": tau.mean(), "ATT": tau[d].mean(), "ATC": tau[~d].mean()}
    for estimand, true in truth.items():
        effect = EST.fit(design, estimand=estimand, scale=1.0, seed=2).estimate.effect
        assert abs(effect.estimate - true) < 3 * effect.se, estimand
    assert truth["ATT"] > truth["ATE"] > truth["ATC"]


def test_binary_outcome_and_categorical_treatment() -> None:
    rng = np.random.default_rng(9)
    n = 6000
    c = rng.integers(0, 3, n)
    level = np.where(
        rng.random(n) < 0.3 + 0.1 * c, "phone", np.where(rng.random(n) < 0.5, "web", "visit")
    )
    effect = {"phone": 0.0, "web": 0.05, "visit": 0.15}
    p = 0.3 + 0.1 * c + np.vectorize(effect.get)(level)
    y = (rng.random(n) < p).astype(float)
    frame = pd.DataFrame({"y": y, "channel": level, "c": c})
    design = make_design(frame, treatment="channel", outcome="y", covariates=["c"])
    assert design.treatment_kind == "categorical"
    assert design.outcome_kind == "binary"
    fitted = EST.fit(design, estimand="ATE", scale=1.0, seed=1)
    reference = design.levels[0]
    for contrast in fitted.estimate.contrasts:
        true = effect[contrast.level] - effect[reference]
        assert abs(contrast.effect.estimate - true) < 3 * contrast.effect.se


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"y": np.arange(50.0), "t": 1.0, "c": np.arange(50) % 3}), "does not vary"),
        (pd.DataFrame({"y": 1.0, "t": np.arange(50.0), "c": np.arange(50) % 3}), "single value"),
        (pd.DataFrame({"y": [0.0, 1.0] * 5, "t": np.arange(10.0), "c": 1}), "at least 20"),
    ],
)
def test_degenerate_data_is_not_estimable(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(NotEstimableError, match=message):
        make_design(frame, treatment="t", outcome="y", covariates=["c"])


def test_constant_covariate_is_dropped_not_fatal() -> None:
    frame = _confounded_continuous(500, 4).assign(constant=7.0)
    design = make_design(frame, treatment="t", outcome="y", covariates=["c", "constant"])
    assert "constant" not in design.x.columns
