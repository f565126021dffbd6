"""`decide`: quality versus reach, who gets what, and what to measure next."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from decisionframe.decide.allocate import (
    Allocation,
    FrontierPoint,
    frontier,
    optimal_split,
    targeting,
)
from decisionframe.decide.evaluate import (
    DEFAULT_DRAWS,
    OptionResult,
    effect_draws,
    evaluate_options,
)
from decisionframe.decide.inputs import DecisionInputs, gather_inputs
from decisionframe.decide.voi import MeasureNext, measure_next
from decisionframe.store import Store
from decisionframe.theory.model import Theory
from decisionframe.theory.plan import measurement_plan

POOLED = "other (small groups pooled)"
MC_SE_WARNING = 0.01


def _in_sentence(label: str) -> str:
    """'Stably housed after 180 days' -> 'stably housed after 180 days' (acronyms kept)."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


@dataclass(frozen=True)
class DecisionResult:
    objective: str
    objective_label: str  # the outcome node's label, for sentences a board reads
    budget: float
    baseline: float
    outcome_now: float
    seed: int
    draws: int
    options: tuple[OptionResult, ...]
    frontier: tuple[FrontierPoint, ...]
    frontier_options: tuple[str, str]
    best_split: Allocation
    targeting: Allocation | None
    targeting_variable: str | None
    evpi: float
    measure_next: tuple[MeasureNext, ...]
    mc_note: str

    @property
    def chosen(self) -> OptionResult:
        return max(self.options, key=lambda o: o.gain_mean)

    def summary(self) -> str:
        best = self.chosen
        return (
            f"Choose '{best.option}': {best.gain_mean:,.0f} more clients "
            f"{_in_sentence(self.objective_label)} than "
            f"without us (90% interval {best.gain_low:,.0f} to {best.gain_high:,.0f}), best "
            f"with probability {best.p_best:.0%}; knowing the effects exactly is worth "
            f"{self.evpi:,.1f} outcomes."
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["chosen"] = self.chosen.option
        data["summary"] = self.summary()
        return data


def _segment_table(
    inputs: DecisionInputs, min_cell_size: int
) -> tuple[str | None, dict[str, np.ndarray], dict[str, float]]:
    """Gain per client per option in each segment of the first usable segment variable.

    Assumption, stated in the report: being served at today's level is worth the same over
    the counterfactual in every segment (we have no per-segment baseline); segments differ
    in how much each lever's change adds. Using each segment's own outcome level instead
    would send the service to the easiest cases ("creaming").
    """
    levers = list(inputs.effects)
    for variable, groups in inputs.segments.items():
        effects = {k: inputs.effects[k].segments.get(variable, {}) for k in levers}
        if not any(effects.values()):
            continue
        table: dict[str, np.ndarray] = {}
        sizes: dict[str, float] = {}
        pooled = 0.0
        for name, stats in groups.items():
            if stats["clients"] < min_cell_size:
                pooled += stats["clients"]
                continue
            per_option = []
            for option in inputs.decision.options:
                gain = inputs.outcome_now - inputs.decision.baseline
                for node, value in option.set.items():
                    overall = inputs.effects[node].mean
                    theta = effects[node].get(name, (overall, 0.0))[0]
                    gain += theta * (value - inputs.levels_now[node])
                per_option.append(gain)
            table[name] = np.array(per_option)
            sizes[name] = stats["clients"]
        if pooled >= min_cell_size and table:
            table[POOLED] = np.mean(list(table.values()), axis=0)
            sizes[POOLED] = pooled
        if len(table) >= 2:
            return variable, table, sizes
    return None, {}, {}


def decide_options(
    store: Store,
    theory: Theory,
    evidence: dict[str, Any],
    *,
    budget: float | None = None,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    min_cell_size: int = 11,
) -> DecisionResult:
    """Evaluate the theory's decision options against the evidence posteriors."""
    inputs = gather_inputs(store, theory, evidence, budget=budget)
    theta = effect_draws(inputs, draws=draws, seed=seed)
    options = evaluate_options(inputs, theta)
    costs = [o.cost_per_client for o in inputs.decision.options]
    cheap, better = int(np.argmin(costs)), int(np.argmax(costs))
    plan = measurement_plan(theory, store)
    collect = {
        p.edge.split(" -> ")[0]: (
            "start measuring " + ", ".join(p.start_measuring)
            if p.start_measuring
            else f"more clients with {p.edge.split(' -> ')[0]} and the outcome measured"
        )
        for p in plan.assumptions
    }
    evpi, ranked = measure_next(inputs, theta, collect)
    variable, table, sizes = _segment_table(inputs, min_cell_size)
    target = (
        targeting(inputs, table, sizes, min_coverage=inputs.decision.min_coverage)
        if variable
        else None
    )
    worst_mc = max(o.p_best_mc_se for o in options)
    mc_note = (
        f"{draws:,} Monte Carlo draws (seed {seed}); Monte Carlo error of 'probability best' "
        f"at most {worst_mc:.3f}"
        + (" - too few draws, use more" if worst_mc > MC_SE_WARNING else "")
    )
    return DecisionResult(
        objective=inputs.decision.objective,
        objective_label=theory.node(inputs.decision.objective).title,
        budget=inputs.decision.budget,
        baseline=inputs.decision.baseline,
        outcome_now=inputs.outcome_now,
        seed=seed,
        draws=draws,
        options=options,
        frontier=frontier(inputs, theta, cheap=cheap, better=better),
        frontier_options=(inputs.decision.options[cheap].id, inputs.decision.options[better].id),
        best_split=optimal_split(
            inputs, np.array([o.gain_mean / max(o.clients_served, 1e-9) for o in options])
        ),
        targeting=target,
        targeting_variable=variable,
        evpi=evpi,
        measure_next=ranked,
        mc_note=mc_note,
    )
