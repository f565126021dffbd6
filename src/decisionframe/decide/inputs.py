"""What a decision needs from the theory, the data and the evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from decisionframe.decide.costs import PlanOption, resolve_costs
from decisionframe.errors import NotEstimableError
from decisionframe.frames import client_frame
from decisionframe.store import Store
from decisionframe.theory.model import Decision, Theory

if TYPE_CHECKING:
    from decisionframe.effects.analyze import EvidenceResult


@dataclass(frozen=True)
class Effect:
    """Posterior of one lever's effect on the objective, per unit of the lever."""

    node: str
    mean: float
    sd: float
    n_used: int
    edge: str
    # variable -> segment -> (estimate, se), per unit of the lever
    segments: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    # variable -> segment -> clients the segment estimate used (unknown: not in the dict)
    segment_n: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class LeftOut:
    """A lever the decision could not count: its effect on the objective is not estimated."""

    lever: str
    edge: str
    reason: str  # "not identifiable", "not estimable" or "no assumption"
    explanation: str
    measure: str = ""  # what to measure or do so it can be counted

    def sentence(self) -> str:
        what = f" To count it: {self.measure}." if self.measure else ""
        return (
            f"'{self.lever}' is left out: its effect on the objective is {self.reason} "
            f"({self.explanation.rstrip('.')}), so the plans are valued as if changing it "
            f"adds nothing.{what}"
        )


@dataclass(frozen=True)
class DecisionInputs:
    decision: Decision
    effects: dict[str, Effect]
    outcome_now: float  # mean objective among clients served today
    levels_now: dict[str, float]  # mean of each lever today
    population: int
    segments: dict[str, dict[str, dict[str, float]]]  # variable -> segment -> stats
    options: tuple[PlanOption, ...] = ()  # resolved costs; from the theory when empty
    cost_warnings: tuple[str, ...] = ()
    left_out: tuple[LeftOut, ...] = ()  # levers whose effect is not estimated
    clients_per_year: float | None = None  # enrolments per year (None: no enrolment dates)

    def __post_init__(self) -> None:
        if not self.options:
            resolved, warnings = resolve_costs(self.decision, None)
            object.__setattr__(self, "options", resolved)
            object.__setattr__(self, "cost_warnings", warnings)


def _effects(
    decision: Decision, theory: Theory, evidence: EvidenceResult
) -> tuple[dict[str, Effect], tuple[LeftOut, ...]]:
    """Each lever's effect; levers with no estimated effect are left out (and said so):
    the decision rests on what is identified. With none identified there is no decision."""
    by_edge = {e.edge: e for e in evidence.edges}
    levers = sorted({node for option in decision.options for node in option.set})
    effects = {}
    left_out = []
    for node in levers:
        key = f"{node} -> {decision.objective}"
        edge = by_edge.get(key)
        if edge is None:
            left_out.append(
                LeftOut(
                    node,
                    key,
                    "not estimated",
                    "theory.yaml has no assumption on this edge",
                    f"add an assumption on {key} in theory.yaml and run `decisionframe "
                    "analyze` again",
                )
            )
            continue
        if edge.verdict.posterior is None:
            reason = edge.verdict.verdict
            explanation = edge.verdict.sentence.split(". ", 1)[-1] or edge.verdict.advice
            left_out.append(LeftOut(node, key, reason, explanation, edge.verdict.advice))
            continue
        assumption = edge.assumption  # as analyzed (staleness checks it is still current)
        scale = 1.0
        if assumption.per:
            scale = assumption.per
        elif assumption.contrast:
            scale = assumption.contrast[1] - assumption.contrast[0]
        segments: dict[str, dict[str, tuple[float, float]]] = {}
        sizes: dict[str, dict[str, int]] = {}
        for segment in edge.segments:
            segments.setdefault(segment.variable, {})[segment.segment] = (
                segment.effect.estimate / scale,
                segment.effect.se / scale,
            )
            sizes.setdefault(segment.variable, {})[segment.segment] = segment.n
        post = edge.verdict.posterior
        effects[node] = Effect(
            node, post.mean / scale, post.sd / scale, edge.n_used, key, segments, sizes
        )
    if not effects:
        raise NotEstimableError(
            "no lever of the decision has an estimated effect on "
            f"{decision.objective}: "
            + "; ".join(f"{o.edge} is {o.reason}" for o in left_out)
            + ". Hint: see `decisionframe plan` for what to measure, then run "
            "`decisionframe analyze`."
        )
    return effects, tuple(left_out)


def clients_per_year(store: Store) -> float | None:
    """Clients enrolled per year, from the span of enrolment dates (None: no dates, or less
    than a month of them): what 'more clients than you serve in 10 years' is measured in."""
    if not store.table_exists("clients"):
        return None
    if "enrolled_on" not in {c for c, _ in store.table_columns("clients")}:
        return None
    row = store.rows(
        "SELECT count(*), min(enrolled_on), max(enrolled_on) FROM clients "
        "WHERE enrolled_on IS NOT NULL"
    )[0]
    n, first, last = row
    if not n or first is None or last is None:
        return None
    days = (pd.Timestamp(last) - pd.Timestamp(first)).days
    return float(n) / (days / 365.25) if days >= 30 else None


def gather_inputs(
    store: Store, theory: Theory, evidence: EvidenceResult, *, budget: float | None = None
) -> DecisionInputs:
    """Effects from the latest evidence; today's outcome and lever levels from the data;
    costs and capacities from the costs table when imported, theory.yaml otherwise."""
    decision = theory.decision
    if decision is None:
        raise NotEstimableError(
            "theory.yaml has no `decision:` block. Hint: add the objective, budget, baseline "
            "and options (see docs/schema.md, theory.yaml `decision`)."
        )
    if budget is not None:
        decision = decision.model_copy(update={"budget": budget})
    options, cost_warnings = resolve_costs(decision, store)
    effects, left_out = _effects(decision, theory, evidence)
    segment_vars = sorted({v for e in effects.values() for v in e.segments})
    frame = client_frame(store, theory, [decision.objective, *effects, *segment_vars])
    served = frame.dropna(subset=[decision.objective, *effects])
    if served.empty:
        raise NotEstimableError("no client has both the objective and every lever measured")
    segments: dict[str, dict[str, dict[str, float]]] = {}
    for variable in segment_vars:
        for value, group in frame.groupby(frame[variable].astype("string").fillna("missing")):
            segments.setdefault(variable, {})[str(value)] = {"clients": float(len(group))}
    return DecisionInputs(
        clients_per_year=clients_per_year(store),
        decision=decision,
        effects=effects,
        outcome_now=float(served[decision.objective].mean()),
        levels_now={k: float(np.mean(served[k])) for k in effects},
        population=len(frame),
        segments=segments,
        options=options,
        cost_warnings=cost_warnings,
        left_out=left_out,
    )
