"""Doubly robust estimation with repeated cross-fitting (DoubleML) for one assumption edge.

Binary treatments use the interactive regression model (AIPW scores, normalized inverse
propensity weights) for ATE, ATT or ATC, with overlap trimming chosen by estimand
(``effects.overlap``); continuous treatments the partially linear model (an effect per unit,
scaled to the assumption's stated contrast); multi-valued treatments average potential
outcomes, each level against the most common one. Nuisance learners are stacks of linear,
ridge and boosting models (``effects.learners``). Sample splits are repeated ``n_rep`` times
from an explicit seed over a content order of the rows (``effects.splits``), and the
estimate is the median over splits with the split-to-split variation in its interval.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import KFold

from decisionframe.effects.crossfit import Predictions, blend, cross_predict, matrix
from decisionframe.effects.design import Design
from decisionframe.effects.learners import (
    Family,
    LearnerChoice,
    Task,
    Weights,
    choose_learners,
    make_learner,
)
from decisionframe.effects.overlap import Overlap, overlap_rule
from decisionframe.effects.splits import aggregate, fold_ids, to_splits

Z95 = float(stats.norm.ppf(0.975))
DEFAULT_N_REP = 3  # repeated splits: enough to show split-to-split variation, still fast
# DoubleML clips propensities at 1e-2 by default, and keeps the clipped values: every
# comparison client less like the treated than that would then look alike and none could be
# dropped for lack of overlap (in a LaLonde-like study most are). Overlap is handled by
# ``effects.overlap`` instead; the clip only guards the division.
PROPENSITY_CLIP = 1e-6


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Interval:
        return cls(float(data["estimate"]), float(data["se"]), data["ci_low"], data["ci_high"])

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
    """The estimate on the assumption's scale, its interval, and the naive comparison.

    ``repetitions`` holds each repeated split's own interval (the estimate is their median
    with the split-to-split variation added); ``overlap`` says who was dropped for overlap
    and whom the estimate then describes.
    """

    estimand: str
    effect: Interval
    naive: Interval
    n_used: int
    method: str
    scale: float
    trimmed: int = 0
    contrasts: tuple[LevelContrast, ...] = ()
    repetitions: tuple[Interval, ...] = ()
    overlap: Overlap | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["overlap"] = self.overlap.to_dict() if self.overlap else None
        return out


@dataclass(frozen=True)
class FitPlan:
    """Rows and folds a re-fit must use: refuters re-fit on the estimate's own trimmed
    sample with its own folds, so they test the estimate, not a different one."""

    keep: np.ndarray  # boolean mask over the design's rows
    folds: np.ndarray  # (n_rep, n) fold numbers over the design's rows

    def subset(self, rows: np.ndarray) -> FitPlan:
        return FitPlan(self.keep[rows], self.folds[:, rows])

    def first(self) -> FitPlan:
        return FitPlan(self.keep, self.folds[:1])


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
    plan: FitPlan | None = None  # the rows and folds behind the estimate
    # The estimate under one candidate family alone, from that family's own out-of-fold
    # predictions inside the stack's first split (no re-fit); None when not available.
    specify: Callable[[Family], Interval | None] | None = None


class Estimator(Protocol):
    def fit(
        self,
        design: Design,
        *,
        estimand: str,
        scale: float,
        seed: int,
        learners: LearnerChoice | None = None,
        plan: FitPlan | None = None,
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


def _per_split(
    model: Any, scale: float, sign: float = 1.0
) -> tuple[Interval, tuple[Interval, ...]]:
    """The aggregated interval and each split's own, from a fitted DoubleML model."""
    thetas = sign * np.asarray(model.all_coef, dtype=float)[0]
    ses = np.asarray(model.all_se, dtype=float)[0]
    theta, se = aggregate(thetas, ses)
    each = tuple(
        Interval.normal(float(t), float(s), scale) for t, s in zip(thetas, ses, strict=True)
    )
    return Interval.normal(theta, se, scale), each


@dataclass(frozen=True)
class DoubleMLEstimator:
    """Repeated cross-fitted DML/AIPW through DoubleML with stacked nuisance learners.

    ``learners`` fixes the model family ("linear", "regularized" or "boosting") instead of
    stacking; ``n_rep`` is the number of repeated sample splits.
    """

    n_folds: int = 5
    max_iter: int = 100
    learners: Family | None = None
    n_rep: int = DEFAULT_N_REP

    def _learner(self, weights: Weights, task: Task, seed: int, rounds: int | None) -> Any:
        return make_learner(weights, task, seed=seed, max_iter=rounds or self.max_iter)

    def _outcome_learner(self, design: Design, choice: LearnerChoice, seed: int) -> Any:
        task: Task = "classification" if design.outcome_kind == "binary" else "regression"
        return self._learner(choice.outcome_weights, task, seed, choice.outcome_iter)

    def _treatment_learner(self, choice: LearnerChoice, task: Task, seed: int) -> Any:
        return self._learner(choice.treatment_weights, task, seed, choice.treatment_iter)

    def _data(self, design: Design, rows: np.ndarray, d: np.ndarray) -> Any:
        import doubleml as dml

        x = design.x.iloc[np.nonzero(rows)[0]].reset_index(drop=True)
        if x.shape[1] == 0:
            x = pd.DataFrame({"const": np.ones(len(x))})
        frame = x.assign(_y=design.y[rows], _d=d[rows])
        return dml.DoubleMLData(frame, y_col="_y", d_cols="_d", x_cols=list(x.columns))

    def _folds(self, design: Design, seed: int) -> np.ndarray:
        strata = design.d if design.treatment_kind != "continuous" else np.zeros(design.n)
        return fold_ids(self.n_folds, self.n_rep, seed, strata)

    def _irm(
        self,
        design: Design,
        rows: np.ndarray,
        d: np.ndarray,
        score: str,
        choice: LearnerChoice,
        nuisances: dict[str, np.ndarray],
    ) -> Any:
        """The IRM's scores on ``rows`` from out-of-fold nuisance predictions (rows x
        repetitions, over all design rows): DoubleML fits no learner here.

        ATT, ATC and a trimmed sample need the same nuisance functions as the ATE fit, so
        its out-of-fold predictions are reused instead of fitting the learners again.
        """
        import doubleml as dml

        from decisionframe.effects.external import ExternalIRM

        external = {name: values[rows] for name, values in nuisances.items()}
        model = ExternalIRM(
            self._data(design, rows, d),
            ml_g=self._outcome_learner(design, choice, 0),
            ml_m=self._treatment_learner(choice, "classification", 0),
            n_folds=self.n_folds,
            n_rep=external["ml_m"].shape[1],
            score=score,
            normalize_ipw=True,
            ps_processor_config=dml.utils.PSProcessorConfig(clipping_threshold=PROPENSITY_CLIP),
        )
        # Every nuisance is external, so DoubleML's own (unchecked, cheap) draw of splits is
        # never used for a prediction; the folds that matter are the ones they were made on.
        return model.fit(external_predictions={"_d": external})

    def _nuisances(
        self,
        design: Design,
        rows: np.ndarray,
        d: np.ndarray,
        choice: LearnerChoice,
        folds: np.ndarray,
        seed: int,
        families: Mapping[str, Weights] | None = None,
    ) -> dict[str, Predictions]:
        """Out-of-fold predictions of each nuisance, per family, on ``rows`` (scattered over
        all design rows). ``families`` overrides which families to fit per nuisance."""
        x = matrix(design.x.iloc[np.nonzero(rows)[0]])
        y, dd, fold = design.y[rows], d[rows], folds[:, rows]
        outcome_task: Task = "classification" if design.outcome_kind == "binary" else "regression"
        rounds_y = choice.outcome_iter or self.max_iter
        rounds_d = choice.treatment_iter or self.max_iter
        want = families or {}

        def fams(name: str, weights: Weights) -> list[Family]:
            return [f for f, _ in want.get(name, weights)]

        out: dict[str, Predictions] = {}
        specs: dict[str, tuple[np.ndarray, Task, int, np.ndarray | None, Weights]]
        if design.treatment_kind == "continuous":
            specs = {
                "ml_l": (y, "regression", rounds_y, None, choice.outcome_weights),
                "ml_m": (dd, "regression", rounds_d, None, choice.treatment_weights),
            }
        else:
            specs = {
                "ml_g0": (y, outcome_task, rounds_y, dd == 0.0, choice.outcome_weights),
                "ml_g1": (y, outcome_task, rounds_y, dd == 1.0, choice.outcome_weights),
                "ml_m": (dd, "classification", rounds_d, None, choice.treatment_weights),
            }
        for name, (target, task, rounds, fit_rows, weights) in specs.items():
            own = cross_predict(
                x, target, fold, fams(name, weights), task, seed=seed, rounds=rounds,
                fit_rows=fit_rows,
            )  # fmt: skip
            out[name] = {f: _scatter(v, rows) for f, v in own.items()}
        return out

    def fit(
        self,
        design: Design,
        *,
        estimand: str,
        scale: float,
        seed: int,
        learners: LearnerChoice | None = None,
        plan: FitPlan | None = None,
    ) -> FittedEffect:
        """Estimate; with a ``plan``, on exactly its rows and folds (no new trimming)."""
        naive = naive_difference(design, scale)
        choice = learners or (
            LearnerChoice.fixed(self.learners)
            if self.learners is not None
            else choose_learners(design, seed=seed, max_iter=self.max_iter)
        )
        plan = plan or FitPlan(np.ones(design.n, dtype=bool), self._folds(design, seed))
        with warnings.catch_warnings(record=True) as caught:
            # DoubleML warns (UserWarning) when a sensitivity variance term is not positive and
            # it falls back to a non-orthogonal estimate; the effect itself is unaffected.
            warnings.simplefilter("always")
            if design.treatment_kind == "continuous":
                fitted = self._fit_plr(design, scale, seed, naive, choice, plan)
            elif design.treatment_kind == "categorical":
                fitted = self._fit_apos(design, scale, seed, naive, choice, plan)
            else:
                fitted = self._fit_irm(design, estimand, scale, seed, naive, choice, plan)
        fitted.learners = choice
        if any("nu2" in str(w.message) for w in caught):
            note = "; sensitivity variance re-estimated without the orthogonal score"
            fitted.estimate = replace(fitted.estimate, method=fitted.estimate.method + note)
        return fitted

    def _splits_text(self, plan: FitPlan) -> str:
        reps = plan.folds.shape[0]
        median = f", median of {reps} repeated splits" if reps > 1 else ""
        return f"cross-fitted, {self.n_folds} folds{median}"

    def _plr(
        self, design: Design, rows: np.ndarray, choice: LearnerChoice, nuisances: dict[str, Any]
    ) -> Any:
        """The partially linear model's scores on ``rows`` from out-of-fold predictions."""
        import doubleml as dml

        external = {name: values[rows] for name, values in nuisances.items()}
        model = dml.DoubleMLPLR(
            self._data(design, rows, design.d),
            ml_l=self._learner(choice.outcome_weights, "regression", 0, choice.outcome_iter),
            ml_m=self._treatment_learner(choice, "regression", 0),
            n_folds=self.n_folds,
            n_rep=external["ml_m"].shape[1],
        )
        return model.fit(external_predictions={"_d": external})

    def _family_predictions(
        self,
        design: Design,
        rows: np.ndarray,
        choice: LearnerChoice,
        folds: np.ndarray,
        seed: int,
        per_family: dict[str, Predictions],
        family: Family,
    ) -> dict[str, np.ndarray]:
        """One family's own out-of-fold predictions of every nuisance in the first split:
        read from the stack's fits where the family is a member, fitted alone otherwise."""
        missing = {
            name: ((family, 1.0),) for name, preds in per_family.items() if family not in preds
        }
        extra = (
            self._nuisances(design, rows, design.d, choice, folds[:1], seed, missing)
            if missing
            else {}
        )
        return {
            name: (preds[family][:, :1] if name not in missing else extra[name][family])
            for name, preds in per_family.items()
        }

    def _fit_plr(
        self,
        design: Design,
        scale: float,
        seed: int,
        naive: Interval,
        choice: LearnerChoice,
        plan: FitPlan,
    ) -> FittedEffect:
        rows = plan.keep
        per_family = self._nuisances(design, rows, design.d, choice, plan.folds, seed)
        nuisances = {
            "ml_l": blend(per_family["ml_l"], choice.outcome_weights),
            "ml_m": blend(per_family["ml_m"], choice.treatment_weights),
        }
        model = self._plr(design, rows, choice, nuisances)
        effect, each = _per_split(model, scale)

        def specify(family: Family) -> Interval | None:
            own = self._family_predictions(
                design, rows, choice, plan.folds, seed, per_family, family
            )
            return _per_split(self._plr(design, rows, choice.only(family), own), scale)[0]

        estimate = EffectEstimate(
            "ATE",
            effect,
            naive,
            int(rows.sum()),
            f"DML partially linear model ({self._splits_text(plan)}; {choice.describe()})",
            scale,
            repetitions=each,
        )
        prediction = nuisances["ml_m"][rows].mean(axis=1)
        return FittedEffect(estimate, model, design, rows, prediction, plan=plan, specify=specify)

    def _fit_irm(
        self,
        design: Design,
        estimand: str,
        scale: float,
        seed: int,
        naive: Interval,
        choice: LearnerChoice,
        plan: FitPlan,
    ) -> FittedEffect:
        folds = plan.folds
        given = not plan.keep.all()
        treated = design.d == 1.0
        # A refit on a given plan uses the estimate's own rows, its nuisances re-learned
        # there; a first fit learns them on every client, then trims by estimand.
        rows = plan.keep if given else np.ones(design.n, dtype=bool)
        per_family = self._nuisances(design, rows, design.d, choice, folds, seed)
        weights = {
            "ml_g0": choice.outcome_weights,
            "ml_g1": choice.outcome_weights,
            "ml_m": choice.treatment_weights,
        }
        nuisances = {name: blend(per_family[name], weights[name]) for name in weights}
        overlap = None
        if not given:
            rows, overlap = overlap_rule(nuisances["ml_m"].mean(axis=1), treated, estimand)
        ate = self._irm(design, rows, design.d, "ATE", choice, nuisances)
        model, sign = ate, 1.0
        if estimand in ("ATT", "ATC"):
            model, sign = self._irm_estimand(design, rows, estimand, choice, nuisances)
        effect, each = _per_split(model, scale, sign)
        kept_rows = rows
        fitted_rows = plan.keep if given else np.ones(design.n, dtype=bool)

        def specify_irm(family: Family) -> Interval | None:
            fixed = choice.only(family)
            own = self._family_predictions(
                design, fitted_rows, choice, folds, seed, per_family, family
            )
            if estimand in ("ATT", "ATC"):
                m, s = self._irm_estimand(design, kept_rows, estimand, fixed, own)
            else:
                m, s = self._irm(design, kept_rows, design.d, "ATE", fixed, own), 1.0
            return _per_split(m, scale, s)[0]

        specify = None if given else specify_irm
        method = (
            f"DML interactive regression model / AIPW, normalized weights "
            f"({self._splits_text(plan)}; {choice.describe()})"
        )
        if overlap is not None and overlap.dropped:
            method += (
                f"; overlap: {overlap.rule} ({overlap.dropped_treated} treated, "
                f"{overlap.dropped_untreated} untreated dropped); {overlap.population}"
            )
        estimate = EffectEstimate(
            estimand,
            effect,
            naive,
            int(rows.sum()),
            method,
            scale,
            overlap.dropped if overlap else 0,
            repetitions=each,
            overlap=overlap,
        )
        kept_plan = FitPlan(rows, folds)
        propensity = nuisances["ml_m"].mean(axis=1)[rows]
        return FittedEffect(
            estimate, model, design, rows, propensity, ate, plan=kept_plan, specify=specify
        )

    def _irm_estimand(
        self,
        design: Design,
        rows: np.ndarray,
        estimand: str,
        choice: LearnerChoice,
        nuisances: dict[str, np.ndarray],
    ) -> tuple[Any, float]:
        """ATT or ATC from given out-of-fold nuisances (no learner is fitted again)."""
        if estimand == "ATT":
            return self._irm(design, rows, design.d, "ATTE", choice, nuisances), 1.0
        # The ATC is minus the ATT of "not treated": swap the arms, flip the propensity.
        flipped = {
            "ml_g0": nuisances["ml_g1"],
            "ml_g1": nuisances["ml_g0"],
            "ml_m": 1.0 - nuisances["ml_m"],
        }
        model = self._irm(design, rows, 1.0 - design.d, "ATTE", choice, flipped)
        return model, -1.0

    def _fit_apos(
        self,
        design: Design,
        scale: float,
        seed: int,
        naive: Interval,
        choice: LearnerChoice,
        plan: FitPlan,
    ) -> FittedEffect:
        import doubleml as dml

        rows = plan.keep
        model = dml.DoubleMLAPOS(
            self._data(design, rows, design.d),
            ml_g=self._outcome_learner(design, choice, seed),
            ml_m=self._treatment_learner(choice, "classification", seed),
            treatment_levels=list(range(len(design.levels))),
            n_folds=self.n_folds,
            n_rep=plan.folds.shape[0],
            draw_sample_splitting=False,
        )
        model.set_sample_splitting(to_splits(plan.folds[:, rows]))
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
            int(rows.sum()),
            f"DML average potential outcomes per level ({self._splits_text(plan)}, DoubleML's "
            f"median aggregation; {choice.describe()})",
            scale,
            contrasts=contrasts,
        )
        return FittedEffect(estimate, contrast, design, rows, plan=plan)


def _scatter(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Predictions for ``rows`` placed into an array over all design rows (NaN elsewhere)."""
    out = np.full((len(rows), values.shape[1]), np.nan)
    out[rows] = values
    return out
