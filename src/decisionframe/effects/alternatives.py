"""Estimates for edges identified without back-door adjustment: instruments and front doors.

When an unmeasured cause confounds an assumption, two graph shapes still identify it:

* an **instrument** (a measured cause of the treatment with no other path to the outcome):
  DoubleML's partially linear IV model, which with no covariates is two-stage least squares;
  the estimate is the effect for the clients whose treatment the instrument moves (it
  equals the average effect when the effect is the same for everyone);
* a **front door** (measured mediators carrying the whole effect, each unconfounded with
  the treatment, and the treatment blocking every back door from them to the outcome):
  the effect of the treatment on each mediator times the mediator's effect on the outcome
  holding the treatment fixed, summed over mediators (Pearl's front-door formula for
  effects linear in the mediators), with a delta-method interval.

Both rest on stronger, untestable assumptions than back-door adjustment, and the method
text says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from decisionframe.effects.design import Design, make_design
from decisionframe.effects.estimate import (
    DoubleMLEstimator,
    EffectEstimate,
    Interval,
    naive_difference,
    sample_splits,
)
from decisionframe.effects.learners import make_family
from decisionframe.errors import NotEstimableError


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = frame[column]
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        raise NotEstimableError(
            f"'{column}' is not numeric; instrument and front-door estimates need numeric "
            "treatments, instruments and mediators. Hint: code it as 0/1 or a number."
        )
    return values.astype(float).to_numpy()


def estimate_iv(
    frame: pd.DataFrame,
    *,
    treatment: str,
    outcome: str,
    instruments: tuple[str, ...],
    scale: float,
    seed: int,
    n_folds: int = 5,
) -> EffectEstimate:
    """Instrumental-variable effect of ``treatment`` on ``outcome`` (partially linear IV)."""
    import doubleml as dml

    _numeric(frame, treatment)  # refuses a categorical treatment with a clear reason
    design = make_design(frame, treatment=treatment, outcome=outcome, covariates=[])
    data = pd.DataFrame(
        {
            "_y": design.y,
            "_d": design.d,
            "const": np.ones(design.n),
            **{f"_z{i}": _numeric(frame, z) for i, z in enumerate(instruments)},
        }
    )
    z_cols = [f"_z{i}" for i in range(len(instruments))]
    if all(data[z].nunique() < 2 for z in z_cols):
        raise NotEstimableError(f"instrument {', '.join(instruments)} does not vary")
    first_stage = np.corrcoef(data[z_cols[0]], data["_d"])[0, 1] if len(z_cols) == 1 else None
    model = dml.DoubleMLPLIV(
        dml.DoubleMLData(data, y_col="_y", d_cols="_d", x_cols=["const"], z_cols=z_cols),
        ml_l=make_family("linear", "regression", seed=seed),
        ml_m=make_family("linear", "regression", seed=seed),
        ml_r=make_family("linear", "regression", seed=seed),
        n_folds=n_folds,
        draw_sample_splitting=False,
    )
    model.set_sample_splitting(sample_splits(design.n, n_folds, seed))
    model.fit()
    method = (
        f"instrumental variable ({', '.join(instruments)}): DoubleML partially linear IV "
        "(two-stage least squares); assumes the instrument affects the outcome only "
        "through the treatment and shares no unmeasured cause with it"
    )
    if first_stage is not None and abs(first_stage) < 0.1:
        method += f"; weak instrument (correlation with the treatment {first_stage:+.2f})"
    return EffectEstimate(
        "LATE",
        Interval.normal(float(model.coef[0]), float(model.se[0]), scale),
        naive_difference(design, scale),
        design.n,
        method,
        scale,
    )


def _slope(design: Design, seed: int, n_folds: int) -> Interval:
    """Per-unit effect from a partially linear DML fit (any treatment coded as a number)."""
    continuous = Design(design.y, design.d, design.x, "continuous", design.outcome_kind)
    fitted = DoubleMLEstimator(n_folds=n_folds).fit(
        continuous, estimand="ATE", scale=1.0, seed=seed
    )
    return fitted.estimate.effect


def estimate_frontdoor(
    frame: pd.DataFrame,
    *,
    treatment: str,
    outcome: str,
    mediators: tuple[str, ...],
    scale: float,
    seed: int,
    n_folds: int = 5,
) -> EffectEstimate:
    """Front-door effect: sum over mediators of (treatment -> mediator) x (mediator -> outcome)."""
    base = make_design(frame, treatment=treatment, outcome=outcome, covariates=[])
    data = frame.assign(**{treatment: _numeric(frame, treatment)})
    total, variance = 0.0, 0.0
    for mediator in mediators:
        others = [m for m in mediators if m != mediator]
        to_mediator = make_design(
            data.assign(**{mediator: _numeric(frame, mediator)}),
            treatment=treatment,
            outcome=mediator,
            covariates=[],
        )
        to_outcome = make_design(
            data, treatment=mediator, outcome=outcome, covariates=[treatment, *others]
        )
        a = _slope(to_mediator, seed, n_folds)
        b = _slope(to_outcome, seed, n_folds)
        total += a.estimate * b.estimate
        # Delta method for a product of two estimates from separate fits (Sobel).
        variance += b.estimate**2 * a.se**2 + a.estimate**2 * b.se**2
    method = (
        f"front door through {', '.join(mediators)}: effect on each mediator times its "
        "effect on the outcome holding the treatment fixed (DML partially linear fits, "
        "delta-method interval); assumes the mediators carry the whole effect and share no "
        "unmeasured cause with the treatment"
    )
    return EffectEstimate(
        "ATE",
        Interval.normal(total, float(np.sqrt(variance)), scale),
        naive_difference(base, scale),
        base.n,
        method,
        scale,
    )
