"""Candidate plans (uniform, split, targeted), valued on the same Monte Carlo draws.

A plan is a matrix of clients per (segment, option). Outcomes gained by a plan, per draw,
are the sum over its cells of clients x (outcome rate under the option in that segment -
the counterfactual baseline). Uniform plans and budget splits serve a representative mix
of clients; targeted plans choose segments, by a linear programme (SciPy's HiGHS) on the
expected gains under the partially pooled segment effects (see ``pooling``), setting apart
only the segments whose posterior says they differ. The same programme, solved draw by
draw, gives the best allocation were the effects known (``Oracle``), which expected
losses are measured against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from decisionframe.decide.evaluate import served
from decisionframe.decide.inputs import DecisionInputs
from decisionframe.decide.pooling import (
    PooledLever,
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

    @property
    def weights(self) -> np.ndarray:
        return np.asarray(self.sizes / self.sizes.sum())


# A segment is allocated on its own when the posterior puts what some option adds per
# client there above (or below) the population average with at least this probability;
# the others are served as one representative mix. 50%, i.e. any segment whose posterior
# leans either way: whether targeting is recommended at all is judged on the whole plan
# (recommend: probability and gain against expected loss), and that is what keeps noise
# out. On the 50 + 50 seeds of bench_decide, stricter settings cut targeting in the
# heterogeneous organizations (80%: 22 of 50, 90%: 15, against 32 at 50%) without fewer
# false targeted plans in the homogeneous ones (2 of 50 at each). Kept as a setting: a
# segment exactly at the average (an option that changes nothing there) is never set apart.
SEGMENT_SUPPORT = 0.5


def distinct_segments(model: GainModel, support: float = SEGMENT_SUPPORT) -> np.ndarray:
    """Per segment, whether the posterior supports a gain per client different from the
    population average for some option (see ``SEGMENT_SUPPORT``)."""
    deviation = model.gain - np.einsum("dso,s->do", model.gain, model.weights)[:, None, :]
    tol = 1e-12 * max(1.0, float(np.abs(model.gain).max()))  # an option equal everywhere
    above = (deviation > tol).mean(axis=0)  # segments x options
    below = (deviation < -tol).mean(axis=0)
    return np.asarray(((above >= support) | (below >= support)).any(axis=1))


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


def _constraints(
    inputs: DecisionInputs,
    sizes: np.ndarray,
    *,
    segments: tuple[str, ...],
    min_coverage: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(A_ub, b_ub) over clients per (segment, option), flattened segment-major: budget,
    capacities, segment sizes and any minimum coverage."""
    n_seg, k = len(sizes), len(inputs.options)
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
    return np.array(a_ub), np.array(b_ub, dtype=float)


def _solve(objective: np.ndarray, a_ub: object, b_ub: np.ndarray, what: str) -> np.ndarray:
    solved = linprog(
        -objective,
        A_ub=a_ub,
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
    a_ub, b_ub = _constraints(inputs, sizes, segments=segments, min_coverage=min_coverage)
    x = _solve(mean_gain.reshape(-1), a_ub, b_ub, "the allocation")
    return x.reshape(mean_gain.shape)


# Draws on which the best allocation is solved draw by draw (every k-th draw): expected
# loss against it has a Monte Carlo error of a few percent of itself at this many, and
# the batched programme stays fast enough for the what-if simulator.
ORACLE_DRAWS = 200


@dataclass(frozen=True)
class Oracle:
    """The best allocation's outcomes on a subsample of draws, were the effects known.

    What a plan loses against it, on average, is its expected loss: the comparison is with
    the best that could be done in each state of the world, not with the other candidate
    plans (a plan can beat every candidate and still lose much against knowing more).
    """

    rows: np.ndarray  # the draws solved
    best: np.ndarray  # outcomes of the best allocation on each

    def loss(self, draws: np.ndarray) -> float:
        return float(np.maximum(self.best - draws[self.rows], 0.0).mean())


def oracle_rows(draws: int, n: int = ORACLE_DRAWS) -> np.ndarray:
    return np.unique(np.linspace(0, draws - 1, min(n, draws)).astype(int))


def best_per_draw(inputs: DecisionInputs, model: GainModel, rows: np.ndarray) -> np.ndarray:
    """Outcomes of the best allocation over ``model``'s segments on each of ``rows``: one
    block-diagonal linear programme (the draws' programmes are independent, so their joint
    optimum is each one's optimum), solved by HiGHS in one call."""
    from scipy import sparse

    a_one, b_one = _constraints(
        inputs,
        model.sizes,
        segments=model.segments,
        min_coverage=inputs.decision.min_coverage if model.variable else None,
    )
    gain = model.gain[rows].reshape(len(rows), -1)
    a_ub = sparse.kron(sparse.identity(len(rows), format="csr"), sparse.csr_matrix(a_one))
    x = _solve(gain.reshape(-1), a_ub.tocsr(), np.tile(b_one, len(rows)), "the allocation")
    return np.asarray((x.reshape(gain.shape) * gain).sum(axis=1))


def split_plan(inputs: DecisionInputs, model: GainModel) -> Candidate | None:
    """The best mix of options over a representative set of clients; None if it is uniform."""
    mean = model.gain.mean(axis=0)  # 1 x options
    clients = best_allocation(inputs, mean, model.sizes, segments=model.segments)
    if (clients > 0).sum() < 2:
        return None
    return Candidate("split", None, model.segments, clients, value(model, clients))


def targeted_plan(inputs: DecisionInputs, model: GainModel) -> Candidate | None:
    """The best allocation over segments, from the pooled posterior; None if it serves a
    representative mix anyway.

    Only segments the posterior sets apart (``distinct_segments``) are allocated on their
    own; the rest form one block valued at its members' average and served in proportion
    to their sizes, so the plan does not pick among them by noise in their means.
    """
    distinct = distinct_segments(model)
    if not distinct.any():
        return None
    wanted = inputs.decision.min_coverage or {}
    # a segment with a minimum coverage of its own is its own block, so that it gets it
    alone = [bool(d) or bool(wanted.get(s)) for d, s in zip(distinct, model.segments, strict=True)]
    rest = [i for i in range(len(model.segments)) if not alone[i]]
    blocks = [[i] for i in range(len(model.segments)) if alone[i]] + ([rest] if rest else [])
    mean = model.gain.mean(axis=0)
    sizes = np.array([model.sizes[b].sum() for b in blocks])
    block_gain = np.array([model.weights[b] @ mean[b] / model.weights[b].sum() for b in blocks])
    names = tuple(f"block {n}" for n in range(len(blocks)))
    coverage = {
        name: float(sum(wanted.get(model.segments[i], 0.0) * model.sizes[i] for i in b) / sizes[n])
        for n, (name, b) in enumerate(zip(names, blocks, strict=True))
    }
    per_block = best_allocation(inputs, block_gain, sizes, segments=names, min_coverage=coverage)
    clients = np.zeros(mean.shape)
    for n, b in enumerate(blocks):
        clients[b] = np.outer(model.sizes[b] / sizes[n], per_block[n])
    proportional = np.outer(model.weights, clients.sum(axis=0))
    if np.allclose(clients, proportional, atol=0.5):
        return None
    return Candidate("targeted", model.variable, model.segments, clients, value(model, clients))
