"""DAGitty text and networkx graphs as the library API's graph."""

from __future__ import annotations

import networkx as nx
import pytest

from decisionframe.errors import TheoryError
from decisionframe.theory.dagitty import as_digraph, parse_dagitty


def test_dagitty_statements_chains_and_latent_nodes() -> None:
    graph = parse_dagitty(
        """dag {
          bb="0,0,1,1"
          u [latent,pos="0.1,0.2"]
          t [exposure]; y [outcome]
          u -> t -> y <- z
          a <-> y
        }"""
    )
    assert set(graph.edges) >= {("u", "t"), ("t", "y"), ("z", "y")}
    assert graph.nodes["u"]["measured"] is False
    assert graph.nodes["t"]["measured"] is True
    latent = [n for n in graph if str(n).startswith("U1_")]
    assert len(latent) == 1
    assert set(graph.successors(latent[0])) == {"a", "y"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a -> b", "expected `dag"),
        ("dag { a -> }", "no node after it"),
        ("dag { a -> b -> a }", "cycle"),
        ("dag { a -- b }", "undirected"),
    ],
)
def test_bad_dagitty_is_a_located_error(text: str, message: str) -> None:
    with pytest.raises(TheoryError, match=message):
        parse_dagitty(text)


def test_networkx_latent_nodes_are_unmeasured() -> None:
    graph = nx.DiGraph([("u", "t"), ("u", "y"), ("t", "y")])
    graph.nodes["u"]["latent"] = True
    assert as_digraph(graph).nodes["u"]["measured"] is False
    with pytest.raises(TheoryError, match="cycle"):
        as_digraph(nx.DiGraph([("a", "b"), ("b", "a")]))
