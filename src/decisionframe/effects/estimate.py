"""Doubly robust estimation with cross-fitting (DoubleML) for one assumption edge.

Binary treatments use the interactive regression model (AIPW scores) for ATE, ATT or ATC;
continuous treatments the partially linear model (an effect per unit, scaled to the
assumption's stated contrast); multi-valued treatments average potential outcomes, each
level against the most common one. Nuisance learners are linear or gradient-boosted trees,
whichever predicts better out of sample (``effects.learners``). Sample splits come from an
explicit seed, never from global random state.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import KFold

from decisionframe.effects.design import Design
from decisionframe.effects.learners import (
    LearnerChoice,
    LearnerKind,
    Task,
    choose_learners,
    make_learner,
)

Z95 = float(stats.norm.ppf(0.975))
PROPENSITY_BOUNDS = (0.02, 0.98)  # trimming rule: drop clients outside, then re-estimate


@dataclass(frozen=True)
class Interval:
    estimate: float
    se: float
    ci_low: float
    ci_high: float

    @classmethod
    def normal(cls, estimate: float, se: float, scale: float = 1.0) -> Interval:
        e, s = estimate * scale, abs(se * scale)
        return cls(e, s, e - Z95 * s, e + Z95 * s)

    @property
    def excludes_zero(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0


@dataclass(frozen=True)
class LevelContrast:
    level: str
    reference: str
    effect: Interval


@dataclass(frozen=True)
class EffectEstimate:
    """The estimate on the assumption's scale, its interval, and the naive comparison."""

    estimand: str
    effect: Interval
    naive: Interval
    n_used: int
    method: str
    scale: float
    trimmed: int = 0
    contrasts: tuple[LevelContrast, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FittedEffect:
    """An estimate plus what later steps need from the fit (kept out of results)."""

    estimate: EffectEstimate
    model: Any
    design: Design
    kept: np.ndarray  # boolean mask of design rows used after trimming
    treatment_prediction: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ate_model: Any = None  # binary treatments: the ATE-scored model (segment effects)
    learners: LearnerChoice | None = None  # refuters re-fit with the same model families


class Estimator(Protocol):
    def fit(
        self,
        design: Design,
        *,
        estimand: str,
        scale: float,
        seed: int,
        learners: LearnerChoice | None = None,
    ) -> FittedEffect: ...


def sample_splits(n: int, folds: int, seed: int) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    kfold = KFold(n_splits=folds, shuffle=True, random_state=seed)
    return [list(kfold.split(np.zeros(n)))]


def naive_difference(design: Design, scale: float) -> Interval:
    """Unadjusted comparison: difference in means, or the OLS slope (HC1 standard error)."""
    y, d = design.y, design.d
    if design.treatment_kind == "continuous":
        import statsmodels.api as sm

        fit = sm.OLS(y, sm.add_constant(d)).fit(cov_type="HC1")
        return Interval.normal(float(fit.params[1]), float(fit.bse[1]), scale)
    treated = d == (1.0 if design.treatment_kind == "binary" else float(len(design.levels) - 1))
    control = d == 0.0
    diff = y[treated].mean() - y[control].mean()
    se = np.sqrt(y[treated].var(ddof=1) / treated.sum() + y[control].var(ddof=1) / control.sum())
    return Interval.normal(float(diff), float(se), scale)


def _predictions(model: Any, name: str) -> np.ndarray:
    """A DoubleML model's out-of-fold predictions of nuisance ``name``, one per row."""
    return np.asarray(model.predictions[name])[:, 0, 0]


@dataclass(frozen=True)
class DoubleMLEstimator:
    """Cross-fitted DML/AIPW through DoubleML; nuisance learners chosen by held-out loss.

    ``learners`` fixes the model family ("linear" or "boosting") instead of choosing it.
    """

    n_folds: int = 5
    max_iter: int = 100
    learners: LearnerKind | None = None

    def _learner(self, kind: LearnerKind, task: Task, seed: int) -> Any:
        return make_learner(kind, task, seed=seed, max_iter=self.max_iter)

    def _outcome_learner(self, design: Design, choice: LearnerChoice, seed: int) -> Any:
        task: Task = "classification" if design.outcome_kind == "binary" else "regression"
        return self._learner(choice.outcome, task, seed)

    def _data(self, design: Design, rows: np.ndarray, d: np.ndarray) -> Any:
        import doubleml as dml

        x = design.x.iloc[rows].reset_index(drop=True)
        if x.shape[1] == 0:
            x = pd.DataFrame({"const": np.ones(len(x))})
        frame = x.assign(_y=design.y[rows], _d=d[rows])
        return dml.DoubleMLData(frame, y_col="_y", d_cols="_d", x_cols=list(x.columns))

    def _irm(
        self,
        design: Design,
        rows: np.ndarray,
        d: np.ndarray,
        score: str,
        seed: int,
        choice: LearnerChoice,
        reuse: dict[str, np.ndarray] | None = None,
    ) -> Any:
        """Fit an IRM; ``reuse`` gives out-of-fold nuisance predictions for all design rows.

        ATT, ATC and a trimmed sample need the same nuisance functions as the ATE fit, so
        its out-of-fold predictions are reused instead of fitting the learners again.
        """
        import doubleml as dml

        model = dml.DoubleMLIRM(
            self._data(design, rows, d),
            ml_g=self._outcome_learner(design, choice, seed),
            ml_m=self._learner(choice.treatment, "classification", seed),
            n_folds=self.n_folds,
            score=score,
            draw_sample_splitting=False,
        )
        model.set_sample_splitting(sample_splits(int(rows.sum()), self.n_folds, seed))
        if reuse is None:
            return model.fit()
        external = {name: values[rows][:, None] for name, values in reuse.items()}
        return model.fit(external_predictions={"_d": external})

    def fit(
        self,
        design: Design,
        *,
        estimand: str,
        scale: float,
        seed: int,
        learners: LearnerChoice | None = None,
    ) -> FittedEffect:
        naive = naive_difference(design, scale)
        choice = learners or (
            LearnerChoice.fixed(self.learners)
            if self.learners is not None
            else choose_learners(design, seed=seed, max_iter=self.max_iter)
        )
        with warnings.catch_warnings(record=True) as caught:
            # DoubleML warns (UserWarning) when a sensitivity variance term is not positive and
            # it falls back to a non-orthogonal estimate; the effect itself is unaffected.
            warnings.simplefilter("always")
            if design.treatment_kind == "continuous":
                fitted = self._fit_plr(design, scale, seed, naive, choice)
            elif design.treatment_kind == "categorical":
                fitted = self._fit_apos(design, scale, seed, naive, choice)
            else:
                fitted = self._fit_irm(design, estimand, scale, seed, naive, choice)
        fitted.learners = choice
        if any("nu2" in str(w.message) for w in caught):
            note = "; sensitivity variance re-estimated without the orthogonal score"
            fitted.estimate = replace(fitted.estimate, method=fitted.estimate.method + note)
        return fitted

    def _fit_plr(
        self, design: Design, scale: float, seed: int, naive: Interval, choice: LearnerChoice
    ) -> FittedEffect:
        import doubleml as dml

        rows = np.ones(design.n, dtype=bool)
        model = dml.DoubleMLPLR(
            self._data(design, rows, design.d),
            ml_l=self._learner(choice.outcome, "regression", seed),
            ml_m=self._learner(choice.treatment, "regression", seed),
            n_folds=self.n_folds,
            draw_sample_splitting=False,
        )
        model.set_sample_splitting(sample_splits(design.n, self.n_folds, seed))
        model.fit()
        effect = Interval.normal(float(model.coef[0]), float(model.se[0]), scale)
        estimate = EffectEstimate(
            "ATE",
            effect,
            naive,
            design.n,
            f"DML partially linear model (cross-fitted, {self.n_folds} folds; {choice.describe()})",
            scale,
        )
        return FittedEffect(estimate, model, design, rows, _predictions(model, "ml_m"))

    def _fit_irm(
        self,
        design: Design,
        estimand: str,
        scale: float,
        seed: int,
        naive: Interval,
        choice: LearnerChoice,
    ) -> FittedEffect:
        rows = np.ones(design.n, dtype=bool)
        ate = self._irm(design, rows, design.d, "ATE", seed, choice)
        nuisances = {name: _predictions(ate, name) for name in ("ml_g0", "ml_g1", "ml_m")}
        propensity = nuisances["ml_m"]
        low, high = PROPENSITY_BOUNDS
        keep = (propensity >= low) & (propensity <= high)
        trimmed = int((~keep).sum())
        if trimmed:
            rows = keep
            ate = self._irm(design, rows, design.d, "ATE", seed, choice, nuisances)
        model = ate
        coef, se = float(ate.coef[0]), float(ate.se[0])
        if estimand == "ATT":
            model = self._irm(design, rows, design.d, "ATTE", seed, choice, nuisances)
            coef, se = float(model.coef[0]), float(model.se[0])
        elif estimand == "ATC":
            # The ATC is minus the ATT of "not treated": swap the arms, flip the propensity.
            flipped = {
                "ml_g0": nuisances["ml_g1"],
                "ml_g1": nuisances["ml_g0"],
                "ml_m": 1.0 - nuisances["ml_m"],
            }
            model = self._irm(design, rows, 1.0 - design.d, "ATTE", seed, choice, flipped)
            coef, se = -float(model.coef[0]), float(model.se[0])
        method = (
            f"DML interactive regression model / AIPW (cross-fitted, {self.n_folds} folds; "
            f"{choice.describe()})"
        )
        if trimmed:
            method += f"; {trimmed} clients outside propensity [{low}, {high}] trimmed"
        estimate = EffectEstimate(
            estimand,
            Interval.normal(coef, se, scale),
            naive,
            int(rows.sum()),
            method,
            scale,
            trimmed,
        )
        return FittedEffect(estimate, model, design, rows, propensity[rows], ate)

    def _fit_apos(
        self, design: Design, scale: float, seed: int, naive: Interval, choice: LearnerChoice
    ) -> FittedEffect:
        import doubleml as dml

        rows = np.ones(design.n, dtype=bool)
        model = dml.DoubleMLAPOS(
            self._data(design, rows, design.d),
            ml_g=self._outcome_learner(design, choice, seed),
            ml_m=self._learner(choice.treatment, "classification", seed),
            treatment_levels=list(range(len(design.levels))),
            n_folds=self.n_folds,
            draw_sample_splitting=False,
        )
        model.set_sample_splitting(sample_splits(design.n, self.n_folds, seed))
        model.fit()
        contrast = model.causal_contrast(reference_levels=[0])
        contrasts = tuple(
            LevelContrast(
                design.levels[i + 1], design.levels[0], Interval.normal(float(c), float(s), scale)
            )
            for i, (c, s) in enumerate(zip(contrast.thetas, contrast.ses, strict=True))
        )
        main = contrasts[-1].effect
        estimate = EffectEstimate(
            "ATE",
            main,
            naive,
            design.n,
            f"DML average potential outcomes per level (cross-fitted; {choice.describe()})",
            scale,
            contrasts=contrasts,
        )
        return FittedEffect(estimate, contrast, design, rows)
