"""Nuisance models (outcome, treatment): a stacked blend of linear, regularized and boosting.

Double machine learning only needs nuisance models that predict well. Picking one family by
held-out loss puts the estimate on a knife's edge: two families whose losses differ by 0.3%
can give estimates a factor of two apart, and which one "wins" depends on the split. So each
nuisance is a *stack* (super learner, van der Laan, Polley and Hubbard 2007): the candidates'
out-of-fold predictions on a selection sample are combined with non-negative weights that
sum to one (non-negative least squares on the target; for classes, on the one-hot target,
i.e. the Brier score). The blend moves smoothly with the data instead of jumping between
families.

sklearn's StackingRegressor would re-learn the weights by an inner cross-validation inside
every DML fold (five times the boosting fits); the weights are learned once here, on the
same selection sample the earlier chooser used, and held fixed in every fold, refuter and
repetition; so is the number of boosting rounds of each nuisance, by early stopping on that
sample (``boosting_iterations``). A candidate with a weight below ``MIN_WEIGHT`` is left out
(its share moved to the others): this saves its fits and moves predictions by at most that
share of the difference between candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, RidgeCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from decisionframe.effects.design import Design

Family = Literal["linear", "regularized", "boosting"]
LearnerKind = Literal["linear", "regularized", "boosting", "stacked"]
Task = Literal["regression", "classification"]
FAMILIES: tuple[Family, ...] = ("linear", "regularized", "boosting")
Weights = tuple[tuple[Family, float], ...]

SELECTION_ROWS = 20_000  # a sample this size pins the weights down; more only costs time
SELECTION_FOLDS = 3
MIN_WEIGHT = 0.02
MIN_ITERATIONS = 20
_EPS = 1e-6
_NAMES = {"linear": "linear", "regularized": "ridge", "boosting": "gradient boosting"}


def make_family(family: Family, task: Task, *, seed: int, max_iter: int = 100) -> Any:
    """One candidate scikit-learn estimator for a regression or a classification."""
    if family == "linear":
        if task == "classification":
            # Scaled so lbfgs converges quickly; weak penalty: this is a prediction model.
            return make_pipeline(StandardScaler(), LogisticRegression(C=100.0, max_iter=500))
        return LinearRegression()
    if family == "regularized":
        if task == "classification":
            return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=500))
        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
    if task == "classification":
        return HistGradientBoostingClassifier(
            max_iter=max_iter, max_leaf_nodes=15, early_stopping=False, random_state=seed
        )
    return HistGradientBoostingRegressor(
        max_iter=max_iter, max_leaf_nodes=15, early_stopping=False, random_state=seed
    )


class BlendRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Fixed-weight blend of candidate regressors (a stack whose weights were learned once)."""

    def __init__(self, weights: Weights = (("linear", 1.0),), seed: int = 0, max_iter: int = 100):
        self.weights = weights
        self.seed = seed
        self.max_iter = max_iter

    def fit(self, x: Any, y: Any) -> BlendRegressor:
        self.models_ = [
            (w, make_family(f, "regression", seed=self.seed, max_iter=self.max_iter).fit(x, y))
            for f, w in self.weights
        ]
        return self

    def predict(self, x: Any) -> np.ndarray:
        return np.asarray(sum(w * m.predict(x) for w, m in self.models_), dtype=float)


class BlendClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Fixed-weight blend of candidate classifiers' probabilities."""

    def __init__(self, weights: Weights = (("linear", 1.0),), seed: int = 0, max_iter: int = 100):
        self.weights = weights
        self.seed = seed
        self.max_iter = max_iter

    def fit(self, x: Any, y: Any) -> BlendClassifier:
        self.classes_ = np.unique(y)
        self.models_ = []
        for f, w in self.weights:
            model = make_family(f, "classification", seed=self.seed, max_iter=self.max_iter)
            self.models_.append((w, model.fit(x, y)))
        return self

    def predict_proba(self, x: Any) -> np.ndarray:
        return np.asarray(sum(w * m.predict_proba(x) for w, m in self.models_), dtype=float)

    def predict(self, x: Any) -> np.ndarray:
        return np.asarray(self.classes_[np.argmax(self.predict_proba(x), axis=1)])


@dataclass(frozen=True)
class LearnerChoice:
    """The weights of each candidate family in the outcome and the treatment model, and why."""

    outcome_weights: Weights
    treatment_weights: Weights
    reason: str
    # Boosting rounds per nuisance (chosen once on the selection sample); None: the
    # estimator's own ``max_iter``.
    outcome_iter: int | None = None
    treatment_iter: int | None = None

    @classmethod
    def fixed(cls, kind: Family) -> LearnerChoice:
        return cls(((kind, 1.0),), ((kind, 1.0),), "fixed by the caller")

    def only(self, kind: Family) -> LearnerChoice:
        """One family alone for both nuisances, with this choice's boosting rounds."""
        return LearnerChoice(
            ((kind, 1.0),),
            ((kind, 1.0),),
            f"{kind} alone",
            self.outcome_iter,
            self.treatment_iter,
        )

    @property
    def outcome(self) -> Family:
        """The family with the largest weight in the outcome model."""
        return max(self.outcome_weights, key=lambda fw: fw[1])[0]

    @property
    def treatment(self) -> Family:
        return max(self.treatment_weights, key=lambda fw: fw[1])[0]

    def describe(self) -> str:
        """For an estimate's method text: the blends and the reason for them."""
        return (
            f"outcome model {_blend_text(self.outcome_weights)}, treatment model "
            f"{_blend_text(self.treatment_weights)}, {self.reason}"
        )


def _blend_text(weights: Weights) -> str:
    if len(weights) == 1:
        return _NAMES[weights[0][0]]
    return "stack of " + " + ".join(f"{w:.0%} {_NAMES[f]}" for f, w in weights)


def make_learner(weights: Weights, task: Task, *, seed: int, max_iter: int = 100) -> Any:
    """The nuisance learner for a blend (a plain candidate when it has one family)."""
    if len(weights) == 1:
        return make_family(weights[0][0], task, seed=seed, max_iter=max_iter)
    cls = BlendClassifier if task == "classification" else BlendRegressor
    return cls(weights=weights, seed=seed, max_iter=max_iter)


def _out_of_fold(
    family: Family, task: Task, x: np.ndarray, target: np.ndarray, seed: int, max_iter: int
) -> np.ndarray:
    """Out-of-fold predictions: values (regression) or class probabilities (classification)."""
    classes = np.unique(target)
    width = len(classes) if task == "classification" else 1
    out = np.empty((len(target), width))
    strata = target if task == "classification" else np.zeros(len(target))
    folds = StratifiedKFold(n_splits=SELECTION_FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(x, strata):
        model = clone(make_family(family, task, seed=seed, max_iter=max_iter))
        model.fit(x[train], target[train])
        if task == "classification":
            out[test] = model.predict_proba(x[test])
        else:
            out[test, 0] = model.predict(x[test])
    return out


def boosting_iterations(
    task: Task, x: np.ndarray, target: np.ndarray, seed: int, max_iter: int
) -> int:
    """Boosting rounds for one nuisance, chosen once by early stopping on the selection
    sample (held-out loss, 20% validation, 10 rounds without gain) and then fixed in every
    fold, refuter and repetition, so the folds stay deterministic and cheap."""
    cls = (
        HistGradientBoostingClassifier
        if task == "classification"
        else HistGradientBoostingRegressor
    )
    model = cls(
        max_iter=max_iter,
        max_leaf_nodes=15,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=10,
        random_state=seed,
    )
    try:
        model.fit(x, target)
    except ValueError:  # e.g. a class too rare to appear in the validation part
        return max_iter
    return int(min(max(model.n_iter_, MIN_ITERATIONS), max_iter))


def stack_weights(
    task: Task, x: np.ndarray, target: np.ndarray, seed: int, max_iter: int
) -> tuple[Weights, str, int]:
    """Non-negative weights (summing to one) of the candidates' out-of-fold predictions,
    and the boosting rounds used for this nuisance."""
    if task == "classification" and min(np.unique(target, return_counts=True)[1]) < SELECTION_FOLDS:
        return (("boosting", 1.0),), "boosting only (too few of a class to compare)", max_iter
    max_iter = boosting_iterations(task, x, target, seed, max_iter)
    rounds = f"{max_iter} boosting rounds by early stopping"
    if np.isnan(x).any():
        return (("boosting", 1.0),), f"boosting only (missing covariate values), {rounds}", max_iter
    predictions = {f: _out_of_fold(f, task, x, target, seed, max_iter) for f in FAMILIES}
    if task == "classification":
        truth = (target[:, None] == np.unique(target)[None, :]).astype(float).ravel()
    else:
        truth = target.astype(float)
    design = np.column_stack([predictions[f].ravel() for f in FAMILIES])
    raw, _ = nnls(design, truth)
    if raw.sum() <= 0:
        raw = np.ones(len(FAMILIES))
    share = raw / raw.sum()
    share = np.where(share < MIN_WEIGHT, 0.0, share)
    share = share / share.sum()
    weights = tuple((f, round(float(w), 4)) for f, w in zip(FAMILIES, share, strict=True) if w > 0)
    losses = []
    for f in FAMILIES:
        p = predictions[f].ravel()
        losses.append(f"{_NAMES[f]} {np.mean((truth - p) ** 2):.4g}")
    loss = "Brier" if task == "classification" else "squared error"
    return weights, f"held-out {loss}: " + ", ".join(losses) + f"; {rounds}", max_iter


def choose_learners(design: Design, *, seed: int, max_iter: int = 100) -> LearnerChoice:
    """Stack weights for the outcome and the treatment model, learned on a sample."""
    rng = np.random.default_rng(seed)
    rows = np.arange(design.n)
    if design.n > SELECTION_ROWS:
        rows = np.sort(rng.choice(design.n, size=SELECTION_ROWS, replace=False))
    x = design.x.iloc[rows].to_numpy(dtype=float)
    if x.shape[1] == 0:
        return LearnerChoice((("linear", 1.0),), (("linear", 1.0),), "as there are no covariates")
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
    outcome, outcome_reason, outcome_iter = stack_weights(
        outcome_task, np.hstack([x, treatment_as_feature]), design.y[rows], seed, max_iter
    )
    treatment, treatment_reason, treatment_iter = stack_weights(
        treatment_task, x, d, seed, max_iter
    )
    return LearnerChoice(
        outcome,
        treatment,
        f"stack weights from held-out predictions (outcome: {outcome_reason}; "
        f"treatment: {treatment_reason})",
        outcome_iter,
        treatment_iter,
    )
