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

from decisionframe.decide.costs import PlanOption
from decisionframe.decide.evaluate import served
from decisionframe.decide.inputs import DecisionInputs
from decisionframe.decide.pooling import (
    PooledLever,
    between_segment_variance,
    deviation_draws,
    pool_segments,
)
from decisionframe.errors import NotEstimableError

ALL_CLIENTS = "all clients"
POOLED = "other (small groups pooled)"
# A segment is targeted on its own, and its estimate used on its own, only with at least
# this many clients. The evidence's segment standard errors are sandwich (score variance)
# standard errors, right only asymptotically: for segments of a few dozen clients their
# z-scores are far heavier-tailed than normal (in the simulator's homogeneous scenario,
# segments of 12-60 clients showed |z| > 2 several times as often as 5%), and those
# segments drove every false targeted plan. 100 is the usual floor for a normal
# approximation of a mean of skewed scores; smaller groups are merged.
MIN_SEGMENT_CLIENTS = 100


@dataclass(frozen=True)
class GainModel:
    """Gain per client, draws x segments x options, for one way of segmenting clients."""

    variable: str | None
    segments: tuple[str, ...]
    sizes: np.ndarray  # clients per segment
    gain: np.ndarray  # draws x segments x options
    pooled: tuple[PooledLever, ...]
    established: bool = False  # segment differences beyond chance (see ``establish``)
    heterogeneity_p: float = 1.0  # smallest Cochran's Q p-value of its option contrasts
    tests: int = 0  # heterogeneity tests made over all segmentations (Bonferroni)

    @property
    def weights(self) -> np.ndarray:
        return np.asarray(self.sizes / self.sizes.sum())

    @property
    def differs(self) -> bool:
        """Whether segments differ at all after pooling (tau > 0 for some lever)."""
        return any(p.tau > 0 for p in self.pooled)


HETEROGENEITY_ALPHA = 0.05


def _contrasts(inputs: DecisionInputs) -> list[dict[str, float]]:
    """Per option other than the cheapest: how much more of each lever it sets than the
    cheapest (the lever changes a client gets by being moved up to that option)."""
    costs = [o.cost_per_client for o in inputs.options]
    cheap = inputs.options[int(np.argmin(costs))]

    def change(option: PlanOption, node: str) -> float:
        return option.set[node] - inputs.levels_now[node] if node in option.set else 0.0

    out = []
    for option in inputs.options:
        if option is cheap:
            continue
        c = {n: change(option, n) - change(cheap, n) for n in inputs.effects}
        if any(abs(v) > 0 for v in c.values()):
            out.append(c)
    return out


def contrast_heterogeneity(model: GainModel, contrast: dict[str, float]) -> tuple[float, int]:
    """Cochran's Q p-value that one option's extra gain per client over the cheapest is
    the same in every segment, and the number of segments tested.

    The decision turns on that gain, sum over levers of (segment effect x lever change),
    not on any one lever: one test per option contrast and segment variable pools the
    evidence of every lever and keeps the number of tests small. Levers' estimates within
    a segment come from separate fits and are treated as independent (their covariance is
    not estimated). A segment is tested only with an own estimate of every lever the
    contrast changes.
    """
    levers = {p.lever: p for p in model.pooled}
    needed = [n for n, c in contrast.items() if abs(c) > 0]
    y, v = [], []
    for segment in model.segments:
        found = [levers[n].get(segment) if n in levers else None for n in needed]
        cells = [cell for cell in found if cell is not None]
        if len(cells) < len(needed):
            continue
        y.append(float(sum(contrast[c.lever] * c.estimate for c in cells)))
        v.append(float(sum((contrast[c.lever] * c.se) ** 2 for c in cells)))
    if len(y) < 2:
        return 1.0, len(y)
    _, _, p = between_segment_variance(np.array(y), np.array(v))
    return p, len(y)


def establish(
    models: list[GainModel], inputs: DecisionInputs, alpha: float = HETEROGENEITY_ALPHA
) -> list[GainModel]:
    """Mark the segmentations whose differences are beyond chance: for some option, the
    extra gain per client over the cheapest option differs between segments by Cochran's
    Q (``contrast_heterogeneity``) at a familywise ``alpha``, Bonferroni over every option
    contrast and segment variable tried. Pooling alone is not enough: with a handful of
    segments, spread is often seen where there is none.
    """
    contrasts = _contrasts(inputs)
    tested = [(m, [contrast_heterogeneity(m, c) for c in contrasts]) for m in models]
    n = max(1, sum(k >= 2 for _, results in tested for _, k in results))
    out = []
    for m, results in tested:
        p = min((p for p, k in results if k >= 2), default=1.0)
        out.append(replace(m, established=p < alpha / n, heterogeneity_p=p, tests=n))
    return out


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
    """Segments of ``variable`` and their sizes. Segments under ``MIN_SEGMENT_CLIENTS`` (or
    ``min_cell_size``, if larger) are merged into one; the merged group is dropped if it is
    still under ``min_cell_size`` (its clients can then only be served as part of a
    representative mix)."""
    floor = max(MIN_SEGMENT_CLIENTS, min_cell_size)
    sizes: dict[str, float] = {}
    pooled = 0.0
    for name, stats in inputs.segments.get(variable, {}).items():
        if stats["clients"] < floor or name == POOLED:
            pooled += stats["clients"]
        else:
            sizes[name] = stats["clients"]
    if pooled >= min_cell_size:
        sizes[POOLED] = pooled
    return sizes


def group_estimates(
    inputs: DecisionInputs, node: str, variable: str, groups: dict[str, float]
) -> dict[str, tuple[float, float]]:
    """One lever's estimate per group: a segment's own, if it rests on at least
    ``MIN_SEGMENT_CLIENTS`` clients; the merged group's is the inverse-variance combination
    of its members' estimates (close to what re-estimating on the merged group gives for a
    group-average effect), if they rest on that many together. A group without one is
    valued at the overall effect, with the between-segment spread as its uncertainty."""
    effect = inputs.effects[node]
    estimates = effect.segments.get(variable, {})
    sizes = effect.segment_n.get(variable, {})
    out: dict[str, tuple[float, float]] = {}
    members: list[tuple[float, float, float]] = []
    for name, (estimate, se) in estimates.items():
        if not (np.isfinite(se) and se > 0):
            continue
        # evidence saved before sizes were kept: trust the estimate (sizes unknown)
        n = float(sizes.get(name, MIN_SEGMENT_CLIENTS))
        if name in groups and name != POOLED and n >= MIN_SEGMENT_CLIENTS:
            out[name] = (estimate, se)
        elif name not in groups or name == POOLED:
            members.append((estimate, se, n))
    if POOLED in groups and members and sum(n for _, _, n in members) >= MIN_SEGMENT_CLIENTS:
        w = np.array([1 / se**2 for _, se, _ in members])
        y = np.array([e for e, _, _ in members])
        out[POOLED] = (float(w @ y / w.sum()), float(1 / np.sqrt(w.sum())))
    return out


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
        lever = pool_segments(node, variable, group_estimates(inputs, node, variable, groups))
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
    return served(inputs, inputs.options[j], inputs.decision.budget)


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
    proportional = np.outer(model.weights, clients.sum(axis=0))
    if np.allclose(clients, proportional, atol=0.5):
        return None
    return Candidate("targeted", model.variable, model.segments, clients, value(model, clients))
