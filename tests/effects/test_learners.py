"""Nuisance learners are stacks weighted by held-out loss; the stack never costs correctness."""

from __future__ import annotations

import numpy as np
import pandas as pd

from decisionframe.effects.design import make_design
from decisionframe.effects.estimate import DoubleMLEstimator
from decisionframe.effects.learners import LearnerChoice, choose_learners

EST = DoubleMLEstimator(n_folds=3, max_iter=60)


def _nonlinear(n: int, seed: int) -> pd.DataFrame:
    """Confounding through a U-shape a linear model cannot see at all."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(-2, 2, n)
    t = 1.5 * c**2 + rng.normal(0, 0.5, n)
    y = 0.5 * t - 2.0 * c**2 + rng.normal(0, 0.5, n)
    return pd.DataFrame({"y": y, "t": t, "c": c})


def _linear(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c = rng.normal(size=n)
    t = 0.8 * c + rng.normal(size=n)
    y = 0.5 * t - 1.0 * c + rng.normal(size=n)
    return pd.DataFrame({"y": y, "t": t, "c": c})


def test_nonlinear_confounding_gets_boosting_and_the_right_answer() -> None:
    design = make_design(_nonlinear(4000, 1), treatment="t", outcome="y", covariates=["c"])
    choice = choose_learners(design, seed=1, max_iter=60)
    assert (choice.outcome, choice.treatment) == ("boosting", "boosting")
    effect = EST.fit(design, estimand="ATE", scale=1.0, seed=1).estimate.effect
    assert effect.ci_low < 0.5 < effect.ci_high
    # What the choice protects against: linear nuisances are far off here.
    linear = DoubleMLEstimator(n_folds=3, learners="linear")
    wrong = linear.fit(design, estimand="ATE", scale=1.0, seed=1).estimate.effect
    assert not wrong.ci_low < 0.5 < wrong.ci_high


def test_linear_data_stacks_mostly_linear_and_gives_the_same_answer_as_boosting() -> None:
    design = make_design(_linear(4000, 2), treatment="t", outcome="y", covariates=["c"])
    fitted = EST.fit(design, estimand="ATE", scale=1.0, seed=2)
    assert fitted.learners is not None
    assert (fitted.learners.outcome, fitted.learners.treatment) == ("linear", "linear")
    assert "stack weights from held-out predictions" in fitted.estimate.method
    boosted = EST.fit(
        design, estimand="ATE", scale=1.0, seed=2, learners=LearnerChoice.fixed("boosting")
    )
    assert abs(fitted.estimate.effect.estimate - boosted.estimate.effect.estimate) < (
        fitted.estimate.effect.se
    )


def test_binary_treatment_reuses_nuisances_for_att_and_atc() -> None:
    rng = np.random.default_rng(3)
    n = 6000
    hard = rng.random(n) < 0.4
    d = rng.random(n) < np.where(hard, 0.7, 0.25)
    tau = np.where(hard, 0.3, 0.05)
    y = 0.2 - 0.1 * hard + tau * d + rng.normal(0, 0.3, n)
    frame = pd.DataFrame({"y": y, "d": d, "hard": hard})
    design = make_design(frame, treatment="d", outcome="y", covariates=["hard"])
    fits = {e: EST.fit(design, estimand=e, scale=1.0, seed=4) for e in ("ATE", "ATT", "ATC")}
    truth = {"ATE": tau.mean(), "ATT": tau[d].mean(), "ATC": tau[~d].mean()}
    for estimand, fitted in fits.items():
        effect = fitted.estimate.effect
        assert abs(effect.estimate - truth[estimand]) < 3 * effect.se, estimand
    # One set of nuisance predictions serves all three estimands.
    ate_g1 = np.asarray(fits["ATE"].model.predictions["ml_g1"])[:, 0, 0]
    att_g1 = np.asarray(fits["ATT"].model.predictions["ml_g1"])[:, 0, 0]
    atc_g0 = np.asarray(fits["ATC"].model.predictions["ml_g0"])[:, 0, 0]
    np.testing.assert_allclose(att_g1, ate_g1)
    np.testing.assert_allclose(atc_g0, ate_g1)


def _mixed(n: int, seed: int) -> pd.DataFrame:
    """Partly non-linear confounding, so every family gets a share of the stack."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(-2, 2, n)
    e = rng.normal(size=n)
    t = c + 0.5 * c**2 + 0.5 * e + rng.normal(0, 1.0, n)
    y = 0.5 * t - c - 0.6 * c**2 + e + rng.normal(0, 1.0, n)
    d = rng.random(n) < 1.0 / (1.0 + np.exp(-0.4 * c - 0.2 * c**2 + 0.4))
    return pd.DataFrame({"y": y + 0.3 * d, "t": t, "d": d, "c": c, "e": e})


def test_specification_from_the_stacks_members_equals_fitting_each_family_alone() -> None:
    """The table reads each family's own out-of-fold predictions inside the stack (no
    re-fit); fitting that family alone on the same rows and folds gives the same estimate."""
    frame = _mixed(3000, 5)
    for treatment in ("t", "d"):
        design = make_design(frame, treatment=treatment, outcome="y", covariates=["c", "e"])
        fitted = EST.fit(design, estimand="ATE", scale=1.0, seed=5)
        assert fitted.specify is not None
        assert fitted.plan is not None
        assert fitted.plan.keep.all()  # no trimming: the same sample either way
        assert fitted.learners is not None
        stacked = {f for f, _ in fitted.learners.outcome_weights} & {
            f for f, _ in fitted.learners.treatment_weights
        }
        assert stacked, "the check needs a family inside both stacks"
        for family in stacked:
            own = fitted.specify(family)
            alone = EST.fit(
                design,
                estimand="ATE",
                scale=1.0,
                seed=5,
                learners=fitted.learners.only(family),
                plan=fitted.plan.first(),
            ).estimate.effect
            assert own is not None
            np.testing.assert_allclose(
                [own.estimate, own.se], [alone.estimate, alone.se], rtol=1e-9
            )
