"""Identification of every assumption edge from the graph, with networkx d-separation.

Back-door first (the smallest valid adjustment set of measured nodes, never a descendant of
the cause, so mediators are not adjusted for when the total effect is asked), then
front-door, then an instrumental variable; otherwise "not identifiable", naming the
unmeasured nodes that would have to be measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import ClassVar, Literal

import networkx as nx

from decisionframe.results import Result
from decisionframe.theory.graph import causal_graph
from decisionframe.theory.model import Theory

Strategy = Literal["backdoor", "frontdoor", "iv", "none"]
_EXHAUSTIVE_LIMIT = 18  # search for the *smallest* set only over this many candidates


@dataclass(frozen=True)
class Identification(Result):
    """How (and whether) the effect of ``treatment`` on ``outcome`` can be identified."""

    kind: ClassVar[str] = "identification"

    treatment: str
    outcome: str
    strategy: Strategy
    adjustment_set: tuple[str, ...] = ()
    mediators: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    to_measure: tuple[str, ...] = ()
    explanation: str = ""

    @property
    def identified(self) -> bool:
        return self.strategy != "none"

    def summary(self) -> str:
        return f"{self.treatment} -> {self.outcome}: {self.explanation}"


def _backdoor_graph(graph: nx.DiGraph, treatment: str) -> nx.DiGraph:
    cut = graph.copy()
    cut.remove_edges_from(list(graph.out_edges(treatment)))
    return cut


def _smallest_separator(graph: nx.DiGraph, x: str, y: str, candidates: set[str]) -> set[str] | None:
    found = nx.find_minimal_d_separator(graph, x, y, restricted=candidates)
    if found is None:
        return None
    minimal = {str(n) for n in found}
    if len(candidates) > _EXHAUSTIVE_LIMIT:
        return minimal
    # networkx gives *a* minimal set; the smallest is found by trying smaller ones first.
    for size in range(len(minimal)):
        for combo in combinations(sorted(candidates), size):
            if nx.is_d_separator(graph, {x}, {y}, set(combo)):
                return set(combo)
    return minimal


def _frontdoor(graph: nx.DiGraph, t: str, y: str, measured: set[str]) -> tuple[str, ...]:
    # Nodes on some directed path t -> y: descendants of t that are ancestors of y (in a
    # DAG each such node lies on one). Linear in the graph; enumerating every simple
    # path (the old way) never finished on a 51-node layered theory (#13 item 9).
    on_paths = nx.descendants(graph, t) & nx.ancestors(graph, y)
    if not on_paths or not on_paths <= measured:
        return ()
    without = graph.copy()
    without.remove_nodes_from(on_paths)
    if nx.has_path(without, t, y):
        return ()
    cut_t = _backdoor_graph(graph, t)
    if not all(nx.is_d_separator(cut_t, {t}, {m}, set()) for m in on_paths):
        return ()
    cut_m = graph.copy()
    cut_m.remove_edges_from([e for m in on_paths for e in graph.out_edges(m)])
    if not nx.is_d_separator(cut_m, on_paths, {y}, {t}):
        return ()
    return tuple(sorted(on_paths))


def _instruments(graph: nx.DiGraph, t: str, y: str, measured: set[str]) -> tuple[str, ...]:
    cut_t = _backdoor_graph(graph, t)
    found = []
    for z in sorted((measured & nx.ancestors(graph, t)) - {y}):
        if not nx.has_path(graph, y, z) and nx.is_d_separator(cut_t, {z}, {y}, set()):
            found.append(z)
    return tuple(found)


def identify_effect(theory: Theory, treatment: str, outcome: str) -> Identification:
    """Identify the total effect of ``treatment`` on ``outcome`` in the theory's graph."""
    return identify_in_graph(causal_graph(theory), treatment, outcome, theory.measured)


def identify_in_graph(
    graph: nx.DiGraph, treatment: str, outcome: str, measured: set[str]
) -> Identification:
    """Identify the total effect in any causal DAG, given which nodes are measured."""
    missing_ends = [n for n in (treatment, outcome) if n not in measured]
    if missing_ends:
        return Identification(
            treatment,
            outcome,
            "none",
            to_measure=tuple(missing_ends),
            explanation=f"not identifiable: {', '.join(missing_ends)} not measured",
        )
    descendants = nx.descendants(graph, treatment)
    cut = _backdoor_graph(graph, treatment)
    allowed = set(graph.nodes) - descendants - {treatment, outcome}
    adjustment = _smallest_separator(cut, treatment, outcome, allowed & measured)
    if adjustment is not None:
        shown = ", ".join(sorted(adjustment)) or "nothing (no back-door path)"
        return Identification(
            treatment,
            outcome,
            "backdoor",
            adjustment_set=tuple(sorted(adjustment)),
            explanation=f"back-door: adjust for {shown}",
        )
    needed = _smallest_separator(cut, treatment, outcome, allowed) or set()
    to_measure = tuple(sorted(needed - measured))
    mediators = _frontdoor(graph, treatment, outcome, measured)
    if mediators:
        return Identification(
            treatment,
            outcome,
            "frontdoor",
            mediators=mediators,
            to_measure=to_measure,
            explanation=f"front-door through {', '.join(mediators)}",
        )
    instruments = _instruments(graph, treatment, outcome, measured)
    if instruments:
        return Identification(
            treatment,
            outcome,
            "iv",
            instruments=instruments,
            to_measure=to_measure,
            explanation=f"instrumental variable: {', '.join(instruments)}",
        )
    return Identification(
        treatment,
        outcome,
        "none",
        to_measure=to_measure,
        explanation="not identifiable: confounding through unmeasured "
        f"{', '.join(to_measure) or 'causes'} cannot be blocked",
    )


def identify_all(theory: Theory) -> list[Identification]:
    """One identification per assumption edge, in theory order."""
    return [identify_effect(theory, e.source, e.target) for e in theory.assumption_edges]
