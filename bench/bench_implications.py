"""Testable implications: how often the family of tests fails on the simulator's true graph
(false alarms; should be about 5%) and how often it catches a deleted true arrow (power),
over seeded simulated organizations of a modest size.

    OMP_NUM_THREADS=1 python -m bench.bench_implications [n_clients] [n_seeds]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from decisionframe.project import Project
from decisionframe.simulate import simulate_project
from decisionframe.theory import load_theory
from decisionframe.theory.implications import check_implications
from decisionframe.theory.model import Edge, Node, Theory

DELETED = (
    ("case_complexity", "wait_minutes"),
    ("prior_episodes", "followup"),
    ("case_complexity", "explained_next_steps"),
    ("case_complexity", "prior_episodes"),
)


def true_theory(shipped: Theory) -> Theory:
    """The simulator's data-generating graph (see tests/theory/test_implications.py)."""
    channel = Node(id="channel_mix", kind="context", label="Channels the client uses")
    extra = [("case_complexity", "prior_episodes"), ("channel_mix", "respect")]
    extra.append(("channel_mix", "wait_minutes"))
    edges = [*shipped.edges, *(Edge.model_validate({"from": a, "to": b}) for a, b in extra)]
    return shipped.model_copy(update={"nodes": [*shipped.nodes, channel], "edges": edges})


def main(n_clients: int = 3000, n_seeds: int = 10) -> None:
    false_alarms, caught = 0, dict.fromkeys(DELETED, 0)
    started = time.perf_counter()
    for seed in range(1, n_seeds + 1):
        folder = Path(tempfile.mkdtemp()) / "org"
        simulate_project(folder, n_clients=n_clients, seed=seed, scenario="service-matters")
        project = Project(folder)
        project.import_data()
        truth = true_theory(load_theory(project.theory_path))
        with project.open_store(read_only=True) as store:
            result = check_implications(store, truth)
            false_alarms += bool(result.failing)
            shown = [f"{t.x}~{t.y} p={t.p_value:.3f}" for t in result.failing]
            print(f"seed {seed}: true graph: {result.summary()} {shown}", flush=True)
            for a, b in DELETED:
                cut = truth.model_copy(
                    update={"edges": [e for e in truth.edges if (e.source, e.target) != (a, b)]}
                )
                verdicts = {
                    frozenset((t.x, t.y)): t.verdict for t in check_implications(store, cut).tests
                }
                caught[(a, b)] += verdicts.get(frozenset((a, b))) == "fails"
    print(
        f"{n_seeds} organizations of {n_clients:,} clients ({time.perf_counter() - started:.0f} s,"
        " machine shared with other engineers)"
    )
    print(f"true graph: the family failed in {false_alarms} of {n_seeds} (nominal 5%)")
    for (a, b), k in caught.items():
        print(f"arrow {a} -> {b} deleted: caught in {k} of {n_seeds}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
