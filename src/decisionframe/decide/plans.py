"""Candidate plans (uniform, split, targeted), valued on the same Monte Carlo draws.

A plan is a matrix of clients per (segment, option). Outcomes gained by a plan, per draw,
are the sum over its cells of clients x (outcome rate under the option in that segment -
the counterfactual baseline). Uniform plans and budget splits serve a representative mix
of clients; targeted plans choose segments, by a linear programme (SciPy's HiGHS) on the
expected gains under the partially pooled segment effects (see ``pooling``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linprog

from decisionframe.decide.inputs import DecisionInputs
from decisionframe.decide.pooling import PooledLever, deviation_draws, pool_segments
from decisionframe.errors import NotEstimableError

ALL_CLIENTS = "all clients"
POOLED = "other (small groups pooled)"


@dataclass(frozen=True)
class GainModel:
    """Gain per client, draws x segments x options, for one way of segmenting clients."""

    variable: str | None
    segments: tuple[str, ...]
    sizes: np.ndarray  # clients per segment
    gain: np.ndarray  # draws x segments x options
    pooled: tuple[PooledLever, ...]
    established: bool = False  # segment differences beyond chance (see ``establish``)

    @property
    def weights(self) -> np.ndarray:
        return np.asarray(self.sizes / self.sizes.sum())

    @property
    def differs(self) -> bool:
        """Whether segments differ at all after pooling (tau > 0 for some lever)."""
        return any(p.tau > 0 for p in self.pooled)


HETEROGENEITY_ALPHA = 0.05


def heterogeneity_tests(models: list[GainModel]) -> int:
    return sum(len(p.segments) >= 2 for m in models for p in m.pooled)


def establish(models: list[GainModel], alpha: float = HETEROGENEITY_ALPHA) -> list[GainModel]:
    """Mark the segmentations whose differences are beyond chance: some lever's segment
    estimates fail Cochran's Q test of one shared effect, at a familywise ``alpha``
    (Bonferroni over every lever and segment variable tried). Pooling alone is not enough:
    with five segments the between-segment variance is often estimated above 0 by chance,
    and empirical Bayes then treats that noise as known spread.
    """
    n = max(1, heterogeneity_tests(models))
    return [
        replace(m, established=any(p.heterogeneity_p < alpha / n for p in m.pooled)) for m in models
    ]


@dataclass(frozen=True)
class Candidate:
    kind: str  # uniform | split | targeted
    variable: str | None
    segments: tuple[str, ...]
    clients: np.ndarray  # segments x options
    draws: np.ndarray  # outcomes gained per draw


def _rate_gain(inputs: DecisionInputs, effect: dict[str, np.ndarray]) -> np.ndarray:
    """Per-client gain, draws x segments x options; ``effect[node]`` is draws x segments.

    One tensor contraction (levers x draws x segments with levers x options) instead of a
    loop over options: the what-if simulator calls this many times a second.
    """
    nodes = sorted(effect)
    change = np.array(
        [
            [
                option.set[node] - inputs.levels_now[node] if node in option.set else 0.0
                for option in inputs.options
            ]
            for node in nodes
        ]
    )
    stacked = np.stack([effect[node] for node in nodes])
    rate = inputs.outcome_now + np.einsum("lds,lo->dso", stacked, change)
    if inputs.outcome_now <= 1:
        np.clip(rate, 0.0, 1.0, out=rate)
    return np.asarray(rate - inputs.decision.baseline)


def overall_model(inputs: DecisionInputs, theta: dict[str, np.ndarray]) -> GainModel:
    gain = _rate_gain(inputs, {k: v[:, None] for k, v in theta.items()})
    return GainModel(None, (ALL_CLIENTS,), np.array([float(inputs.population)]), gain, ())


def segment_groups(inputs: DecisionInputs, variable: str, min_cell_size: int) -> dict[str, float]:
    """Segments of ``variable`` and their sizes; small ones pooled (or dropped if still small)."""
    sizes: dict[str, float] = {}
    pooled = 0.0
    for name, stats in inputs.segments.get(variable, {}).items():
        if stats["clients"] < min_cell_size:
            pooled += stats["clients"]
        else:
            sizes[name] = stats["clients"]
    if pooled >= min_cell_size:
        sizes[POOLED] = pooled
    return sizes


def segment_model(
    inputs: DecisionInputs,
    theta: dict[str, np.ndarray],
    variable: str,
    *,
    min_cell_size: int,
    seed: int,
) -> GainModel | None:
    """Segment effects = overall draws + pooled deviations; None with under two segments."""
    groups = segment_groups(inputs, variable, min_cell_size)
    if len(groups) < 2:
        return None
    names = tuple(groups)
    sizes = np.array([groups[n] for n in names])
    weights = sizes / sizes.sum()
    draws = len(next(iter(theta.values())))
    effect = {}
    pooled = []
    for node in sorted(theta):
        estimates = inputs.effects[node].segments.get(variable, {})
        lever = pool_segments(node, variable, estimates)
        pooled.append(lever)
        effect[node] = theta[node][:, None] + deviation_draws(
            lever, list(names), weights, draws=draws, seed=seed
        )
    if not any(p.segments for p in pooled):
        return None
    return GainModel(variable, names, sizes, _rate_gain(inputs, effect), tuple(pooled))


def value(model: GainModel, clients: np.ndarray) -> np.ndarray:
    return np.asarray(np.einsum("dso,so->d", model.gain, clients))


def uniform_clients(inputs: DecisionInputs, j: int) -> float:
    option = inputs.options[j]
    reach = min(inputs.decision.budget / option.cost_per_client, float(inputs.population))
    return float(min(reach, option.capacity)) if option.capacity is not None else float(reach)


def uniform_plans(inputs: DecisionInputs, model: GainModel) -> list[Candidate]:
    plans = []
    for j in range(len(inputs.options)):
        clients = np.zeros((1, len(inputs.options)))
        clients[0, j] = uniform_clients(inputs, j)
        plans.append(Candidate("uniform", None, model.segments, clients, value(model, clients)))
    return plans


def _solve(
    objective: np.ndarray, a_ub: list[np.ndarray], b_ub: list[float], what: str
) -> np.ndarray:
    solved = linprog(
        -objective,
        A_ub=np.array(a_ub),
        b_ub=b_ub,
        bounds=[(0, None)] * len(objective),
        method="highs",
    )
    if not solved.success:
        raise NotEstimableError(f"{what} has no solution: {solved.message}")
    return np.asarray(np.where(solved.x > 1e-6, solved.x, 0.0))


def best_allocation(
    inputs: DecisionInputs,
    mean_gain: np.ndarray,
    sizes: np.ndarray,
    *,
    segments: tuple[str, ...],
    min_coverage: dict[str, float] | None = None,
) -> np.ndarray:
    """Clients per (segment, option) maximizing expected gains within budget, capacities and
    segment sizes (a linear programme); ``mean_gain`` is segments x options."""
    n_seg, k = mean_gain.shape
    cost = np.array([o.cost_per_client for o in inputs.options])
    a_ub = [np.tile(cost, n_seg)]
    b_ub = [inputs.decision.budget]
    for j, option in enumerate(inputs.options):
        if option.capacity is not None:
            row = np.zeros(n_seg * k)
            row[j::k] = 1
            a_ub.append(row)
            b_ub.append(option.capacity)
    for i in range(n_seg):
        row = np.zeros(n_seg * k)
        row[i * k : (i + 1) * k] = 1
        a_ub.append(row)
        b_ub.append(float(sizes[i]))
        minimum = (min_coverage or {}).get(segments[i])
        if minimum:
            a_ub.append(-row)
            b_ub.append(-minimum * float(sizes[i]))
    x = _solve(mean_gain.reshape(-1), a_ub, b_ub, "the allocation")
    return x.reshape(n_seg, k)


def split_plan(inputs: DecisionInputs, model: GainModel) -> Candidate | None:
    """The best mix of options over a representative set of clients; None if it is uniform."""
    mean = model.gain.mean(axis=0)  # 1 x options
    clients = best_allocation(inputs, mean, model.sizes, segments=model.segments)
    if (clients > 0).sum() < 2:
        return None
    return Candidate("split", None, model.segments, clients, value(model, clients))


def targeted_plan(inputs: DecisionInputs, model: GainModel) -> Candidate | None:
    """The best allocation over segments; None if it serves a representative mix anyway."""
    mean = model.gain.mean(axis=0)
    clients = best_allocation(
        inputs,
        mean,
        model.sizes,
        segments=model.segments,
        min_coverage=inputs.decision.min_coverage,
    )
    served = clients.sum(axis=0)
    proportional = np.outer(model.weights, served)
    if np.allclose(clients, proportional, atol=0.5):
        return None
    return Candidate("targeted", model.variable, model.segments, clients, value(model, clients))
