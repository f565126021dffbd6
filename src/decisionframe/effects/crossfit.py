"""Cross-fitted nuisance predictions, computed once per split and handed to DoubleML.

DoubleML can fit the nuisance learners itself, but then (a) every call re-checks the sample
splits with Python sets (a fifth of `analyze`'s time at 100k clients), (b) a stack's members
are predicted twice (once blended, once more for the specification table) and (c) a family
left out of the stack must be fitted again for that table. Here each family in a nuisance's
stack is fitted once per fold and split, its out-of-fold predictions are kept, and the stack's
prediction is their fixed-weight sum: exactly what ``BlendRegressor``/``BlendClassifier``
would predict inside DoubleML (same estimators, same seeds, same rows). DoubleML then gets
all nuisances as ``external_predictions`` and only computes the orthogonal scores, standard
errors and sensitivity elements, which do not depend on its own sample splits when every
nuisance is external (no cluster data).

sklearn's ``cross_val_predict`` does one split at a time for one estimator; a loop keeps
every family's fold fits side by side, which is the point.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from decisionframe.effects.learners import Family, Task, Weights, make_family

Predictions = dict[Family, np.ndarray]  # family -> (rows, repetitions) out-of-fold values


def matrix(x: pd.DataFrame) -> np.ndarray:
    """The covariates as floats (a constant column when there are none, as DoubleML needs)."""
    if x.shape[1] == 0:
        return np.ones((len(x), 1))
    return x.to_numpy(dtype=float)


def cross_predict(
    x: np.ndarray,
    target: np.ndarray,
    folds: np.ndarray,
    families: Iterable[Family],
    task: Task,
    *,
    seed: int,
    rounds: int,
    fit_rows: np.ndarray | None = None,
) -> Predictions:
    """Each family's out-of-fold predictions over ``folds`` ((n_rep, n) fold numbers).

    A fold's model is fitted on the other folds' rows (only those in ``fit_rows``, e.g. one
    treatment arm for an outcome model by arm) and predicts every row of its fold.
    Classification gives the probability of the higher class.
    """
    names = list(dict.fromkeys(families))
    n_rep, n = folds.shape
    out = {f: np.full((n, n_rep), np.nan) for f in names}
    for r in range(n_rep):
        for k in np.unique(folds[r]):
            test = folds[r] == k
            train = ~test if fit_rows is None else (~test & fit_rows)
            rows = _distinct_rows(x[test]) if "boosting" in names else None
            for family in names:
                model = make_family(family, task, seed=seed, max_iter=rounds)
                model.fit(x[train], target[train])
                out[family][test, r] = _predict(model, x[test], task, rows, family)
    return out


def _distinct_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct rows of ``x`` and each row's position among them, when there are at most
    half as many (covariates that are categories or small counts); else None."""
    if len(x) < 2 or np.isnan(x).any():
        return None
    distinct, inverse = np.unique(x, axis=0, return_inverse=True)
    return (distinct, inverse.reshape(-1)) if 2 * len(distinct) <= len(x) else None


def _predict(
    model: Any,
    x: np.ndarray,
    task: Task,
    rows: tuple[np.ndarray, np.ndarray] | None,
    family: Family,
) -> np.ndarray:
    """Out-of-fold values (classification: the higher class's probability).

    A boosting model predicts each row by walking its trees for that row alone, so it
    predicts each distinct row once and the values are copied to its duplicates: the same
    numbers, bit for bit, at a fraction of the cost when the covariates are categories
    (predicting was 7% of `analyze` at 100k clients). Linear models are always predicted on
    every row: a matrix product's last bits may depend on how many rows it is given.
    """
    if family == "boosting" and rows is not None:
        distinct, inverse = rows
        return np.asarray(_predict(model, distinct, task, None, family)[inverse])
    if task == "classification":
        return np.asarray(model.predict_proba(x)[:, -1], dtype=float)
    return np.asarray(model.predict(x), dtype=float)


def blend(predictions: Predictions, weights: Weights) -> np.ndarray:
    """The stack's out-of-fold prediction: the members' fixed-weight sum."""
    return np.asarray(sum(w * predictions[f] for f, w in weights), dtype=float)
