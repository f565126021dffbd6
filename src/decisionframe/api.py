"""The library API: test an assumption on a DataFrame and a graph, no project folder needed.

Each step is its own function and returns its own typed result, so a notebook can stop,
look and swap a part (DESIGN.md habit 2)::

    import decisionframe as df

    graph = "dag { motivation [latent]; prior -> respect; prior -> housed; respect -> housed }"
    found = df.identify(graph, "respect", "housed", data=frame)   # back-door: adjust for prior
    fit = df.estimate(frame, found, seed=1)                        # doubly robust, cross-fitted
    checks = df.refute(fit, seed=1)                                # placebo, subset, random cause
    verdict = df.judge(fit, expected="increase", refutations=checks)
    edge = df.analyze_assumption(frame, graph, "respect", "housed", expected="increase")

The graph is a ``Theory`` (from theory.yaml), a networkx ``DiGraph`` or DAGitty text.
A node is measured when the frame has a column of that name and the graph does not mark
it latent. ``Project.analyze`` is this same composition, with the frame read from the
store for each assumption.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from decisionframe.config import DemandRules
from decisionframe.effects.analyze import EdgeResult, EvidenceResult, analyze_frame, analyze_theory
from decisionframe.effects.design import make_design
from decisionframe.effects.estimate import DoubleMLEstimator, Estimator, FittedEffect
from decisionframe.effects.refute import Refutation, refute_effect
from decisionframe.effects.sensitivity import Sensitivity, sensitivity_of
from decisionframe.effects.splits import stable_order
from decisionframe.effects.verdict import Verdict
from decisionframe.effects.verdict import judge as _judge
from decisionframe.errors import NotEstimableError, Problem, TheoryError
from decisionframe.memory import Tables, memory_store
from decisionframe.store.base import Store
from decisionframe.theory import load_theory
from decisionframe.theory.dagitty import Graph, as_digraph
from decisionframe.theory.identify import Identification, identify_in_graph
from decisionframe.theory.model import Assumption, Direction, Estimand, Prior, Theory

if TYPE_CHECKING:
    from decisionframe.decide import DecisionResult
    from decisionframe.demand import DemandResult


def identify(
    graph: Graph, treatment: str, outcome: str, *, data: pd.DataFrame | None = None
) -> Identification:
    """How (and whether) the effect of ``treatment`` on ``outcome`` can be identified.

    Measured nodes are those not marked latent and, when ``data`` is given, present as
    its columns.
    """
    digraph = as_digraph(graph)
    for node in (treatment, outcome):
        if node not in digraph:
            raise TheoryError(
                "cannot identify the effect",
                [
                    Problem(
                        file="<graph>",
                        rule="unknown-node",
                        message=f"the graph has no node '{node}'",
                        hint="name the cause and the outcome as the graph names its nodes",
                    )
                ],
            )
    measured = {str(n) for n, m in digraph.nodes(data="measured") if m}
    if data is not None:
        measured &= {str(c) for c in data.columns}
    return identify_in_graph(digraph, treatment, outcome, measured)


def complete_rows(
    data: pd.DataFrame, columns: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows with every one of ``columns`` present, and how many were dropped for each
    missing column (missing values are never filled). The caller's frame is not changed."""
    keep = pd.Series(True, index=data.index)
    dropped: dict[str, int] = {}
    for column in columns:
        missing = data[column].isna() & keep
        if missing.any():
            dropped[f"missing {column}"] = int(missing.sum())
        keep &= ~data[column].isna()
    return data.loc[keep, list(dict.fromkeys(columns))].reset_index(drop=True), dropped


def estimate(
    data: pd.DataFrame,
    identification: Identification,
    *,
    estimand: Estimand = "ATE",
    scale: float = 1.0,
    seed: int = 0,
    estimator: Estimator | None = None,
) -> FittedEffect:
    """Estimate the identified effect on ``data`` (one row per client); the caller's frame
    is not changed. Back-door identifications only (instrument and front-door estimates
    run inside ``Project.analyze``).

    ``scale`` multiplies a continuous cause's per-unit effect (e.g. 2 for "moving respect
    from 3 to 5"). The result keeps the fitted model so ``refute`` can re-fit it.
    """
    if identification.strategy != "backdoor":
        raise NotEstimableError(
            f"{identification.treatment} -> {identification.outcome}: "
            f"{identification.explanation}. Hint: only back-door identifications are "
            "estimated here; see `identify`'s `to_measure`."
        )
    t, y = identification.treatment, identification.outcome
    # Rows in an order of their own content: the same rows in any order, the same estimate.
    data = stable_order(data, list(dict.fromkeys([y, t, *identification.adjustment_set])))
    design = make_design(
        data,
        treatment=identification.treatment,
        outcome=identification.outcome,
        covariates=list(identification.adjustment_set),
    )
    with warnings.catch_warnings():
        # DoubleML 0.11 uses pandas APIs that pandas 3 deprecates; harmless here.
        warnings.simplefilter("ignore", DeprecationWarning)
        return (estimator or DoubleMLEstimator()).fit(
            design, estimand=estimand, scale=scale, seed=seed
        )


def refute(
    fit: FittedEffect, *, seed: int = 0, refuter: Estimator | None = None
) -> tuple[Refutation, ...]:
    """Try to break the estimate: placebo treatment, random common cause, data subsets."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return refute_effect(fit, refuter or DoubleMLEstimator(n_folds=3), seed=seed)


def sensitivity(fit: FittedEffect, *, treatment: str, outcome: str) -> Sensitivity:
    """How strong an unmeasured confounder would have to be to explain the effect away."""
    return sensitivity_of(fit, treatment=treatment, outcome=outcome)


def _assumption(
    *,
    expected: Direction,
    prior: Prior | Mapping[str, float] | None,
    estimand: Estimand,
    claim: str,
    min_effect: float | None,
    per: float | None = None,
) -> Assumption:
    return Assumption(
        claim=claim or "The assumption",
        expected=expected,
        prior=Prior.model_validate(dict(prior)) if isinstance(prior, Mapping) else prior,
        estimand=estimand,
        min_effect=min_effect,
        per=per,
    )


def judge(
    fit: FittedEffect,
    *,
    expected: Direction,
    prior: Prior | Mapping[str, float] | None = None,
    refutations: tuple[Refutation, ...] = (),
    sensitivity: Sensitivity | None = None,
    claim: str = "",
    unit: str = "",
    min_effect: float | None = None,
) -> Verdict:
    """Combine the prior belief with the estimate: supported, contradicted, no detectable
    effect, inconclusive or fragile, with the posterior and one plain sentence."""
    t, y = fit.design.treatment, fit.design.outcome
    assumption = _assumption(
        expected=expected,
        prior=prior,
        estimand=fit.estimate.estimand,  # type: ignore[arg-type]
        claim=claim,
        min_effect=min_effect,
    )
    check = sensitivity or sensitivity_of(fit, treatment=t, outcome=y)
    return _judge(
        assumption,
        fit.estimate,
        refutations,
        check,
        treatment=t,
        outcome=y,
        unit=unit or "on the outcome's scale",
    )


def analyze_assumption(
    data: pd.DataFrame,
    graph: Graph,
    treatment: str,
    outcome: str,
    *,
    expected: Direction,
    prior: Prior | Mapping[str, float] | None = None,
    estimand: Estimand = "ATE",
    claim: str = "",
    min_effect: float | None = None,
    per: float | None = None,
    segment_by: Sequence[str] = (),
    seed: int = 0,
    min_cell_size: int = 11,
    estimator: Estimator | None = None,
    refuter: Estimator | None = None,
) -> EdgeResult:
    """Identify, estimate, diagnose, refute and judge one assumption on ``data`` (all the
    steps above, as ``decisionframe analyze`` runs them for each assumption).

    Rows missing any needed column are dropped and counted (``diagnostics.dropped``);
    ``segment_by`` columns get effects per segment of at least ``min_cell_size`` clients.
    """
    found = identify(graph, treatment, outcome, data=data)
    assumption = _assumption(
        expected=expected,
        prior=prior,
        estimand=estimand,
        claim=claim,
        min_effect=min_effect,
        per=per,
    )
    needed = [
        treatment,
        outcome,
        *found.adjustment_set,
        *found.instruments,
        *found.mediators,
        *segment_by,
    ]
    frame, dropped = complete_rows(data, needed) if found.identified else (data.iloc[0:0], {})
    return analyze_frame(
        frame,
        found,
        assumption,
        seed=seed,
        min_cell_size=min_cell_size,
        estimator=estimator,
        refuter=refuter,
        segment_columns=segment_by,
        n_clients=len(data),
        dropped=dropped,
    )


# -- whole steps over canonical tables held as DataFrames ---------------------------------
# The same functions `Project.analyze`, `Project.decide` and `Project.demand` call, run on an
# in-memory store of the caller's frames (decisionframe.memory) instead of a project's file.


def _theory_for(theory: Theory | Path | str, store: Store) -> Theory:
    if isinstance(theory, Theory):
        return theory
    return load_theory(Path(theory), store)


def analyze_tables(
    tables: Tables,
    theory: Theory | Path | str,
    *,
    seed: int = 0,
    min_cell_size: int = 11,
) -> EvidenceResult:
    """Every assumption of ``theory`` estimated, refuted and judged on ``tables``.

    ``tables`` maps canonical table names (clients, touchpoints, outcomes, feedback) to
    DataFrames or Arrow tables with the canonical columns; ``theory`` is a ``Theory`` or
    the path of a theory.yaml (checked against the frames' columns).
    """
    with memory_store(tables) as store:
        model = _theory_for(theory, store)
        return analyze_theory(store, model, seed=seed, min_cell_size=min_cell_size)


def decide_tables(
    tables: Tables,
    theory: Theory | Path | str,
    evidence: EvidenceResult,
    *,
    budget: float | None = None,
    seed: int = 0,
    draws: int = 20_000,
    min_cell_size: int = 11,
) -> DecisionResult:
    """The theory's decision (options, budget, targeting) on ``evidence`` from ``analyze``.

    Costs come from a ``costs`` frame when given (the imported costs table), otherwise from
    the theory's options, as in a project.
    """
    from decisionframe.decide import decide_options

    with memory_store(tables) as store:
        model = _theory_for(theory, store)
        return decide_options(
            store,
            model,
            evidence,
            budget=budget,
            seed=seed,
            draws=draws,
            min_cell_size=min_cell_size,
        )


def demand_tables(
    tables: Tables,
    *,
    rules: DemandRules | None = None,
    min_cell_size: int = 11,
) -> DemandResult:
    """Value and failure demand, internal customers, end-to-end time and control charts.

    ``tables`` needs a ``touchpoints`` frame (and may hold clients, initiatives); ``rules``
    are the `demand:` settings of decisionframe.yaml (defaults when not given).
    """
    from decisionframe.demand import analyze_demand

    with memory_store(tables) as store:
        return analyze_demand(store, rules=rules or DemandRules(), min_cell_size=min_cell_size)


__all__ = [
    "analyze_assumption",
    "analyze_tables",
    "complete_rows",
    "decide_tables",
    "demand_tables",
    "estimate",
    "identify",
    "judge",
    "refute",
    "sensitivity",
]
