"""Repeated sample splits from the seed and each row's stable identity, never storage order.

A design's rows are first put in a content order (``stable_order``): sorted by a hash of
the row's own analysis values, so the same data gives the same order whatever the
pseudonymization key or the order rows were imported in (rows with identical values are
interchangeable, so their relative order cannot change any result). Folds are then drawn
from the seed over that order, stratified by treatment arm when the treatment is discrete.

Repeated cross-fitting (Chernozhukov et al. 2018, section 3.4): the estimate is the median
of the per-split estimates, and its variance the median of (per-split variance + squared
distance of the split's estimate from the median), so the split-to-split variation is in
the interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold

Splits = list[list[tuple[np.ndarray, np.ndarray]]]
_MANTISSA_BITS = 40  # values are hashed to 40 bits: parallel sums differ in the last bits


def _canonical(column: pd.Series) -> pd.Series:
    """A column's values in a form whose hash does not depend on float noise or dtype."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        values = column.astype(float).to_numpy()
        mantissa, exponent = np.frexp(values)
        rounded = np.ldexp(np.round(mantissa * 2.0**_MANTISSA_BITS) / 2.0**_MANTISSA_BITS, exponent)
        return pd.Series(np.where(np.isnan(values), np.nan, rounded), index=column.index)
    return column.astype("string").fillna("\x00missing")


def stable_order(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Only ``columns``, rows sorted by a hash of their values (index reset).

    Float columns come back rounded to 40 significant bits (about 12 digits): an average
    over a client's contacts can differ in its last bits with the order DuckDB summed them
    in, and that noise must not reach the estimate either.
    """
    canonical = pd.DataFrame({c: _canonical(frame[c]) for c in columns}, index=frame.index)
    if frame.empty:
        return frame[list(columns)].reset_index(drop=True)
    hashes = pd.util.hash_pandas_object(canonical, index=False).to_numpy()
    order = np.argsort(hashes, kind="stable")
    out = frame[list(columns)].copy()
    for c in columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = canonical[c]
    return out.iloc[order].reset_index(drop=True)


def _seed(seed: int, repetition: int) -> int:
    return int(np.random.SeedSequence([seed, repetition]).generate_state(1)[0] % 2**31)


def fold_ids(n_folds: int, n_rep: int, seed: int, strata: np.ndarray | None) -> np.ndarray:
    """(n_rep, n) fold numbers; stratified when every stratum has at least n_folds rows."""
    n = len(strata) if strata is not None else 0
    ids = np.empty((n_rep, n), dtype=int)
    stratify = strata is not None and min(np.unique(strata, return_counts=True)[1]) >= n_folds
    for r in range(n_rep):
        splitter: KFold | StratifiedKFold = (
            StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=_seed(seed, r))
            if stratify
            else KFold(n_splits=n_folds, shuffle=True, random_state=_seed(seed, r))
        )
        target = strata if strata is not None else np.zeros(n)
        for k, (_, test) in enumerate(splitter.split(np.zeros(n), target)):
            ids[r, test] = k
    return ids


def to_splits(ids: np.ndarray) -> Splits:
    """DoubleML's sample splitting (per repetition, per fold: train and test row numbers)."""
    out: Splits = []
    for row in ids:
        folds = []
        for k in np.unique(row):
            test = np.nonzero(row == k)[0]
            folds.append((np.nonzero(row != k)[0], test))
        out.append(folds)
    return out


def aggregate(thetas: np.ndarray, ses: np.ndarray) -> tuple[float, float]:
    """Median estimate over splits; standard error with the split-to-split variation."""
    theta = float(np.median(thetas))
    se = float(np.sqrt(np.median(ses**2 + (thetas - theta) ** 2)))
    return theta, se
