"""Graphs for the library API: a theory, a networkx DiGraph, or DAGitty text, as one DiGraph.

DAGitty (dagitty.net) is how many evaluators already draw their causal graphs. This reads
the part of its language a causal graph needs: ``dag { ... }`` with statements such as
``a -> b``, chains ``a -> b <- c``, ``x <-> y`` (an unmeasured common cause of both) and
node attributes ``u [latent]`` (also ``[unobserved]``), ``t [exposure]``, ``y [outcome]``;
positions (``[pos="1,2"]``) are ignored. Written by hand because the only Python package
that reads DAGitty drags in R; this is the small subset we need, with located errors.
"""

from __future__ import annotations

import re
from typing import TypeAlias

import networkx as nx

from decisionframe.errors import Problem, TheoryError
from decisionframe.theory.graph import causal_graph
from decisionframe.theory.model import Theory

_ID = r'[A-Za-z_][A-Za-z0-9_.]*|"[^"]+"'
_TOKEN = re.compile(rf"\s*(<->|->|<-|--|\[[^\]]*\]|{_ID}|[;\n{{}}]|\S)")
_GRAPH_ATTRIBUTE = re.compile(r'^\s*\w+\s*=\s*"[^"]*"\s*$')
_ATTRIBUTE = re.compile(r"(\w+)(?:\s*=\s*\"[^\"]*\")?")

Graph: TypeAlias = Theory | nx.DiGraph | str


def _error(message: str, line: int | None, *, file: str = "<dagitty>") -> TheoryError:
    return TheoryError(
        "cannot read the graph",
        [
            Problem(
                file=file,
                line=line,
                rule="graph-syntax" if line else "graph-cycle",
                message=message,
                hint="write it as DAGitty does, e.g. `dag { a -> b; c -> a; c -> b }`",
            )
        ],
    )


def parse_dagitty(text: str) -> nx.DiGraph:
    """A DiGraph from DAGitty text; nodes carry ``measured`` (False for latent ones)."""
    body = text.strip()
    match = re.match(r"^(dag|graph)?\s*\{(.*)\}\s*$", body, re.S)
    if match is None:
        raise _error("expected `dag { ... }`", 1)
    inner = match.group(2)
    graph = nx.DiGraph()
    line = 1 + body[: match.start(2)].count("\n")
    latent_pairs = 0
    for statement_line, statement in _statements(inner, line):
        if _GRAPH_ATTRIBUTE.match(statement):
            continue  # e.g. bb="0,0,1,1": drawing hints
        tokens = [t for t in _TOKEN.findall(statement) if t.strip()]
        if not tokens:
            continue
        previous: str | None = None
        arrow: str | None = None
        for token in tokens:
            if token.startswith("["):
                if previous is None:
                    raise _error(f"attribute {token} belongs to no node", statement_line)
                for name in _ATTRIBUTE.findall(token[1:-1]):
                    if name in ("latent", "unobserved"):
                        graph.nodes[previous]["measured"] = False
                continue
            if token in ("->", "<-", "<->", "--"):
                if previous is None or arrow is not None:
                    raise _error(f"arrow {token} needs a node on each side", statement_line)
                if token == "--":
                    raise _error("undirected edges (--) are not causal claims", statement_line)
                arrow = token
                continue
            if not re.fullmatch(_ID, token):
                raise _error(f"unexpected {token!r}", statement_line)
            node = token.strip('"')
            if node not in graph:
                graph.add_node(node, measured=True)
            if arrow is not None and previous is not None:
                if arrow == "->":
                    graph.add_edge(previous, node)
                elif arrow == "<-":
                    graph.add_edge(node, previous)
                else:  # a <-> b: an unmeasured common cause of both
                    latent_pairs += 1
                    u = f"U{latent_pairs}_{previous}_{node}"
                    graph.add_node(u, measured=False)
                    graph.add_edge(u, previous)
                    graph.add_edge(u, node)
                arrow = None
            previous = node
        if arrow is not None:
            raise _error(f"arrow {arrow} has no node after it", statement_line)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = " -> ".join(str(a) for a, _ in nx.find_cycle(graph))
        raise _error(f"the graph has a cycle ({cycle}); a causal graph cannot", line)
    return graph


def _statements(inner: str, first_line: int) -> list[tuple[int, str]]:
    """Statements split on newlines and semicolons, each with its line number."""
    out = []
    for offset, text in enumerate(inner.split("\n")):
        for part in text.split(";"):
            if part.strip():
                out.append((first_line + offset, part))
    return out


def as_digraph(graph: Graph) -> nx.DiGraph:
    """A theory, a networkx DiGraph or DAGitty text as one DiGraph (``measured`` per node).

    A networkx node is measured unless it has ``measured=False`` or ``latent=True``.
    """
    if isinstance(graph, Theory):
        return causal_graph(graph)
    if isinstance(graph, str):
        return parse_dagitty(graph)
    if isinstance(graph, nx.DiGraph):
        out = nx.DiGraph()
        for node, data in graph.nodes(data=True):
            measured = bool(data.get("measured", True)) and not data.get("latent", False)
            out.add_node(str(node), measured=measured)
        out.add_edges_from((str(a), str(b)) for a, b in graph.edges)
        if not nx.is_directed_acyclic_graph(out):
            cycle = " -> ".join(str(a) for a, _ in nx.find_cycle(out))
            raise _error(
                f"the graph has a cycle ({cycle}); a causal graph cannot",
                None,
                file="<networkx graph>",
            )
        return out
    raise TypeError(f"a graph must be a Theory, a networkx DiGraph or DAGitty text, not {graph!r}")
