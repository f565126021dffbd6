"""Diagnostics that name the variable: what is wrong or worth knowing about a theory's graph.

``theory check`` and the browser editor ask the same questions of a theory and word the
answers the same way. Two entry points:

- ``graph_diagnostics(theory)``: for a theory that parses and has no cycle, the graph
  questions (no path from an intervention to an outcome, mediators, colliders, descendants
  of the outcome, how each assumption is identified), each naming its nodes;
- ``check_draft(data, catalogue=...)``: for anything the editor sends, valid or not: the
  parse and structure problems ``load_theory`` would raise (as error diagnostics, with the
  nodes they concern), the measure problems against the store's columns, and, once the
  graph is a DAG, the graph diagnostics. Nothing raises for a bad draft: a draft is being
  edited, and every problem is an answer to show.

Why these checks: the commonest mistakes in hand-drawn causal graphs are "adjusting for
everything" (mediators, colliders and consequences of the outcome bias an estimate rather
than clean it) and arrows that lead nowhere. Saying which variable and why, in the
theory's words, is what a teaching tool does and a bare adjustment set does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import networkx as nx
from pydantic import ValidationError

from decisionframe.config import problems_from_validation
from decisionframe.errors import Problem
from decisionframe.results import Result
from decisionframe.theory.bindings import check_bindings_in
from decisionframe.theory.graph import causal_graph
from decisionframe.theory.identify import Identification, identify_in_graph
from decisionframe.theory.load import check_structure
from decisionframe.theory.model import Edge, Theory
from decisionframe.yamlfile import LocatedYaml

Severity = Literal["error", "warning", "info"]
_ACTIONABLE = ("intervention", "service_quality")


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a rule id, how serious, the sentence, a hint, and what it concerns.

    ``nodes`` and ``edges`` ("a -> b") are what an editor highlights; ``where`` is the key
    path in theory.yaml ("edges.3", "nodes.1.measure") when the finding is about one entry.
    """

    rule: str
    severity: Severity
    message: str
    hint: str = ""
    nodes: tuple[str, ...] = ()
    edges: tuple[str, ...] = ()
    where: str = ""


@dataclass(frozen=True)
class TheoryDiagnosis(Result):
    """Every diagnostic of a (draft) theory and, when its graph is a DAG, how each
    assumption is identified. ``valid`` says it could be saved: no error diagnostics."""

    kind: ClassVar[str] = "theory-diagnosis"

    diagnostics: tuple[Diagnostic, ...]
    identifications: tuple[Identification, ...] = ()

    @property
    def valid(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    def summary(self) -> str:
        counts = {s: sum(d.severity == s for d in self.diagnostics) for s in ("error", "warning")}
        ok = sum(i.identified for i in self.identifications)
        head = "theory can be saved" if self.valid else f"{counts['error']} error(s)"
        return (
            f"{head}; {counts['warning']} warning(s); {ok} of {len(self.identifications)} "
            "assumptions identifiable"
        )


def _edge_label(edge: Edge) -> str:
    return f"{edge.source} -> {edge.target}"


def graph_diagnostics(
    theory: Theory, identifications: list[Identification] | None = None
) -> list[Diagnostic]:
    """The graph questions of a theory that has no cycle (see the module docstring)."""
    graph = causal_graph(theory)
    found = _connection_diagnostics(theory, graph)
    by_edge = {(i.treatment, i.outcome): i for i in identifications or []}
    for edge in theory.assumption_edges:
        if edge.source not in graph or edge.target not in graph:
            continue
        ident = by_edge.get((edge.source, edge.target)) or identify_in_graph(
            graph, edge.source, edge.target, theory.measured
        )
        found += _assumption_diagnostics(theory, graph, edge, ident)
    return found


def _connection_diagnostics(theory: Theory, graph: nx.DiGraph) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    outcomes = [n.id for n in theory.nodes if n.kind == "outcome"]
    if not outcomes:
        found.append(
            Diagnostic(
                "theory-no-outcome",
                "warning",
                "the theory has no outcome: nothing says what the work is for",
                "add a node of kind outcome (for example stably housed at six months)",
            )
        )
    for node in theory.nodes:
        if graph.degree(node.id) == 0 and len(theory.nodes) > 1:
            found.append(
                Diagnostic(
                    "theory-isolated",
                    "warning",
                    f"'{node.id}' has no arrows: it takes no part in the theory",
                    "connect it with an arrow, or remove it",
                    nodes=(node.id,),
                )
            )
            continue
        if node.kind in _ACTIONABLE and outcomes:
            reached = nx.descendants(graph, node.id) & set(outcomes)
            if not reached:
                found.append(
                    Diagnostic(
                        "theory-no-path",
                        "warning",
                        f"no path of arrows leads from {node.kind.replace('_', ' ')} "
                        f"'{node.id}' to any outcome",
                        "add the arrow(s) through which it is meant to change an outcome",
                        nodes=(node.id,),
                    )
                )
    for outcome in outcomes:
        causes = {a for a in nx.ancestors(graph, outcome) if graph.nodes[a]["kind"] in _ACTIONABLE}
        if not causes and graph.degree(outcome) > 0:
            found.append(
                Diagnostic(
                    "theory-outcome-unreached",
                    "warning",
                    f"no intervention or service quality leads to outcome '{outcome}'",
                    "draw the arrows from what you do to this outcome",
                    nodes=(outcome,),
                )
            )
    return found


def _assumption_diagnostics(
    theory: Theory, graph: nx.DiGraph, edge: Edge, ident: Identification
) -> list[Diagnostic]:
    t, y = edge.source, edge.target
    label = _edge_label(edge)
    found = [_identification_diagnostic(edge, ident)]
    mediators = sorted(nx.descendants(graph, t) & nx.ancestors(graph, y))
    for m in mediators:
        path = nx.shortest_path(graph, t, m)[:-1] + nx.shortest_path(graph, m, y)
        found.append(
            Diagnostic(
                "theory-mediator",
                "info",
                f"adjusting for '{m}' would block part of the effect of '{t}' on '{y}': it is "
                f"a mediator ({' -> '.join(path)}). The estimate of {label} is the total "
                f"effect, the part through '{m}' included",
                "do not adjust for it; to test the direct arrow alone, say so in the claim",
                nodes=(m,),
                edges=(label,),
            )
        )
    for d in sorted(nx.descendants(graph, y)):
        found.append(
            Diagnostic(
                "theory-outcome-descendant",
                "info",
                f"'{d}' is caused by the outcome '{y}': adjusting for it when estimating "
                f"{label} would bias the estimate",
                "never adjust for a consequence of the outcome",
                nodes=(d,),
                edges=(label,),
            )
        )
    if ident.strategy == "backdoor":
        found += _bad_controls(graph, theory, edge, set(ident.adjustment_set))
    return found


def _identification_diagnostic(edge: Edge, ident: Identification) -> Diagnostic:
    label = _edge_label(edge)
    if ident.identified:
        through = ident.adjustment_set or ident.mediators or ident.instruments
        return Diagnostic(
            f"identify-{ident.strategy}",
            "info",
            f"{label}: {ident.explanation}",
            "",
            nodes=tuple(through),
            edges=(label,),
        )
    return Diagnostic(
        "identify-none",
        "warning",
        f"{label} cannot be estimated from the data: {ident.explanation}",
        f"measure {', '.join(repr(n) for n in ident.to_measure)}"
        if ident.to_measure
        else "measure the common causes of the two, or find an instrument",
        nodes=ident.to_measure,
        edges=(label,),
    )


def _bad_controls(
    graph: nx.DiGraph, theory: Theory, edge: Edge, adjustment: set[str]
) -> list[Diagnostic]:
    """Measured pre-treatment nodes whose adjustment would open a non-causal path."""
    t, y = edge.source, edge.target
    cut = graph.copy()
    cut.remove_edges_from(list(graph.out_edges(t)))
    descendants = nx.descendants(graph, t) | nx.descendants(graph, y)
    found = []
    for c in sorted(theory.measured - adjustment - descendants - {t, y}):
        if nx.is_d_separator(cut, {t}, {y}, adjustment | {c}):
            continue
        collider = _nearest_collider(graph, c)
        if collider is None:
            continue
        parents = sorted(graph.predecessors(collider))
        of = f"a common effect of {' and '.join(repr(p) for p in parents[:3])}"
        what = (
            f"it is a collider ({of})"
            if collider == c
            else f"it is caused by the collider '{collider}' ({of})"
        )
        found.append(
            Diagnostic(
                "theory-collider",
                "warning" if c in adjustment else "info",
                f"adjusting for '{c}' when estimating {_edge_label(edge)} would open a "
                f"non-causal path between '{t}' and '{y}': {what}",
                "leave it out of the adjustment; the identified set already blocks every "
                "back-door path",
                nodes=(c,),
                edges=(_edge_label(edge),),
            )
        )
    return found


def _nearest_collider(graph: nx.DiGraph, node: str) -> str | None:
    """The node itself if it has two or more parents, else its nearest such ancestor."""
    reverse = graph.reverse(copy=False)
    for candidate in nx.bfs_tree(reverse, node):
        if graph.in_degree(candidate) >= 2:
            return str(candidate)
    return None


def _nodes_of(data: dict[str, Any], column: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The nodes and edges a problem's key path ("edges.3.from", "nodes.1") points at."""
    parts = (column or "").split(".")
    if len(parts) < 2 or not parts[1].isdigit():
        if len(parts) >= 2 and parts[0] == "nodes":
            return (parts[1],), ()
        return (), ()
    index = int(parts[1])
    items = data.get(parts[0])
    if not isinstance(items, list) or index >= len(items) or not isinstance(items[index], dict):
        return (), ()
    item = items[index]
    if parts[0] == "nodes":
        return ((str(item["id"]),) if "id" in item else ()), ()
    if parts[0] == "edges":
        ends = tuple(str(item[k]) for k in ("from", "to") if k in item)
        return ends, ((" -> ".join(ends),) if len(ends) == 2 else ())
    return (), ()


def _from_problems(data: dict[str, Any], problems: list[Problem]) -> list[Diagnostic]:
    out = []
    for p in problems:
        nodes, edges = _nodes_of(data, p.column)
        where = p.column or ""
        message = (
            p.message if not where or p.rule.startswith("theory-") else f"{where}: {p.message}"
        )
        out.append(Diagnostic(p.rule, "error", message, p.hint, nodes, edges, where))
    return out


def check_draft(
    data: Any,
    *,
    catalogue: dict[str, list[str]] | None = None,
    outcomes: list[str] | None = None,
) -> TheoryDiagnosis:
    """Diagnose a draft theory (the dict theory.yaml would hold); never raises for it.

    With ``catalogue`` (table -> columns, from ``store_catalogue``) and ``outcomes`` each
    measure is checked against the store, as ``theory check`` does when data is loaded.
    """
    if not isinstance(data, dict):
        return TheoryDiagnosis(
            (Diagnostic("theory-shape", "error", "a theory is a mapping with `nodes:`", ""),)
        )
    located = LocatedYaml(Path("theory.yaml"), data, {})
    try:
        theory = Theory.model_validate(data)
    except ValidationError as exc:
        return TheoryDiagnosis(tuple(_from_problems(data, problems_from_validation(exc, located))))
    problems = check_structure(theory, located)
    if catalogue is not None:
        problems += check_bindings_in(theory, located, catalogue, outcomes or [])
    found = _from_problems(data, problems)
    if any(p.rule == "theory-cycle" for p in problems):
        return TheoryDiagnosis(tuple(found))
    graph = causal_graph(theory)
    idents = [
        identify_in_graph(graph, e.source, e.target, theory.measured)
        for e in theory.assumption_edges
        if e.source in graph and e.target in graph
    ]
    found += graph_diagnostics(theory, idents)
    return TheoryDiagnosis(tuple(found), tuple(idents))


__all__ = ["Diagnostic", "TheoryDiagnosis", "check_draft", "graph_diagnostics"]
