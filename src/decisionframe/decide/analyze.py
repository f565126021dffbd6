"""`decide`: quality versus reach, who gets what, and what to measure next."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd

from decisionframe.decide.allocate import FrontierPoint, frontier
from decisionframe.decide.evaluate import (
    DEFAULT_DRAWS,
    OptionResult,
    effect_draws,
    evaluate_options,
)
from decisionframe.decide.inputs import DecisionInputs, gather_inputs
from decisionframe.decide.plans import (
    Candidate,
    GainModel,
    Oracle,
    best_per_draw,
    oracle_rows,
    overall_model,
    segment_model,
    split_plan,
    targeted_plan,
    uniform_plans,
)
from decisionframe.decide.recommend import Band, Recommendation, recommend
from decisionframe.decide.voi import (
    MeasureNext,
    SettleAssumption,
    clients_to_settle,
    measure_next,
)
from decisionframe.effects.analyze import EvidenceResult
from decisionframe.effects.verdict import smallest_effect_that_matters
from decisionframe.numbers import probability, sig
from decisionframe.results import Result
from decisionframe.store import Store
from decisionframe.theory.model import Theory
from decisionframe.theory.plan import measurement_plan

MC_SE_WARNING = 0.01


def _in_sentence(label: str) -> str:
    """'Stably housed after 180 days' -> 'stably housed after 180 days' (acronyms kept)."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


@dataclass(frozen=True)
class QualityVsReach:
    """The founding comparison: serve N with good service or M > N with basic service."""

    good: str
    basic: str
    good_clients: float
    basic_clients: float
    good_rate: Band  # outcome rate per client served
    basic_rate: Band
    break_even_points: float  # how much good must raise the rate (percentage points)
    raises_by_points: Band
    p_worth_it: float

    def sentence(self) -> str:
        if self.good_clients >= self.basic_clients:
            return (
                f"'{self.good}' serves as many people as '{self.basic}' "
                f"({self.good_clients:,.0f}): there is no reach to trade for quality."
            )
        return (
            f"Serve {self.good_clients:,.0f} people with '{self.good}' or "
            f"{self.basic_clients:,.0f} with '{self.basic}': '{self.good}' must raise the "
            f"outcome rate by at least {self.break_even_points:.1f} points for serving fewer "
            f"people to be worth it. The evidence says it raises it by "
            f"{self.raises_by_points.mean:.1f} points (90% interval "
            f"{self.raises_by_points.low:.1f} to {self.raises_by_points.high:.1f}): worth it "
            f"with probability {probability(self.p_worth_it)}."
        )


def quality_vs_reach(
    inputs: DecisionInputs, model: GainModel, uniform: list[Candidate]
) -> QualityVsReach:
    costs = [o.cost_per_client for o in inputs.options]
    cheap, better = int(np.argmin(costs)), int(np.argmax(costs))
    n_good = float(uniform[better].clients.sum())
    n_basic = float(uniform[cheap].clients.sum())
    rate_good = model.gain[:, 0, better] + inputs.decision.baseline
    rate_basic = model.gain[:, 0, cheap] + inputs.decision.baseline
    # N (r_g - b) = M (r_b - b)  <=>  r_g - r_b = (M / N - 1) (r_b - b)
    ratio = n_basic / n_good - 1 if n_good > 0 else float("inf")
    break_even = 100 * ratio * float(rate_basic.mean() - inputs.decision.baseline)
    return QualityVsReach(
        good=inputs.options[better].id,
        basic=inputs.options[cheap].id,
        good_clients=n_good,
        basic_clients=n_basic,
        good_rate=Band.of(rate_good),
        basic_rate=Band.of(rate_basic),
        break_even_points=break_even,
        raises_by_points=Band.of(100 * (rate_good - rate_basic)),
        p_worth_it=float((uniform[better].draws > uniform[cheap].draws).mean()),
    )


@dataclass(frozen=True)
class DecisionResult(Result):
    """The recommended plan and how sure it is, quality versus reach, every option's gain,
    the budget frontier, and what to measure next."""

    kind: ClassVar[str] = "decide"
    objective: str
    objective_label: str  # the outcome node's label, for sentences a board reads
    budget: float
    baseline: float
    outcome_now: float
    seed: int
    draws: int
    recommendation: Recommendation
    quality_vs_reach: QualityVsReach
    options: tuple[OptionResult, ...]
    cost_sources: dict[str, str]
    cost_warnings: tuple[str, ...]
    frontier: tuple[FrontierPoint, ...]
    frontier_options: tuple[str, str]
    evpi: float  # outcomes
    evpi_money: float | None  # at the recommended plan's cost per outcome
    cost_per_outcome: float | None
    measure_next: tuple[MeasureNext, ...]
    inconclusive: tuple[SettleAssumption, ...]
    mc_note: str
    clients_per_year: float | None = None  # enrolments per year, for capping sample sizes
    extra_clients_together: int | None = None  # with every lever measured, for 90% sure

    @property
    def chosen(self) -> str:
        """The main option of the recommended plan (the one serving most clients)."""
        served: dict[str, float] = {}
        for a in self.recommendation.plan:
            served[a.option] = served.get(a.option, 0.0) + a.clients
        return max(served, key=lambda k: served[k]) if served else ""

    def value_of_information(self) -> str:
        """Two significant figures for each number, so the sentence stays coherent: the
        money is the outcomes times the cost per outcome as printed ('0.065 outcomes (about
        150 at 2,300 per outcome)', never '0.1 outcomes (about 150 at 2,303)')."""
        money = (
            f" (about {sig(self.evpi_money)} at {sig(self.cost_per_outcome)} per outcome)"
            if self.evpi_money is not None and self.cost_per_outcome is not None
            else ""
        )
        many = "outcome" if sig(self.evpi) == "1" else "outcomes"
        return f"knowing the effects exactly is worth {sig(self.evpi)} {many}{money}"

    def summary(self) -> str:
        return f"{self.recommendation.sentence()} {self.value_of_information().capitalize()}."

    def to_frame(self) -> pd.DataFrame:
        """One row per option: clients served, gain with its 90% interval, P(best)."""
        return pd.DataFrame([vars(o) for o in self.options])


def _title(theory: Theory, node: str) -> str:
    return theory.node(node).title if node in theory.node_ids else node.replace("_", " ")


def _collect(theory: Theory, store: Store) -> dict[str, str]:
    plan = measurement_plan(theory, store)
    return {
        p.treatment: (
            "start measuring " + ", ".join(p.start_measuring)
            if p.start_measuring
            else f"more clients with “{_title(theory, p.treatment)}” and the outcome measured"
        )
        for p in plan.assumptions
    }


def _inconclusive(evidence: EvidenceResult) -> tuple[SettleAssumption, ...]:
    out = []
    for edge in evidence.edges:
        effect = edge.effect
        if edge.verdict.verdict != "inconclusive" or effect is None:
            continue
        # The assumption as analyzed (staleness checks it still matches theory.yaml).
        m = smallest_effect_that_matters(edge.assumption)
        extra, goal = clients_to_settle(effect.estimate, effect.se, edge.n_used, m)
        out.append(
            SettleAssumption(
                edge.edge,
                edge.claim,
                effect.estimate,
                effect.se,
                edge.n_used,
                m,
                extra,
                goal,
            )
        )
    return tuple(out)


def candidate_plans(
    inputs: DecisionInputs,
    theta: dict[str, np.ndarray],
    *,
    seed: int,
    min_cell_size: int,
) -> tuple[list[Candidate], dict[str | None, GainModel], Oracle]:
    """Uniform plans, the best split and one targeted plan per segment variable, and the
    best allocation per draw (over every segmentation) their expected losses are measured
    against."""
    base = overall_model(inputs, theta)
    candidates = uniform_plans(inputs, base)
    split = split_plan(inputs, base)
    if split is not None:
        candidates.append(split)
    models: dict[str | None, GainModel] = {None: base}
    for variable in sorted(inputs.segments):
        model = segment_model(inputs, theta, variable, min_cell_size=min_cell_size, seed=seed)
        if model is None:
            continue
        models[variable] = model
        target = targeted_plan(inputs, model)
        if target is not None:
            candidates.append(target)
    rows = oracle_rows(len(next(iter(theta.values()))))
    # any segmentation's programme can serve a representative mix (valued the same: the
    # segment effects average to the overall one), so it covers the unsegmented one
    segmented = [m for v, m in models.items() if v is not None] or [base]
    best = np.max([best_per_draw(inputs, m, rows) for m in segmented], axis=0)
    # a plan the programmes do not cover (a uniform plan under a minimum coverage) is
    # itself a possible allocation
    best = np.maximum(best, np.max([c.draws[rows] for c in candidates], axis=0))
    return candidates, models, Oracle(rows, best)


def decide_options(
    store: Store,
    theory: Theory,
    evidence: EvidenceResult,
    *,
    budget: float | None = None,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    min_cell_size: int = 11,
) -> DecisionResult:
    """Evaluate the theory's decision options against the evidence posteriors."""
    inputs = gather_inputs(store, theory, evidence, budget=budget)
    label = _in_sentence(theory.node(inputs.decision.objective).title)
    return decide_from_inputs(
        inputs,
        objective_label=label,
        seed=seed,
        draws=draws,
        min_cell_size=min_cell_size,
        collect=_collect(theory, store),
        inconclusive=_inconclusive(evidence),
    )


def decide_from_inputs(
    inputs: DecisionInputs,
    *,
    objective_label: str,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    min_cell_size: int = 11,
    collect: dict[str, str] | None = None,
    inconclusive: tuple[SettleAssumption, ...] = (),
) -> DecisionResult:
    """The decision from already gathered inputs (also what the what-if simulator runs)."""
    theta = effect_draws(inputs, draws=draws, seed=seed)
    options = evaluate_options(inputs, theta)
    candidates, models, oracle = candidate_plans(
        inputs, theta, seed=seed, min_cell_size=min_cell_size
    )
    ids = [o.id for o in inputs.options]
    left_out = tuple(
        replace(o, measure=(collect or {}).get(o.lever) or o.measure) for o in inputs.left_out
    )
    rec = recommend(
        candidates,
        models,
        oracle,
        ids,
        objective_label=objective_label,
        left_out=left_out,
        population=inputs.population,
    )
    costs = [o.cost_per_client for o in inputs.options]
    cheap, better = int(np.argmin(costs)), int(np.argmax(costs))
    _, ranked, together = measure_next(inputs, theta, collect or {})
    # what knowing the effects is worth: the least expected loss of any plan against the
    # best allocation per draw (the expected losses every output shows)
    evpi = min(oracle.loss(c.draws) for c in candidates)
    spend = sum(a.clients * inputs.options[ids.index(a.option)].cost_per_client for a in rec.plan)
    per_outcome = spend / rec.outcomes.mean if rec.outcomes.mean > 0 else None
    worst_mc = max(o.p_best_mc_se for o in options)
    mc_note = (
        f"{draws:,} Monte Carlo draws (seed {seed}); Monte Carlo error of 'probability best' "
        f"at most {worst_mc:.3f}"
        + (" - too few draws, use more" if worst_mc > MC_SE_WARNING else "")
    )
    return DecisionResult(
        objective=inputs.decision.objective,
        objective_label=objective_label,
        budget=inputs.decision.budget,
        baseline=inputs.decision.baseline,
        outcome_now=inputs.outcome_now,
        seed=seed,
        draws=draws,
        recommendation=rec,
        quality_vs_reach=quality_vs_reach(inputs, models[None], candidates[: len(ids)]),
        options=options,
        cost_sources={o.id: o.cost_source for o in inputs.options},
        cost_warnings=inputs.cost_warnings,
        frontier=frontier(inputs, theta, cheap=cheap, better=better),
        frontier_options=(ids[cheap], ids[better]),
        evpi=evpi,
        evpi_money=evpi * per_outcome if per_outcome is not None else None,
        cost_per_outcome=per_outcome,
        measure_next=ranked,
        inconclusive=inconclusive,
        mc_note=mc_note,
        clients_per_year=inputs.clients_per_year,
        extra_clients_together=together,
    )
