"""Turn an analysis frame into numeric arrays, and refuse what cannot be estimated honestly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from decisionframe.errors import NotEstimableError

TreatmentKind = Literal["binary", "continuous", "categorical"]
OutcomeKind = Literal["binary", "continuous"]
MAX_CATEGORY_LEVELS = 8


@dataclass(frozen=True)
class Design:
    """Numeric outcome, treatment and covariate matrix for one effect."""

    y: np.ndarray
    d: np.ndarray
    x: pd.DataFrame
    treatment_kind: TreatmentKind
    outcome_kind: OutcomeKind
    levels: tuple[str, ...] = ()  # categorical treatment: reference first
    treatment: str = "treatment"  # the names, for sentences and sensitivity readings
    outcome: str = "outcome"

    @property
    def n(self) -> int:
        return len(self.y)


def _is_binary(values: pd.Series) -> bool:
    unique = pd.unique(values.dropna())
    return len(unique) == 2 and set(np.asarray(unique, dtype=float)) <= {0.0, 1.0}


def treatment_kind(values: pd.Series) -> TreatmentKind:
    if pd.api.types.is_bool_dtype(values) or (
        pd.api.types.is_numeric_dtype(values) and _is_binary(values)
    ):
        return "binary"
    if pd.api.types.is_numeric_dtype(values):
        return "continuous"
    return "categorical"


def covariate_matrix(frame: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """Numeric covariates as float; text and categories one-hot (first level dropped)."""
    parts: list[pd.Series | pd.DataFrame] = []
    for name in covariates:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            parts.append(column.astype(float).rename(name))
        else:
            dummies = pd.get_dummies(column.astype(str), prefix=name, drop_first=True, dtype=float)
            parts.append(dummies)
    if not parts:
        return pd.DataFrame(index=frame.index)
    x = pd.concat(parts, axis=1)
    constant = [c for c in x.columns if x[c].nunique() <= 1]
    return x.drop(columns=constant)


def covariate_groups(design: Design, covariates: list[str]) -> dict[str, list[str]]:
    """The design columns that encode each covariate (a number, or a category's dummies)."""
    columns = list(design.x.columns)
    groups: dict[str, list[str]] = {}
    for name in covariates:
        if name in columns:
            groups[name] = [name]
        else:
            dummies = [c for c in columns if c.startswith(f"{name}_") and c not in covariates]
            if dummies:
                groups[name] = dummies
    return groups


def make_design(
    frame: pd.DataFrame, *, treatment: str, outcome: str, covariates: list[str]
) -> Design:
    """Validate and encode; raises NotEstimableError with a plain reason otherwise."""
    if len(frame) < 20:
        raise NotEstimableError(
            f"only {len(frame)} complete clients for {treatment} -> {outcome}; at least 20 are "
            "needed. Hint: check the frame's dropped counts (missing outcome or treatment)."
        )
    y_raw = frame[outcome]
    if y_raw.nunique() < 2:
        raise NotEstimableError(
            f"outcome '{outcome}' has a single value in the data: no effect can be estimated"
        )
    d_raw = frame[treatment]
    if d_raw.nunique() < 2:
        raise NotEstimableError(
            f"treatment '{treatment}' does not vary: every client has the same value"
        )
    kind = treatment_kind(d_raw)
    levels: tuple[str, ...] = ()
    d: np.ndarray
    if kind == "categorical":
        counts = d_raw.astype(str).value_counts()
        if len(counts) > MAX_CATEGORY_LEVELS:
            raise NotEstimableError(
                f"treatment '{treatment}' has {len(counts)} levels; at most "
                f"{MAX_CATEGORY_LEVELS} are supported. Hint: group rare levels."
            )
        levels = tuple(counts.index)  # most common level is the reference
        d = d_raw.astype(str).map({level: i for i, level in enumerate(levels)}).to_numpy(float)
    else:
        d = d_raw.astype(float).to_numpy()
    y_kind: OutcomeKind = "binary" if _is_binary(y_raw.astype(float)) else "continuous"
    return Design(
        y=y_raw.astype(float).to_numpy(),
        d=d,
        x=covariate_matrix(frame, covariates),
        treatment_kind=kind,
        outcome_kind=y_kind,
        levels=levels,
        treatment=treatment,
        outcome=outcome,
    )
