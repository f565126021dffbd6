"""Value of information: what resolving each uncertain effect is worth to the decision."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from decisionframe.decide.evaluate import expected_value_of_perfect_information, gains
from decisionframe.decide.inputs import DecisionInputs
from decisionframe.numbers import sig

P_CORRECT_TARGET = 0.9
_MAX_EXTRA_CLIENTS = 10_000_000
YEARS_CAP = 10  # beyond this many years of enrolments a sample size is no plan


def clients_words(
    extra: int | None, *, goal: str, per_year: float | None, analysed: int | None = None
) -> str:
    """How many more clients, said one way everywhere (CLI, report, app).

    'about 5,600 more clients to show the effect is real' (two significant figures: it is a
    planning figure resting on today's estimate); past ``YEARS_CAP`` years of enrolments,
    'more clients than you serve in 10 years ...', since a count like 79,723 is no plan a
    director can act on; without enrolment dates the cap is 100 times the clients analysed.
    ``extra`` None: more clients on this alone cannot get there; 0: it is there already.
    """
    if extra is None:
        return f"measuring this alone is not enough {goal}"
    if extra == 0:
        return f"none needed {goal}"
    if per_year and extra > YEARS_CAP * per_year:
        return f"more clients than you serve in {YEARS_CAP} years {goal}"
    if not per_year and analysed and extra > 100 * analysed:
        return f"more than 100 times the {analysed:,} clients analysed {goal}"
    return f"about {sig(extra)} more clients {goal}"


CHOICE_GOAL = "for a choice that is 90% sure"


@dataclass(frozen=True)
class MeasureNext:
    node: str
    edge: str
    evppi: float  # expected outcomes gained by knowing this effect exactly
    collect: str
    # more clients on this lever's effect alone for a 90% chance of choosing right (0:
    # already; None: the other effects' uncertainty alone keeps it below 90%)
    extra_clients: int | None


def evppi(inputs: DecisionInputs, theta: dict[str, np.ndarray], node: str) -> float:
    """Partial EVPI of one effect. Gains are linear in the effects, so E[gain | this effect]
    is the gain with every other effect at its posterior mean; exact, no nested loop."""
    conditional = {
        k: (v if k == node else np.full_like(v, inputs.effects[k].mean)) for k, v in theta.items()
    }
    g = gains(inputs, conditional)
    return max(0.0, float(g.max(axis=1).mean() - g.mean(axis=0).max()))


def extra_clients_needed(
    inputs: DecisionInputs, theta: dict[str, np.ndarray]
) -> tuple[dict[str, int | None], int | None]:
    """More clients, per lever and on every lever together, for a 90% chance of choosing
    the best option.

    The gain difference between the two leading options is linear in the effects, with a
    slope per effect; its posterior sd is the root sum of (slope x sd) squared. Measuring
    one lever's effect on more clients shrinks only that effect's sd, by sqrt(n_now /
    (n_now + n_more)), so each lever has its own answer: a lever the choice barely depends
    on (small slope) or already known well (small sd) needs more clients, or cannot get
    there at all while the other effects stay as uncertain (None). The answer is 0 for
    every lever when the choice is already 90% sure, None for every lever when the two
    options are (nearly) equal in expectation. The second figure shrinks every effect's sd
    at once: what new clients with every lever measured give.
    """
    g = gains(inputs, theta)
    order = np.argsort(g.mean(axis=0))[::-1]
    if len(order) < 2:
        return dict.fromkeys(theta), None
    diff = g[:, order[0]] - g[:, order[1]]
    mean = float(diff.mean())
    if abs(mean) < 1e-9:
        return dict.fromkeys(theta), None
    # sensitivity of the difference to each effect (exact: the difference is linear)
    slopes = {}
    for node, values in theta.items():
        centred = values - values.mean()
        denom = float(centred @ centred)
        slopes[node] = float((centred @ (diff - diff.mean())) / denom) if denom > 0 else 0.0
    z = float(stats.norm.ppf(P_CORRECT_TARGET))
    variance = {k: (slopes[k] * e.sd) ** 2 for k, e in inputs.effects.items() if k in slopes}

    def sd_after(node: str | None, extra: float) -> float:
        """The difference's sd with ``extra`` more clients on ``node`` (None: on every
        effect at once, as new clients with every lever measured give)."""
        total = 0.0
        for k, v in variance.items():
            if node is None or k == node:
                n = inputs.effects[k].n_used
                v = v * (n / (n + extra) if n + extra > 0 else 0.0)
            total += v
        return float(np.sqrt(total))

    def solve(node: str | None) -> int | None:
        if abs(mean) / max(sd_after(node, 0), 1e-12) >= z:
            return 0
        if abs(mean) / max(sd_after(node, _MAX_EXTRA_CLIENTS), 1e-12) < z:
            return None
        low, high = 0.0, float(_MAX_EXTRA_CLIENTS)
        while high - low > 1:
            mid = (low + high) / 2
            low, high = (low, mid) if abs(mean) / sd_after(node, mid) >= z else (mid, high)
        return int(np.ceil(high))

    return {node: solve(node) for node in theta}, solve(None)


def measure_next(
    inputs: DecisionInputs, theta: dict[str, np.ndarray], collect: dict[str, str]
) -> tuple[float, tuple[MeasureNext, ...], int | None]:
    """EVPI, the ranked 'measure next' list and the clients needed with every lever
    measured together."""
    total = expected_value_of_perfect_information(gains(inputs, theta))
    extra, together = extra_clients_needed(inputs, theta)
    items = [
        MeasureNext(
            node,
            inputs.effects[node].edge,
            evppi(inputs, theta, node),
            collect.get(node, f"more clients with {node} and the outcome measured"),
            extra[node],
        )
        for node in theta
    ]
    return total, tuple(sorted(items, key=lambda m: m.evppi, reverse=True)), together


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

    def sentence(self, per_year: float | None = None) -> str:
        if self.extra_clients is None:
            return f"{self.claim}: more clients cannot settle it at this precision"
        words = clients_words(
            self.extra_clients, goal=self.goal, per_year=per_year, analysed=self.n_used
        )
        return f"{self.claim}: {words}"


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
                f"to show any effect is smaller than {sig(min_effect)}",
            )
        )
    if not options:
        return None, ""
    total, goal = min(options)
    return max(0, int(np.ceil(total - n_used))), goal
