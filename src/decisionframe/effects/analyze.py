"""`analyze`: for every assumption edge, identify, estimate, diagnose, refute and judge."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from decisionframe.effects.alternatives import estimate_frontdoor, estimate_iv
from decisionframe.effects.design import covariate_groups, make_design, treatment_kind
from decisionframe.effects.diagnostics import Diagnostics, diagnose
from decisionframe.effects.estimate import DoubleMLEstimator, EffectEstimate, Estimator, Interval
from decisionframe.effects.refute import Refutation, refute_effect
from decisionframe.effects.segments import SegmentEffect, effects_by_segment, is_segment_variable
from decisionframe.effects.sensitivity import (
    WEAK_CONFOUNDER,
    Sensitivity,
    benchmark_covariates,
    sensitivity_of,
)
from decisionframe.effects.specification import Specification, specification_table
from decisionframe.effects.splits import stable_order
from decisionframe.effects.verdict import Verdict, judge, not_estimable, not_identifiable
from decisionframe.errors import NotEstimableError
from decisionframe.frames import build_frame
from decisionframe.results import Result
from decisionframe.store import Store
from decisionframe.theory.identify import Identification, identify_effect
from decisionframe.theory.model import Assumption, Edge, Theory

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class EdgeResult(Result):
    """Everything `analyze` found about one assumption: identify, estimate, refute, judge."""

    kind: ClassVar[str] = "edge"
    treatment: str
    outcome: str
    assumption: Assumption
    unit: str
    identification: Identification
    verdict: Verdict
    n_clients: int = 0
    estimate: EffectEstimate | None = None
    diagnostics: Diagnostics | None = None
    segments: tuple[SegmentEffect, ...] = ()
    refutations: tuple[Refutation, ...] = ()
    sensitivity: Sensitivity | None = None
    specifications: tuple[Specification, ...] = ()

    @property
    def edge(self) -> str:
        return f"{self.treatment} -> {self.outcome}"

    @property
    def claim(self) -> str:
        return self.assumption.claim

    @property
    def effect(self) -> Interval | None:
        """The adjusted estimate and its 95% interval (None when not estimated)."""
        return self.estimate.effect if self.estimate else None

    @property
    def naive(self) -> Interval | None:
        """The unadjusted comparison, for contrast (None when not estimated)."""
        return self.estimate.naive if self.estimate else None

    @property
    def n_used(self) -> int:
        return self.estimate.n_used if self.estimate else 0

    def summary(self) -> str:
        return f"{self.edge}: {self.verdict.verdict}"

    def row(self) -> dict[str, Any]:
        """This edge as one flat row (``EvidenceResult.to_frame``)."""
        effect, naive, post = self.effect, self.naive, self.verdict.posterior
        return {
            "edge": self.edge,
            "treatment": self.treatment,
            "outcome": self.outcome,
            "claim": self.claim,
            "expected": self.assumption.expected,
            "estimand": self.assumption.estimand,
            "strategy": self.identification.strategy,
            "unit": self.unit,
            "estimate": effect.estimate if effect else None,
            "se": effect.se if effect else None,
            "ci_low": effect.ci_low if effect else None,
            "ci_high": effect.ci_high if effect else None,
            "naive_estimate": naive.estimate if naive else None,
            "naive_se": naive.se if naive else None,
            "prior_mean": self.assumption.prior.mean if self.assumption.prior else None,
            "prior_sd": self.assumption.prior.sd if self.assumption.prior else None,
            "posterior_mean": post.mean if post else None,
            "posterior_sd": post.sd if post else None,
            "p_expected_direction": post.p_expected_direction if post else None,
            "refutations_passed": sum(r.passed for r in self.refutations),
            "refutations": len(self.refutations),
            "robustness_value": self.sensitivity.robustness_value if self.sensitivity else None,
            "n_clients": self.n_clients,
            "n_used": self.n_used,
            "method": self.estimate.method if self.estimate else None,
            "verdict": self.verdict.verdict,
        }


@dataclass(frozen=True)
class EvidenceResult(Result):
    """One `analyze` run: a result per assumption edge, with the seed used."""

    kind: ClassVar[str] = "analyze"
    seed: int
    edges: tuple[EdgeResult, ...]

    def summary(self) -> str:
        return "; ".join(e.summary() for e in self.edges)

    def get(self, edge: str) -> EdgeResult:
        """The result for ``"cause -> outcome"``; a clear error if the theory has no such edge."""
        for e in self.edges:
            if e.edge == edge:
                return e
        raise NotEstimableError(
            f"no analyzed assumption {edge!r}. Hint: the analyzed edges are "
            + ", ".join(e.edge for e in self.edges)
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per assumption: estimate, SE, interval, naive, prior, posterior, verdict."""
        return pd.DataFrame([e.row() for e in self.edges])


def effect_unit(assumption: Assumption, treatment: str, kind: str) -> tuple[str, float]:
    """How the effect is expressed, and the factor from per-unit to that expression."""
    if kind != "continuous":
        return ("difference (treated vs not)" if kind == "binary" else "difference"), 1.0
    if assumption.contrast is not None:
        a, b = assumption.contrast
        return f"moving {treatment} from {a:g} to {b:g}", b - a
    per = assumption.per or 1.0
    return f"per {per:g} unit{'' if per == 1 else 's'} of {treatment}", per


def _segment_candidates(theory: Theory, exclude: set[str]) -> list[str]:
    return [
        n.id for n in theory.nodes if n.kind == "context" and n.measured and n.id not in exclude
    ]


def analyze_edge(
    store: Store,
    theory: Theory,
    edge: Edge,
    *,
    seed: int,
    min_cell_size: int,
    estimator: Estimator,
    refuter: Estimator,
) -> EdgeResult:
    """Identify one edge in the theory, read its frame from the store, then ``analyze_frame``."""
    assumption = edge.assumption
    assert assumption is not None
    t, y = edge.source, edge.target
    identification = identify_effect(theory, t, y)
    if identification.strategy == "none":
        return analyze_frame(pd.DataFrame(), identification, assumption, seed=seed)
    via = list(identification.instruments or identification.mediators)
    segments = _segment_candidates(theory, {t, y}) if identification.strategy == "backdoor" else []
    covariates = via or list(identification.adjustment_set)
    frame = build_frame(
        store, theory, outcome=y, treatment=t, covariates=covariates, extra=segments
    )
    return analyze_frame(
        frame.data,
        identification,
        assumption,
        seed=seed,
        min_cell_size=min_cell_size,
        estimator=estimator,
        refuter=refuter,
        segment_columns=segments,
        n_clients=frame.n_clients,
        dropped=frame.dropped,
    )


def analyze_frame(
    data: pd.DataFrame,
    identification: Identification,
    assumption: Assumption,
    *,
    seed: int = 0,
    min_cell_size: int = 11,
    estimator: Estimator | None = None,
    refuter: Estimator | None = None,
    segment_columns: Sequence[str] = (),
    n_clients: int | None = None,
    dropped: dict[str, int] | None = None,
) -> EdgeResult:
    """Estimate, diagnose, break down by segment, refute and judge one identified effect on
    a frame of complete rows (one per client). ``Project.analyze`` and the library's
    ``analyze_assumption`` both end here; the caller's frame is not changed."""
    t, y = identification.treatment, identification.outcome
    n = len(data) if n_clients is None else n_clients
    if identification.strategy == "none":
        verdict = not_identifiable(identification.explanation, assumption.claim)
        return EdgeResult(t, y, assumption, "", identification, verdict)
    if identification.strategy in ("iv", "frontdoor"):
        return _analyze_without_backdoor(data, identification, assumption, seed=seed, n=n)
    estimator = estimator or DoubleMLEstimator()
    refuter = refuter or DoubleMLEstimator(n_folds=3)
    covariates = list(identification.adjustment_set)
    candidates = list(segment_columns)
    # Rows in an order of their own content, so folds and draws never depend on the
    # pseudonymization key or on import order (see effects.splits).
    data = stable_order(data, list(dict.fromkeys([y, t, *covariates, *candidates])))
    try:
        design = make_design(data, treatment=t, outcome=y, covariates=covariates)
    except NotEstimableError as exc:
        verdict = not_estimable(str(exc), assumption.claim)
        return EdgeResult(t, y, assumption, "", identification, verdict, n)
    unit, scale = effect_unit(assumption, t, design.treatment_kind)
    with warnings.catch_warnings():
        # DoubleML 0.11 uses pandas APIs that pandas 3 deprecates; harmless here.
        warnings.simplefilter("ignore", DeprecationWarning)
        fitted = estimator.fit(design, estimand=assumption.estimand, scale=scale, seed=seed)
        refutations = refute_effect(fitted, refuter, seed=seed)
        specifications = specification_table(fitted, refuter, seed=seed)
        benchmarks = benchmark_covariates(
            fitted, refuter, covariate_groups(design, covariates), seed=seed, unit=unit
        )
    segments = effects_by_segment(
        fitted,
        {c: data[c] for c in candidates if is_segment_variable(data[c])},
        min_cell_size=min_cell_size,
    )
    sensitivity = sensitivity_of(fitted, treatment=t, outcome=y, benchmarks=benchmarks)
    verdict = judge(
        assumption,
        fitted.estimate,
        refutations,
        sensitivity,
        treatment=t,
        outcome=y,
        unit=unit,
        learners=tuple((s.learners, s.effect) for s in specifications[1:] if s.effect),
    )
    return EdgeResult(
        t,
        y,
        assumption,
        unit,
        identification,
        verdict,
        n,
        fitted.estimate,
        diagnose(fitted, dict(dropped or {})),
        segments,
        refutations,
        sensitivity,
        specifications,
    )


def _analyze_without_backdoor(
    data: pd.DataFrame,
    identification: Identification,
    assumption: Assumption,
    *,
    seed: int,
    n: int,
) -> EdgeResult:
    """Instrument or front-door estimate, judged like any other (no refuters: they re-fit a
    back-door model, which is exactly what an unmeasured confounder rules out here)."""
    t, y = identification.treatment, identification.outcome
    via = identification.instruments or identification.mediators
    data = stable_order(data, list(dict.fromkeys([y, t, *via])))
    try:
        kind = treatment_kind(data[t]) if len(data) else "continuous"
        unit, scale = effect_unit(assumption, t, kind)
        if identification.strategy == "iv":
            estimate = estimate_iv(
                data, treatment=t, outcome=y, instruments=via, scale=scale, seed=seed
            )
        else:
            estimate = estimate_frontdoor(
                data, treatment=t, outcome=y, mediators=via, scale=scale, seed=seed
            )
    except NotEstimableError as exc:
        verdict = not_estimable(str(exc), assumption.claim)
        return EdgeResult(t, y, assumption, "", identification, verdict, n)
    sensitivity = Sensitivity(
        None,
        None,
        WEAK_CONFOUNDER,
        False,
        f"Not computed: this estimate does not rely on adjusting for confounders "
        f"({identification.explanation}); it relies on the assumptions in its method.",
    )
    verdict = judge(assumption, estimate, (), sensitivity, treatment=t, outcome=y, unit=unit)
    return EdgeResult(
        t, y, assumption, unit, identification, verdict, n, estimate, sensitivity=sensitivity
    )


def estimator_folds(estimator: Estimator) -> int:
    return int(getattr(estimator, "n_folds", 5))


def analyze_theory(
    store: Store,
    theory: Theory,
    *,
    seed: int = 0,
    min_cell_size: int = 11,
    estimator: Estimator | None = None,
    refuter: Estimator | None = None,
    progress: Progress | None = None,
) -> EvidenceResult:
    """Analyze every assumption edge of the theory (see ``analyze_edge``)."""
    estimator = estimator or DoubleMLEstimator()
    # Refuters, the specification table and the benchmarks re-fit on the estimate's own
    # sample and folds (its first split), so one repetition each.
    refuter = refuter or DoubleMLEstimator(n_folds=estimator_folds(estimator), n_rep=1)
    edges = theory.assumption_edges
    results = []
    for index, edge in enumerate(edges):
        if progress is not None:
            progress(f"{edge.source} -> {edge.target}", index, len(edges))
        results.append(
            analyze_edge(
                store,
                theory,
                edge,
                seed=seed,
                min_cell_size=min_cell_size,
                estimator=estimator,
                refuter=refuter,
            )
        )
    if progress is not None:
        progress("done", len(edges), len(edges))
    return EvidenceResult(seed, tuple(results))
