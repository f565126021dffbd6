"""The theory as a networkx DiGraph, and the graph questions the checks and plans ask."""

from __future__ import annotations

import networkx as nx

from decisionframe.theory.model import Theory


def causal_graph(theory: Theory) -> nx.DiGraph:
    """Nodes carry ``kind`` and ``measured``; only edges between known nodes are added."""
    graph = nx.DiGraph()
    for node in theory.nodes:
        graph.add_node(node.id, kind=node.kind, measured=node.measured)
    known = set(theory.node_ids)
    for edge in theory.edges:
        if edge.source in known and edge.target in known:
            graph.add_edge(edge.source, edge.target, assumption=edge.assumption is not None)
    return graph


def nodes_on_paths_to_outcomes(graph: nx.DiGraph) -> set[str]:
    """Nodes with a directed path to some outcome node (outcomes included)."""
    outcomes = {n for n, kind in graph.nodes(data="kind") if kind == "outcome"}
    relevant = set(outcomes)
    for outcome in outcomes:
        relevant |= nx.ancestors(graph, outcome)
    return relevant
