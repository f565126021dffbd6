"""Identification against the simulator's true graph and analytic textbook graphs."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from decisionframe.theory import identify_all, identify_effect, load_theory
from decisionframe.theory.model import Theory


def _theory(nodes: dict[str, tuple[str, bool]], edges: list[tuple[str, str]]) -> Theory:
    return Theory.model_validate(
        {
            "nodes": [
                {"id": n, "kind": k, **({"measure": {"table": "clients"}} if m else {})}
                for n, (k, m) in nodes.items()
            ],
            "edges": [{"from": a, "to": b} for a, b in edges],
        }
    )


def test_simulator_theory_gets_the_true_adjustment_sets(project_dir: Path) -> None:
    theory = load_theory(project_dir / "theory.yaml")
    truth = json.loads((project_dir / "truth.json").read_text())
    expected = {e["from"]: tuple(e["adjustment_set"]) for e in truth["edges"]}
    found = {i.treatment: i.adjustment_set for i in identify_all(theory)}
    assert found == expected
    assert all(i.strategy == "backdoor" for i in identify_all(theory))


def test_deleting_a_confounders_measure_makes_the_edge_unidentifiable(project_dir: Path) -> None:
    path = project_dir / "theory.yaml"
    data = yaml.safe_load(path.read_text())
    for node in data["nodes"]:
        if node["id"] == "case_complexity":
            del node["measure"]
    path.write_text(yaml.safe_dump(data))
    result = {i.treatment: i for i in identify_all(load_theory(path))}
    assert result["respect"].strategy == "none"
    assert result["respect"].to_measure == ("case_complexity",)
    assert "case_complexity" in result["respect"].explanation


def test_mediator_is_never_adjusted_for_total_effect() -> None:
    theory = _theory(
        {
            "c": ("context", True),
            "t": ("service_quality", True),
            "m": ("mediator", True),
            "y": ("outcome", True),
        },
        [("c", "t"), ("c", "y"), ("t", "m"), ("m", "y"), ("t", "y"), ("c", "m")],
    )
    result = identify_effect(theory, "t", "y")
    assert result.adjustment_set == ("c",)


def test_smallest_set_is_chosen() -> None:
    # t <- a -> b -> y and t <- a2 -> b: {b} blocks both paths, {a, a2} also does.
    theory = _theory(
        {
            "a": ("context", True),
            "a2": ("context", True),
            "b": ("context", True),
            "t": ("intervention", True),
            "y": ("outcome", True),
        },
        [("a", "t"), ("a", "b"), ("a2", "t"), ("a2", "b"), ("b", "y"), ("t", "y")],
    )
    assert identify_effect(theory, "t", "y").adjustment_set == ("b",)


def test_front_door_when_back_door_is_blocked_by_an_unmeasured_cause() -> None:
    theory = _theory(
        {
            "u": ("context", False),
            "t": ("intervention", True),
            "m": ("mediator", True),
            "y": ("outcome", True),
        },
        [("u", "t"), ("u", "y"), ("t", "m"), ("m", "y")],
    )
    result = identify_effect(theory, "t", "y")
    assert result.strategy == "frontdoor"
    assert result.mediators == ("m",)
    assert result.to_measure == ("u",)


def test_instrument_when_only_an_instrument_helps() -> None:
    theory = _theory(
        {
            "z": ("context", True),
            "u": ("context", False),
            "t": ("intervention", True),
            "y": ("outcome", True),
        },
        [("z", "t"), ("u", "t"), ("u", "y"), ("t", "y")],
    )
    result = identify_effect(theory, "t", "y")
    assert result.strategy == "iv"
    assert result.instruments == ("z",)


def test_unmeasured_treatment_is_not_identifiable() -> None:
    theory = _theory({"t": ("service_quality", False), "y": ("outcome", True)}, [("t", "y")])
    result = identify_effect(theory, "t", "y")
    assert not result.identified
    assert result.to_measure == ("t",)


def test_front_door_search_is_polynomial_on_a_51_node_layered_theory() -> None:
    """t -> eight fully connected layers of 6 -> y, with an unmeasured t <-> y confounder
    (51 nodes): 6^8 = 1.7 million simple paths, which the old search enumerated (minutes;
    #13 item 9). The front door through every layer node is found from ancestor and
    descendant sets."""
    import time
    from itertools import pairwise

    import networkx as nx

    from decisionframe.theory.identify import identify_in_graph

    layers = [[f"m{i}_{j}" for j in range(6)] for i in range(8)]
    graph = nx.DiGraph()
    graph.add_edges_from(("t", m) for m in layers[0])
    for upper, lower in pairwise(layers):
        graph.add_edges_from((a, b) for a in upper for b in lower)
    graph.add_edges_from((m, "y") for m in layers[-1])
    graph.add_edges_from([("u", "t"), ("u", "y")])  # unmeasured: blocks the back door
    measured = set(graph.nodes) - {"u"}
    assert graph.number_of_nodes() == 51  # 48 layer nodes, t, y and the confounder u
    started = time.perf_counter()
    found = identify_in_graph(graph, "t", "y", measured)
    assert time.perf_counter() - started < 10  # milliseconds now; the old search took minutes
    assert found.strategy == "frontdoor"
    assert set(found.mediators) == {m for layer in layers for m in layer}
