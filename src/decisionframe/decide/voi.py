"""Value of information: what resolving each uncertain effect is worth to the decision."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from decisionframe.decide.evaluate import expected_value_of_perfect_information, gains
from decisionframe.decide.inputs import DecisionInputs

P_CORRECT_TARGET = 0.9
_MAX_EXTRA_CLIENTS = 10_000_000


@dataclass(frozen=True)
class MeasureNext:
    node: str
    edge: str
    evppi: float  # expected outcomes gained by knowing this effect exactly
    collect: str
    extra_clients: int | None  # for a 90% chance of choosing right; None: not computable


def evppi(inputs: DecisionInputs, theta: dict[str, np.ndarray], node: str) -> float:
    """Partial EVPI of one effect. Gains are linear in the effects, so E[gain | this effect]
    is the gain with every other effect at its posterior mean; exact, no nested loop."""
    conditional = {
        k: (v if k == node else np.full_like(v, inputs.effects[k].mean)) for k, v in theta.items()
    }
    g = gains(inputs, conditional)
    return max(0.0, float(g.max(axis=1).mean() - g.mean(axis=0).max()))


def extra_clients_needed(inputs: DecisionInputs, theta: dict[str, np.ndarray]) -> int | None:
    """More clients (per estimated effect) for a 90% chance of choosing the best option.

    The gain difference between the two leading options is linear in the effects; its
    posterior sd shrinks as each effect's standard error shrinks with sqrt(n_now / (n_now +
    n_more)). None when the two options are (nearly) equal in expectation.
    """
    g = gains(inputs, theta)
    order = np.argsort(g.mean(axis=0))[::-1]
    if len(order) < 2:
        return None
    diff = g[:, order[0]] - g[:, order[1]]
    mean = float(diff.mean())
    if abs(mean) < 1e-9:
        return None
    # sensitivity of the difference to each effect (exact: the difference is linear)
    slopes = {}
    for node, values in theta.items():
        centred = values - values.mean()
        slopes[node] = float((centred @ (diff - diff.mean())) / (centred @ centred))
    z = float(stats.norm.ppf(P_CORRECT_TARGET))

    def sd_after(extra: float) -> float:
        return float(
            np.sqrt(
                sum(
                    (slopes[k] * e.sd) ** 2 * e.n_used / (e.n_used + extra)
                    for k, e in inputs.effects.items()
                )
            )
        )

    if abs(mean) / max(sd_after(0), 1e-12) >= z:
        return 0
    if abs(mean) / max(sd_after(_MAX_EXTRA_CLIENTS), 1e-12) < z:
        return None
    low, high = 0.0, float(_MAX_EXTRA_CLIENTS)
    while high - low > 1:
        mid = (low + high) / 2
        low, high = (low, mid) if abs(mean) / sd_after(mid) >= z else (mid, high)
    return int(np.ceil(high))


def measure_next(
    inputs: DecisionInputs, theta: dict[str, np.ndarray], collect: dict[str, str]
) -> tuple[float, tuple[MeasureNext, ...]]:
    """EVPI and the ranked 'measure next' list."""
    total = expected_value_of_perfect_information(gains(inputs, theta))
    extra = extra_clients_needed(inputs, theta)
    items = [
        MeasureNext(
            node,
            inputs.effects[node].edge,
            evppi(inputs, theta, node),
            collect.get(node, f"more clients with {node} and the outcome measured"),
            extra,
        )
        for node in theta
    ]
    return total, tuple(sorted(items, key=lambda m: m.evppi, reverse=True))


@dataclass(frozen=True)
class SettleAssumption:
    """An inconclusive assumption and how many more clients would settle it."""

    edge: str
    claim: str
    estimate: float
    se: float
    n_used: int
    min_effect: float
    extra_clients: int | None
    goal: str

    def sentence(self) -> str:
        if self.extra_clients is None:
            return f"{self.claim}: more clients cannot settle it at this precision"
        return f"{self.claim}: about {self.extra_clients:,} more clients {self.goal}"


def clients_to_settle(
    estimate: float, se: float, n_used: int, min_effect: float, *, z: float = 1.96
) -> tuple[int | None, str]:
    """More clients for the 95% interval to exclude 0, or to lie within +-min_effect.

    Standard errors shrink with sqrt(n); the estimate is assumed to stay where it is (a
    planning figure, not a promise).
    """
    if n_used <= 0 or not np.isfinite(se) or se <= 0:
        return None, ""
    options: list[tuple[float, str]] = []
    if abs(estimate) > 0:
        options.append((n_used * (z * se / abs(estimate)) ** 2, "to show the effect is real"))
    if abs(estimate) < min_effect:
        options.append(
            (
                n_used * (z * se / (min_effect - abs(estimate))) ** 2,
                f"to show any effect is smaller than {min_effect:g}",
            )
        )
    if not options:
        return None, ""
    total, goal = min(options)
    return max(0, int(np.ceil(total - n_used))), goal
