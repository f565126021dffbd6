"""Overlap and covariate balance: can the data compare like with like?"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from decisionframe.effects.estimate import FittedEffect

_HISTOGRAM_BINS = 20


@dataclass(frozen=True)
class Balance:
    covariate: str
    before: float
    after: float


@dataclass(frozen=True)
class Diagnostics:
    """Overlap summary, balance before/after adjustment, and missing-data exclusions."""

    overlap_kind: str  # "propensity" (binary) or "treatment predictability" (continuous)
    outside_support: int
    trimmed: int
    trimming_rule: str
    propensity_histogram: dict[str, list[float]]
    treatment_r2: float | None
    balance: tuple[Balance, ...]
    balance_metric: str
    dropped: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _smd(x: np.ndarray, treated: np.ndarray, weights: np.ndarray) -> float:
    def stats(mask: np.ndarray) -> tuple[float, float]:
        w = weights[mask]
        mean = float(np.average(x[mask], weights=w))
        var = float(np.average((x[mask] - mean) ** 2, weights=w))
        return mean, var

    (m1, v1), (m0, v0) = stats(treated), stats(~treated)
    pooled = np.sqrt((v1 + v0) / 2)
    return 0.0 if pooled == 0 else (m1 - m0) / pooled


def _histogram(values: np.ndarray) -> list[float]:
    counts, _ = np.histogram(values, bins=_HISTOGRAM_BINS, range=(0.0, 1.0))
    return [float(c) for c in counts]


def diagnose(fitted: FittedEffect, dropped: dict[str, int]) -> Diagnostics:
    """Overlap and balance for a fitted effect (binary: propensity; continuous: residuals)."""
    design, kept = fitted.design, fitted.kept
    x = design.x.to_numpy(dtype=float)
    names = list(design.x.columns)
    overlap = fitted.estimate.overlap
    if design.treatment_kind == "binary":
        rule = overlap.rule if overlap else "the estimate's own sample (no new trimming)"
        if overlap is not None:
            rule += f"; {overlap.population}"
        e = fitted.treatment_prediction
        treated = design.d[kept] == 1
        xk = x[kept]
        estimand = fitted.estimate.estimand
        if estimand == "ATT":
            weights = np.where(treated, 1.0, e / (1 - e))
        elif estimand == "ATC":
            weights = np.where(treated, (1 - e) / e, 1.0)
        else:
            weights = np.where(treated, 1 / e, 1 / (1 - e))
        ones = np.ones(len(e))
        balance = tuple(
            Balance(n, _smd(xk[:, j], treated, ones), _smd(xk[:, j], treated, weights))
            for j, n in enumerate(names)
        )
        return Diagnostics(
            "propensity",
            fitted.estimate.trimmed,
            fitted.estimate.trimmed,
            rule,
            {"treated": _histogram(e[treated]), "untreated": _histogram(e[~treated])},
            None,
            balance,
            "standardized mean difference (after: inverse-propensity weighted)",
            dropped,
        )
    d = design.d
    balance_rows = []
    r2: float | None = None
    if design.treatment_kind == "continuous" and len(fitted.treatment_prediction):
        residual = d - fitted.treatment_prediction
        r2 = float(1 - residual.var() / d.var())
        for j, n in enumerate(names):
            before = float(np.corrcoef(x[:, j], d)[0, 1]) if x[:, j].std() > 0 else 0.0
            after = float(np.corrcoef(x[:, j], residual)[0, 1]) if x[:, j].std() > 0 else 0.0
            balance_rows.append(Balance(n, before, after))
    return Diagnostics(
        "treatment predictability",
        0,
        0,
        "no trimming for continuous treatments; a high R² means little independent variation",
        {},
        r2,
        tuple(balance_rows),
        "correlation with the treatment (after: with the treatment's cross-fitted residual)",
        dropped,
    )
