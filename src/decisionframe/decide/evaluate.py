"""Monte Carlo evaluation of decision options (probabilistic sensitivity analysis).

Outcomes gained by an option = clients served x (expected outcome under the option -
counterfactual baseline), where the expected outcome under the option moves today's
outcome by each lever's effect times the change in the lever. Effects are drawn from the
evidence posteriors; every number below is a function of those draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisionframe.decide.costs import PlanOption
from decisionframe.decide.inputs import DecisionInputs

DEFAULT_DRAWS = 20_000


def effect_draws(inputs: DecisionInputs, *, draws: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.normal(e.mean, e.sd, draws) for k, e in sorted(inputs.effects.items())}


def served(inputs: DecisionInputs, option: PlanOption, budget: float) -> float:
    """Clients ``option`` serves on ``budget``: what the money buys, but never more than the
    option's capacity or the clients there are (a budget that would buy 5,000 places for
    400 clients serves 400, and only they gain)."""
    reach = min(budget / option.cost_per_client, float(inputs.population))
    return float(min(reach, option.capacity)) if option.capacity is not None else float(reach)


def gain_per_client(inputs: DecisionInputs, theta: dict[str, np.ndarray]) -> np.ndarray:
    """Outcomes gained over the counterfactual per client served: draws x options."""
    return np.column_stack(
        [outcome_under(inputs, o, theta) - inputs.decision.baseline for o in inputs.options]
    )


def outcome_under(
    inputs: DecisionInputs, option: PlanOption, theta: dict[str, np.ndarray]
) -> np.ndarray:
    """Expected outcome rate for a client served under ``option``, per draw."""
    rate = np.full(len(next(iter(theta.values()))), inputs.outcome_now)
    for node, value in option.set.items():
        if node in theta:  # a lever left out (no estimated effect) adds nothing
            rate = rate + theta[node] * (value - inputs.levels_now[node])
    return np.asarray(np.clip(rate, 0.0, 1.0) if inputs.outcome_now <= 1 else rate)


def gains(
    inputs: DecisionInputs, theta: dict[str, np.ndarray], budget: float | None = None
) -> np.ndarray:
    """Outcomes gained over the counterfactual: draws x options."""
    spend = inputs.decision.budget if budget is None else budget
    reach = np.array([served(inputs, o, spend) for o in inputs.options])
    return np.asarray(gain_per_client(inputs, theta) * reach)


@dataclass(frozen=True)
class OptionResult:
    option: str
    cost_per_client: float
    clients_served: float
    outcome_rate: float
    gain_mean: float
    gain_low: float  # 5th percentile
    gain_high: float  # 95th percentile
    gain_mc_se: float
    cost_per_outcome: float
    p_best: float
    p_best_mc_se: float
    expected_loss: float


def evaluate_options(
    inputs: DecisionInputs, theta: dict[str, np.ndarray]
) -> tuple[OptionResult, ...]:
    g = gains(inputs, theta)
    draws = g.shape[0]
    best = g.argmax(axis=1)
    best_value = g.max(axis=1)
    results = []
    for j, option in enumerate(inputs.options):
        p = float((best == j).mean())
        mean = float(g[:, j].mean())
        reach = served(inputs, option, inputs.decision.budget)
        rate = float(outcome_under(inputs, option, theta).mean())
        results.append(
            OptionResult(
                option=option.id,
                cost_per_client=option.cost_per_client,
                clients_served=reach,
                outcome_rate=rate,
                gain_mean=mean,
                gain_low=float(np.percentile(g[:, j], 5)),
                gain_high=float(np.percentile(g[:, j], 95)),
                gain_mc_se=float(g[:, j].std(ddof=1) / np.sqrt(draws)),
                cost_per_outcome=reach * option.cost_per_client / mean
                if mean > 0
                else float("inf"),
                p_best=p,
                p_best_mc_se=float(np.sqrt(max(p * (1 - p), 1e-12) / draws)),
                expected_loss=float((best_value - g[:, j]).mean()),
            )
        )
    return tuple(results)


def expected_value_of_perfect_information(g: np.ndarray) -> float:
    """E[max over options] - max over options of E: what knowing the effects is worth."""
    return max(0.0, float(g.max(axis=1).mean() - g.mean(axis=0).max()))
