"""What-ifs for the decision simulator: change the budget, costs, capacity or the assumed
effects and get the recommendation back fast (vectorized; no frontier, no value of
information, no data access: the inputs are gathered once with ``gather_inputs``).
"""

from __future__ import annotations

from dataclasses import replace

from decisionframe.decide.evaluate import DEFAULT_DRAWS, effect_draws
from decisionframe.decide.inputs import DecisionInputs
from decisionframe.decide.recommend import Recommendation, recommend
from decisionframe.errors import DecisionframeError


def _check_options(inputs: DecisionInputs, given: dict[str, object], what: str) -> None:
    unknown = sorted(set(given) - {o.id for o in inputs.options})
    if unknown:
        raise DecisionframeError(
            f"{what} names {len(unknown)} option(s) the decision does not have. Hint: use "
            f"one of {', '.join(o.id for o in inputs.options)}."
        )


def what_if_inputs(
    inputs: DecisionInputs,
    *,
    budget: float | None = None,
    costs: dict[str, float] | None = None,
    capacity: dict[str, float | None] | None = None,
    effects: dict[str, tuple[float, float]] | None = None,
) -> DecisionInputs:
    """``inputs`` with a new budget, costs per client, capacities (None: unlimited) or
    assumed effects ``{lever: (mean, sd)}`` per unit of the lever."""
    if budget is not None and budget <= 0:
        raise DecisionframeError("the budget must be above 0. Hint: try the theory's budget.")
    for what, given in (("costs", costs or {}), ("capacity", capacity or {})):
        _check_options(inputs, dict(given), what)
    options = []
    for option in inputs.options:
        cost = (costs or {}).get(option.id, option.cost_per_client)
        if cost <= 0:
            raise DecisionframeError(f"option '{option.id}' needs a cost per client above 0.")
        cap = (capacity or {}).get(option.id, option.capacity) if capacity else option.capacity
        options.append(
            replace(
                option,
                cost_per_client=float(cost),
                capacity=cap,
                cost_source="what-if" if costs and option.id in costs else option.cost_source,
            )
        )
    unknown = sorted(set(effects or {}) - set(inputs.effects))
    if unknown:
        raise DecisionframeError(
            f"effects name {len(unknown)} lever(s) the decision does not use. Hint: use one "
            f"of {', '.join(sorted(inputs.effects))}."
        )
    new_effects = dict(inputs.effects)
    for node, (mean, sd) in (effects or {}).items():
        if sd < 0:
            raise DecisionframeError(f"the assumed effect of '{node}' needs an sd of 0 or more.")
        new_effects[node] = replace(new_effects[node], mean=float(mean), sd=float(sd))
    decision = inputs.decision
    if budget is not None:
        decision = decision.model_copy(update={"budget": float(budget)})
    return replace(inputs, decision=decision, effects=new_effects, options=tuple(options))


def what_if(
    inputs: DecisionInputs,
    *,
    budget: float | None = None,
    costs: dict[str, float] | None = None,
    capacity: dict[str, float | None] | None = None,
    effects: dict[str, tuple[float, float]] | None = None,
    objective_label: str = "with the outcome",
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    min_cell_size: int = 11,
) -> Recommendation:
    """The recommendation under changed assumptions (see ``what_if_inputs``).

    Segment differences stay as the evidence estimated them (pooled): a changed overall
    effect moves every segment by the same amount.
    """
    from decisionframe.decide.analyze import candidate_plans

    changed = what_if_inputs(inputs, budget=budget, costs=costs, capacity=capacity, effects=effects)
    theta = effect_draws(changed, draws=draws, seed=seed)
    candidates, models, oracle = candidate_plans(
        changed, theta, seed=seed, min_cell_size=min_cell_size
    )
    return recommend(
        candidates,
        models,
        oracle,
        [o.id for o in changed.options],
        objective_label=objective_label,
        left_out=changed.left_out,
        population=changed.population,
    )
