"""Splitting the budget between options, and targeting the better service, by linear
programming (SciPy's HiGHS), not by hand-written search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from decisionframe.decide.evaluate import gains
from decisionframe.decide.inputs import DecisionInputs
from decisionframe.errors import NotEstimableError


@dataclass(frozen=True)
class FrontierPoint:
    share_on_better: float
    gain_mean: float
    gain_low: float
    gain_high: float


@dataclass(frozen=True)
class Allocation:
    """Clients to serve per (segment, option) and the expected outcomes gained."""

    rows: tuple[tuple[str, str, float, float], ...]  # segment, option, clients, gain/client
    gain: float
    budget_used: float


def frontier(
    inputs: DecisionInputs,
    theta: dict[str, np.ndarray],
    *,
    cheap: int,
    better: int,
    steps: int = 21,
) -> tuple[FrontierPoint, ...]:
    """Outcomes gained as the budget share on the better option goes from 0 to 1."""
    budget = inputs.decision.budget
    points = []
    for share in np.linspace(0.0, 1.0, steps):
        total = (
            gains(inputs, theta, budget * (1 - share))[:, cheap]
            + gains(inputs, theta, budget * share)[:, better]
        )
        points.append(
            FrontierPoint(
                float(share),
                float(total.mean()),
                float(np.percentile(total, 5)),
                float(np.percentile(total, 95)),
            )
        )
    return tuple(points)


def optimal_split(inputs: DecisionInputs, gain_per_client: np.ndarray) -> Allocation:
    """Maximize expected outcomes gained: clients per option, within budget and capacities."""
    options = inputs.options
    cost = np.array([o.cost_per_client for o in options])
    bounds = [(0, o.capacity) for o in options]
    solved = linprog(
        -gain_per_client, A_ub=[cost], b_ub=[inputs.decision.budget], bounds=bounds, method="highs"
    )
    if not solved.success:
        raise NotEstimableError(f"the budget split has no solution: {solved.message}")
    clients = solved.x
    rows = tuple(
        ("all clients", o.id, float(n), float(g))
        for o, n, g in zip(options, clients, gain_per_client, strict=True)
        if n > 1e-6
    )
    return Allocation(rows, float(-solved.fun), float(cost @ clients))


def targeting(
    inputs: DecisionInputs,
    segment_gain: dict[str, np.ndarray],
    segment_size: dict[str, float],
    *,
    min_coverage: dict[str, float] | None = None,
) -> Allocation:
    """Which segments get which option: a linear programme over (segment, option)."""
    options = inputs.options
    names = sorted(segment_gain)
    k = len(options)
    c = -np.concatenate([segment_gain[s] for s in names])
    cost_row = np.tile([o.cost_per_client for o in options], len(names))
    a_ub = [cost_row]
    b_ub = [inputs.decision.budget]
    for j, option in enumerate(options):
        if option.capacity:
            row = np.zeros(len(c))
            row[j::k] = 1
            a_ub.append(row)
            b_ub.append(option.capacity)
    for i, name in enumerate(names):
        row = np.zeros(len(c))
        row[i * k : (i + 1) * k] = 1
        a_ub.append(row)
        b_ub.append(segment_size[name])
        minimum = (min_coverage or {}).get(name)
        if minimum:
            a_ub.append(-row)
            b_ub.append(-minimum * segment_size[name])
    solved = linprog(c, A_ub=np.array(a_ub), b_ub=b_ub, bounds=[(0, None)] * len(c), method="highs")
    if not solved.success:
        raise NotEstimableError(f"targeting has no solution: {solved.message}")
    rows = tuple(
        (name, options[j].id, float(solved.x[i * k + j]), float(segment_gain[name][j]))
        for i, name in enumerate(names)
        for j in range(k)
        if solved.x[i * k + j] > 1e-6
    )
    return Allocation(rows, float(-solved.fun), float(cost_row @ solved.x))
