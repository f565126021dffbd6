"""Sensitivity to an unmeasured confounder: robustness values (Chernozhukov, Cinelli,
Newey, Sharma and Syrgkanis, 2022), computed by DoubleML from the fitted model, and bounds
benchmarked against what was measured (Cinelli and Hazlett 2020): "an unmeasured confounder
as strong as case complexity would move the estimate to between A and B".

The benchmark of a measured covariate is its gain statistics (how much of the outcome's and
of the treatment's remaining variation it explains, and how adversely; DoubleML's
``gain_statistics``, the same numbers as ``sensitivity_benchmark``), estimated by fitting the
model with and without it on a sample of at most ``BENCHMARK_ROWS`` of the estimate's own
clients with the estimate's folds and learners (``sensitivity_benchmark`` would re-fit the
full model with all its repeated splits once per covariate). Those strengths are then fed
to the full model's ``sensitivity_analysis`` for the bounds.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from decisionframe.effects.design import Design
from decisionframe.effects.estimate import Estimator, FitPlan, FittedEffect

# A "weak" unmeasured confounder: explains 1% of the variation of both treatment and outcome
# that the measured covariates leave unexplained (outcomes like housing are mostly noise at
# the client level, so even 1% of that is not nothing).
WEAK_CONFOUNDER = 0.01
BENCHMARK_ROWS = 5_000
MAX_BENCHMARKS = 6


@dataclass(frozen=True)
class Benchmark:
    """What an unmeasured confounder as strong as one measured covariate would do."""

    covariate: str
    cf_y: float
    cf_d: float
    rho: float
    estimate_low: float
    estimate_high: float
    reading: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Benchmark:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Sensitivity:
    robustness_value: float | None
    robustness_value_significance: float | None
    benchmark: float
    explained_away_by_weak_confounder: bool
    reading: str
    benchmarks: tuple[Benchmark, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _quiet_sensitivity(model: Any, cf_y: float, cf_d: float, rho: float = 1.0) -> bool:
    """Run DoubleML's sensitivity analysis; True if it had to approximate a variance."""
    with warnings.catch_warnings(record=True) as caught:
        # DoubleML 0.11 calls pandas APIs deprecated in pandas 3 (harmless), and warns when
        # it must fall back to a non-orthogonal variance estimate (we say so in the reading).
        warnings.simplefilter("always")
        model.sensitivity_analysis(cf_y=cf_y, cf_d=cf_d, rho=rho)
    return any("not positive" in str(w.message) for w in caught)


def sensitivity_of(
    fitted: FittedEffect,
    *,
    treatment: str,
    outcome: str,
    benchmarks: tuple[Benchmark, ...] = (),
) -> Sensitivity:
    model = fitted.model
    if not hasattr(model, "sensitivity_analysis"):
        return Sensitivity(
            None,
            None,
            WEAK_CONFOUNDER,
            False,
            "No sensitivity analysis is available for this kind of treatment.",
        )
    approximate = _quiet_sensitivity(model, WEAK_CONFOUNDER, WEAK_CONFOUNDER)
    params = model.sensitivity_params
    rv, rva = float(params["rv"][0]), float(params["rva"][0])
    significant = fitted.estimate.effect.excludes_zero
    weak = significant and rva < WEAK_CONFOUNDER
    if not significant:
        reading = (
            f"The estimate is not distinguishable from zero; an unmeasured cause of {treatment} "
            f"and {outcome} would only need to explain {rv:.1%} of their remaining variation "
            "to account for what is left of it."
        )
    else:
        reading = (
            f"To explain this effect away, an unmeasured cause would need to explain {rv:.1%} "
            f"of the remaining variation in both {treatment} and {outcome} ({rva:.1%} to make "
            f"it statistically uncertain). A weak confounder explains about "
            f"{WEAK_CONFOUNDER:.0%}: "
            + ("this effect would not survive one." if weak else "this effect would survive one.")
        )
    if benchmarks:
        strongest = max(benchmarks, key=lambda b: b.estimate_high - b.estimate_low)
        reading += " " + strongest.reading
    if approximate:
        reading += " (Approximate: the treatment's remaining variation was estimated indirectly.)"
    return Sensitivity(rv, rva, WEAK_CONFOUNDER, weak, reading, benchmarks)


def _drop(design: Design, columns: list[str]) -> Design:
    return replace(design, x=design.x.drop(columns=columns))


def _sample(design: Design, rows: np.ndarray) -> Design:
    return replace(
        design, y=design.y[rows], d=design.d[rows], x=design.x.iloc[rows].reset_index(drop=True)
    )


def benchmark_covariates(
    fitted: FittedEffect,
    estimator: Estimator,
    groups: dict[str, list[str]],
    *,
    seed: int,
    unit: str,
) -> tuple[Benchmark, ...]:
    """Bounds for an unmeasured confounder as strong as each measured covariate (group of
    design columns, e.g. one node's dummies). A benchmark that cannot be computed is left
    out (it is a comparison, not a test)."""
    import doubleml as dml

    model, plan = fitted.model, fitted.plan
    if not hasattr(model, "sensitivity_analysis") or plan is None or not groups:
        return ()
    kept = np.nonzero(plan.keep)[0]
    rng = np.random.default_rng(seed + 3)
    rows = (
        np.sort(rng.choice(kept, size=BENCHMARK_ROWS, replace=False))
        if len(kept) > BENCHMARK_ROWS
        else kept
    )
    sample = _sample(fitted.design, rows)
    sub_plan = FitPlan(np.ones(len(rows), dtype=bool), plan.folds[:1, rows])
    est = fitted.estimate
    sign = -1.0 if est.estimand == "ATC" else 1.0

    def fit(design: Design) -> Any:
        return estimator.fit(
            design,
            estimand=est.estimand,
            scale=est.scale,
            seed=seed,
            learners=fitted.learners,
            plan=sub_plan,
        ).model

    out = []
    try:
        long = fit(sample)
        for name, columns in list(groups.items())[:MAX_BENCHMARKS]:
            if len(columns) == sample.x.shape[1]:
                continue  # the only covariate: nothing would be left to compare with
            short = fit(_drop(sample, columns))
            gains = dml.utils.gain_statistics(dml_long=long, dml_short=short)
            cf_y, cf_d = float(np.ravel(gains["cf_y"])[0]), float(np.ravel(gains["cf_d"])[0])
            rho = float(np.ravel(gains["rho"])[0])
            _quiet_sensitivity(model, min(cf_y, 0.999), min(cf_d, 0.999), abs(rho))
            theta = model.sensitivity_params["theta"]
            low = sign * float(np.ravel(theta["lower"])[0]) * est.scale
            high = sign * float(np.ravel(theta["upper"])[0]) * est.scale
            low, high = min(low, high), max(low, high)
            # Whether zero is ruled out is said of the confidence bounds (sampling error
            # and the confounder together), not of the point bounds: with a weak
            # confounder the point bounds collapse onto the estimate ("+0.034 to +0.034,
            # which still excludes zero") while its interval already reaches zero.
            ci = model.sensitivity_params["ci"]
            ci_low = sign * float(np.ravel(ci["lower"])[0]) * est.scale
            ci_high = sign * float(np.ravel(ci["upper"])[0]) * est.scale
            ci_low, ci_high = min(ci_low, ci_high), max(ci_low, ci_high)
            zero = (
                "which includes zero." if ci_low <= 0 <= ci_high else "which still excludes zero."
            )
            reading = (
                f"An unmeasured confounder as strong as {name} (explaining {cf_y:.1%} of the "
                f"outcome's and {cf_d:.1%} of the treatment's remaining variation) would move "
                f"the estimate to between {low:+.3g} and {high:+.3g} {unit}; with sampling "
                f"error, {ci_low:+.3g} to {ci_high:+.3g}, {zero}"
            )
            out.append(Benchmark(name, cf_y, cf_d, abs(rho), low, high, reading))
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, KeyError, TypeError):
        return tuple(out)
    finally:
        _quiet_sensitivity(model, WEAK_CONFOUNDER, WEAK_CONFOUNDER)
    return tuple(out)
