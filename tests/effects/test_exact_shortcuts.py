"""Speed shortcuts that must give exactly the numbers of the plain computation: DoubleML's
IRM without its unused arm split (ExternalIRM), boosting predicted once per distinct row."""

from __future__ import annotations

import doubleml as dml
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from decisionframe.effects import crossfit
from decisionframe.effects.external import ExternalIRM
from decisionframe.effects.learners import make_family


def _data_and_predictions(n: int, n_rep: int) -> tuple[dml.DoubleMLData, dict[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(n, 2))
    p = 1 / (1 + np.exp(-(0.8 * x[:, 0] - 0.5)))
    d = (rng.random(n) < p).astype(float)
    y = x[:, 0] + 0.4 * x[:, 1] + d * (0.3 + 0.2 * x[:, 1]) + rng.normal(size=n)
    frame = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "y": y, "d": d})
    data = dml.DoubleMLData(frame, y_col="y", d_cols="d", x_cols=["x0", "x1"])
    # Any predictions will do (they need not be out-of-fold for the identity to hold).
    noise = rng.normal(scale=0.1, size=(n, n_rep))
    predictions = {
        "ml_g0": (x[:, 0] + 0.4 * x[:, 1])[:, None] + noise,
        "ml_g1": (x[:, 0] + 0.6 * x[:, 1] + 0.3)[:, None] - noise,
        "ml_m": np.clip(p[:, None] + noise / 5, 0.01, 0.99),
    }
    return data, predictions


def _fit(cls: type, data: dml.DoubleMLData, score: str, ext: dict[str, np.ndarray]) -> object:
    model = cls(
        data,
        ml_g=LinearRegression(),
        ml_m=LogisticRegression(),
        n_folds=5,
        n_rep=ext["ml_m"].shape[1],
        score=score,
        normalize_ipw=True,
        ps_processor_config=dml.utils.PSProcessorConfig(clipping_threshold=1e-6),
    )
    np.random.seed(3)  # DoubleML draws its own (here unused) splits from numpy's global state
    return model.fit(external_predictions={"d": ext})


@pytest.mark.parametrize("score", ["ATE", "ATTE"])
def test_external_irm_gives_exactly_doublemls_numbers(score: str) -> None:
    data, ext = _data_and_predictions(3000, 2)
    ours, theirs = _fit(ExternalIRM, data, score, ext), _fit(dml.DoubleMLIRM, data, score, ext)
    np.testing.assert_array_equal(ours.all_coef, theirs.all_coef)
    np.testing.assert_array_equal(ours.all_se, theirs.all_se)
    np.testing.assert_array_equal(ours.psi, theirs.psi)
    for key in ("sigma2", "nu2", "psi_sigma2", "psi_nu2", "riesz_rep"):
        np.testing.assert_array_equal(
            ours.sensitivity_elements[key], theirs.sensitivity_elements[key]
        )
    ours.sensitivity_analysis(cf_y=0.03, cf_d=0.03)
    theirs.sensitivity_analysis(cf_y=0.03, cf_d=0.03)
    assert ours.sensitivity_params["rv"] == theirs.sensitivity_params["rv"]


def test_a_nuisance_left_to_doubleml_is_still_fitted_on_its_arm() -> None:
    data, ext = _data_and_predictions(2000, 1)
    partial = {"ml_g1": ext["ml_g1"], "ml_m": ext["ml_m"]}  # ml_g0 fitted by DoubleML
    ours, theirs = (
        _fit(ExternalIRM, data, "ATE", partial),
        _fit(dml.DoubleMLIRM, data, "ATE", partial),
    )
    np.testing.assert_array_equal(ours.all_coef, theirs.all_coef)


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_boosting_predicted_per_distinct_row_equals_predicting_every_row(task: str) -> None:
    rng = np.random.default_rng(11)
    n = 3000
    x = np.column_stack([rng.integers(0, 5, n), rng.poisson(1.5, n)]).astype(float)
    signal = x[:, 0] - 0.3 * x[:, 1] + rng.normal(size=n)
    target = (signal > 1).astype(float) if task == "classification" else signal
    folds = np.stack([rng.integers(0, 4, n), rng.integers(0, 4, n)])
    got = crossfit.cross_predict(
        x, target, folds, ["linear", "boosting"], task, seed=2, rounds=25
    )  # fmt: skip
    assert crossfit._distinct_rows(x[folds[0] == 0]) is not None  # the shortcut was taken
    for r in range(2):
        for k in range(4):
            test = folds[r] == k
            model = make_family("boosting", task, seed=2, max_iter=25).fit(x[~test], target[~test])
            plain = (
                model.predict_proba(x[test])[:, -1]
                if task == "classification"
                else model.predict(x[test])
            )
            np.testing.assert_array_equal(got["boosting"][test, r], plain)


def test_continuous_covariates_are_predicted_row_by_row() -> None:
    x = np.random.default_rng(1).normal(size=(500, 2))
    assert crossfit._distinct_rows(x) is None
