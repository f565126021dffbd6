"""Choose each nuisance model (outcome, treatment) by out-of-sample loss: linear or boosting.

Double machine learning only needs nuisance models that predict well; it does not need
them flexible for their own sake. Where a linear model predicts at least as well as
gradient boosting, it is many times faster and no less valid, and every refuter re-fits
the same models, so the choice pays several times over. Boosting is kept wherever its
held-out loss is lower, so nonlinear confounding is never traded for speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from decisionframe.effects.design import Design

LearnerKind = Literal["linear", "boosting"]
Task = Literal["regression", "classification"]

SELECTION_ROWS = 20_000  # a sample this size tells the two apart; more only costs time
SELECTION_FOLDS = 3
# Boosting is chosen when its held-out loss is lower by more than this many standard errors
# of the paired per-client loss difference. Zero: whenever it is lower at all. (Measured:
# with 2.0, small samples kept linear models where boosting was slightly better, and the
# coverage of one interval fell to 90%.)
SELECTION_Z = 0.0
_EPS = 1e-6


@dataclass(frozen=True)
class LearnerChoice:
    """Which model family fits each nuisance, and why (the held-out losses behind it)."""

    outcome: LearnerKind
    treatment: LearnerKind
    reason: str

    @classmethod
    def fixed(cls, kind: LearnerKind) -> LearnerChoice:
        return cls(kind, kind, "fixed by the caller")

    def describe(self) -> str:
        """For an estimate's method text: the two model families and the reason for them."""
        names = {"linear": "linear", "boosting": "gradient boosting"}
        return (
            f"outcome model {names[self.outcome]}, treatment model {names[self.treatment]}, "
            f"{self.reason}"
        )


def make_learner(kind: LearnerKind, task: Task, *, seed: int, max_iter: int = 100) -> Any:
    """A scikit-learn estimator of the given family for a regression or a classification."""
    if kind == "linear":
        if task == "classification":
            # Scaled so lbfgs converges quickly; weak penalty: this is a prediction model.
            return make_pipeline(StandardScaler(), LogisticRegression(C=100.0, max_iter=500))
        return LinearRegression()
    if task == "classification":
        return HistGradientBoostingClassifier(
            max_iter=max_iter, max_leaf_nodes=15, early_stopping=False, random_state=seed
        )
    return HistGradientBoostingRegressor(
        max_iter=max_iter, max_leaf_nodes=15, early_stopping=False, random_state=seed
    )


def _held_out_losses(
    kind: LearnerKind, task: Task, x: np.ndarray, target: np.ndarray, seed: int, max_iter: int
) -> np.ndarray:
    """Per-row loss of out-of-fold predictions (squared error, or log loss)."""
    losses = np.empty(len(target))
    folds = KFold(n_splits=SELECTION_FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(x):
        model = make_learner(kind, task, seed=seed, max_iter=max_iter).fit(x[train], target[train])
        if task == "classification":
            proba = np.clip(model.predict_proba(x[test]), _EPS, 1 - _EPS)
            classes = list(model.classes_)
            index = np.searchsorted(classes, target[test])
            losses[test] = -np.log(proba[np.arange(len(test)), index])
        else:
            losses[test] = (target[test] - model.predict(x[test])) ** 2
    return losses


def _choose(
    task: Task, x: np.ndarray, target: np.ndarray, seed: int, max_iter: int
) -> tuple[LearnerKind, str]:
    if np.isnan(x).any():
        return "boosting", "missing covariate values"
    if task == "classification" and min(np.unique(target, return_counts=True)[1]) < SELECTION_FOLDS:
        return "boosting", "too few of a class to compare"
    linear = _held_out_losses("linear", task, x, target, seed, max_iter)
    boosting = _held_out_losses("boosting", task, x, target, seed, max_iter)
    difference = linear - boosting
    se = difference.std(ddof=1) / np.sqrt(len(difference))
    kind: LearnerKind = "boosting" if difference.mean() > SELECTION_Z * se else "linear"
    loss = "log loss" if task == "classification" else "squared error"
    return kind, f"{loss} linear {linear.mean():.4g} vs boosting {boosting.mean():.4g}"


def choose_learners(design: Design, *, seed: int, max_iter: int = 100) -> LearnerChoice:
    """Pick linear or boosting for the outcome and the treatment model on a sample."""
    rng = np.random.default_rng(seed)
    rows = np.arange(design.n)
    if design.n > SELECTION_ROWS:
        rows = np.sort(rng.choice(design.n, size=SELECTION_ROWS, replace=False))
    x = design.x.iloc[rows].to_numpy(dtype=float)
    if x.shape[1] == 0:
        return LearnerChoice("linear", "linear", "as there are no covariates")
    d = design.d[rows]
    treatment_as_feature = (
        pd.get_dummies(pd.Series(d).astype(int), drop_first=True, dtype=float).to_numpy()
        if design.treatment_kind == "categorical"
        else d[:, None]
    )
    outcome_task: Task = "classification" if design.outcome_kind == "binary" else "regression"
    treatment_task: Task = (
        "regression" if design.treatment_kind == "continuous" else "classification"
    )
    outcome, outcome_reason = _choose(
        outcome_task, np.hstack([x, treatment_as_feature]), design.y[rows], seed, max_iter
    )
    treatment, treatment_reason = _choose(treatment_task, x, d, seed, max_iter)
    return LearnerChoice(
        outcome,
        treatment,
        f"chosen by held-out loss (outcome: {outcome_reason}; treatment: {treatment_reason})",
    )
