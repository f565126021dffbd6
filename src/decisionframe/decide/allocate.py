"""The budget frontier between two options, and the budget split and targeting linear
programmes in the (segment, option) form the tests and notebooks read (one programme,
``plans.best_allocation``, solves both)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisionframe.decide.evaluate import gain_per_client, served
from decisionframe.decide.inputs import DecisionInputs
from decisionframe.decide.plans import ALL_CLIENTS, best_allocation


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


def frontier_clients(
    inputs: DecisionInputs, share: float, *, cheap: int, better: int
) -> tuple[float, float]:
    """(cheap, better) clients when ``share`` of the budget goes to the better option.

    The better option's share buys its clients first (up to its capacity and the
    population); the rest of the budget serves the clients left with the cheap option. No
    client is counted twice: the two never add up to more than the population.
    """
    budget = inputs.decision.budget
    n_better = served(inputs, inputs.options[better], budget * share)
    n_cheap = served(inputs, inputs.options[cheap], budget * (1 - share))
    return min(n_cheap, float(inputs.population) - n_better), n_better


def frontier(
    inputs: DecisionInputs,
    theta: dict[str, np.ndarray],
    *,
    cheap: int,
    better: int,
    steps: int = 21,
) -> tuple[FrontierPoint, ...]:
    """Outcomes gained as the budget share on the better option goes from 0 to 1."""
    per_client = gain_per_client(inputs, theta)
    points = []
    for share in np.linspace(0.0, 1.0, steps):
        n_cheap, n_better = frontier_clients(inputs, float(share), cheap=cheap, better=better)
        total = n_cheap * per_client[:, cheap] + n_better * per_client[:, better]
        points.append(
            FrontierPoint(
                float(share),
                float(total.mean()),
                float(np.percentile(total, 5)),
                float(np.percentile(total, 95)),
            )
        )
    return tuple(points)


def _rows(
    inputs: DecisionInputs, names: list[str], clients: np.ndarray, gain: np.ndarray
) -> Allocation:
    cost = np.array([o.cost_per_client for o in inputs.options])
    rows = tuple(
        (name, option.id, float(clients[i, j]), float(gain[i, j]))
        for i, name in enumerate(names)
        for j, option in enumerate(inputs.options)
        if clients[i, j] > 0
    )
    return Allocation(rows, float((clients * gain).sum()), float((clients @ cost).sum()))


def optimal_split(inputs: DecisionInputs, gain_per_client: np.ndarray) -> Allocation:
    """Maximize expected outcomes gained: clients per option, within budget, capacities and
    the population."""
    gain = np.asarray(gain_per_client, dtype=float)[None, :]
    sizes = np.array([float(inputs.population)])
    clients = best_allocation(inputs, gain, sizes, segments=(ALL_CLIENTS,))
    return _rows(inputs, [ALL_CLIENTS], clients, gain)


def targeting(
    inputs: DecisionInputs,
    segment_gain: dict[str, np.ndarray],
    segment_size: dict[str, float],
    *,
    min_coverage: dict[str, float] | None = None,
) -> Allocation:
    """Which segments get which option: within budget, capacities and segment sizes."""
    names = sorted(segment_gain)
    gain = np.array([segment_gain[s] for s in names], dtype=float)
    sizes = np.array([float(segment_size[s]) for s in names])
    clients = best_allocation(inputs, gain, sizes, segments=tuple(names), min_coverage=min_coverage)
    return _rows(inputs, names, clients, gain)
