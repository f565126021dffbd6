"""Graphs for the library API: a theory, a networkx DiGraph, or DAGitty text, as one DiGraph.

DAGitty (dagitty.net) is how many evaluators already draw their causal graphs. This reads
the part of its language a causal graph needs: ``dag { ... }`` with statements such as
``a -> b``, chains ``a -> b <- c``, ``x <-> y`` (an unmeasured common cause of both) and
node attributes ``u [latent]`` (also ``[unobserved]``), ``t [exposure]``, ``y [outcome]``;
positions (``[pos="1,2"]``) are ignored. ``to_dagitty`` writes a theory in the same
language and ``theory_from_dagitty`` reads one back into a theory (kinds from the roles,
everything DAGitty cannot say kept from a base theory), so a graph drawn in DAGitty can be
brought in and a theory taken out to dagitty.net. Written by hand because the only Python package
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
                    elif name in ("exposure", "outcome"):
                        graph.nodes[previous]["role"] = name
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


def _dagitty_id(node_id: str) -> str:
    return node_id if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", node_id) else f'"{node_id}"'


def to_dagitty(theory: Theory) -> str:
    """The theory's graph as DAGitty text: interventions and service quality are
    exposures, outcomes are outcomes, unmeasured nodes are latent; one arrow a line."""
    lines = ["dag {"]
    for node in theory.nodes:
        attributes = []
        if node.kind in ("intervention", "service_quality"):
            attributes.append("exposure")
        elif node.kind == "outcome":
            attributes.append("outcome")
        if not node.measured:
            attributes.append("latent")
        shown = f" [{','.join(attributes)}]" if attributes else ""
        lines.append(f"{_dagitty_id(node.id)}{shown}")
    for edge in theory.edges:
        lines.append(f"{_dagitty_id(edge.source)} -> {_dagitty_id(edge.target)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _theory_id(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"n_{cleaned}"


def theory_from_dagitty(text: str, *, base: Theory | None = None) -> Theory:
    """A theory from DAGitty text. Nodes and arrows come from the text; a node or arrow
    the ``base`` theory already has keeps its kind, label, measure and assumption there.
    A new node's kind follows its role: exposure -> intervention, outcome -> outcome,
    otherwise context when nothing points at it and mediator when something does. A new
    observed node is measured by the client column of its own name (``theory check``
    says so if there is none); a latent one is unmeasured."""
    from decisionframe.theory.model import Edge, Measure, Node

    graph = parse_dagitty(text)
    ids = {str(n): _theory_id(str(n)) for n in graph.nodes}
    known = {n.id: n for n in base.nodes} if base is not None else {}
    nodes = []
    for name in nx.topological_sort(graph):
        node_id = ids[str(name)]
        if node_id in known:
            nodes.append(known[node_id])
            continue
        data = graph.nodes[name]
        role = data.get("role")
        kind = (
            "intervention"
            if role == "exposure"
            else "outcome"
            if role == "outcome"
            else ("mediator" if graph.in_degree(name) else "context")
        )
        nodes.append(
            Node(
                id=node_id,
                kind=kind,
                label="" if node_id == str(name) else str(name),
                measure=Measure() if data.get("measured", True) else None,
            )
        )
    if base is not None:  # keep the base theory's order for the nodes it has
        order = {n.id: i for i, n in enumerate(base.nodes)}
        nodes.sort(key=lambda n: order.get(n.id, len(order)))
    old_edges = {(e.source, e.target): e for e in base.edges} if base is not None else {}
    edges = []
    for a, b in graph.edges:
        pair = (ids[str(a)], ids[str(b)])
        edges.append(old_edges.get(pair) or Edge.model_validate({"from": pair[0], "to": pair[1]}))
    if base is not None:
        edge_order = {(e.source, e.target): i for i, e in enumerate(base.edges)}
        edges.sort(key=lambda e: edge_order.get((e.source, e.target), len(edge_order)))
    fields = {} if base is None else base.model_dump(exclude={"nodes", "edges"})
    return Theory.model_validate({**fields, "nodes": nodes, "edges": edges})
