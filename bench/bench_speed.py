"""`analyze` speed and accuracy against a plain DoWhy CausalModel pipeline, same frames.

DoWhy pipeline per assumption edge: CausalModel on the same per-client frame and graph,
identify_effect, estimate_effect (linear regression for continuous treatments, propensity
score weighting for binary ones, DoWhy's standard back-door estimators), then its three
refuters (placebo treatment, random common cause, data subset) with their defaults.
Prints both times and both estimates beside truth.json. Target: at least as accurate (total
absolute error not worse by more than half a standard error: one seed's errors differ by
noise) and at least 2x faster.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

from bench.common import DATA
from decisionframe.effects import analyze_theory
from decisionframe.frames import build_frame
from decisionframe.project import Project
from decisionframe.simulate import simulate_project
from decisionframe.theory import identify_all, load_theory
from decisionframe.theory.graph import causal_graph


def _project(n_clients: int, seed: int) -> Project:
    folder = DATA / f"speed-{n_clients}-{seed}"
    if not (folder / "truth.json").exists():
        simulate_project(folder, n_clients=n_clients, seed=seed, overwrite=True)
        Project(folder).import_data()
    return Project(folder)


def _dowhy_pipeline(project: Project) -> tuple[float, float, dict[str, float]]:
    from dowhy import CausalModel

    theory = load_theory(project.theory_path)
    graph = causal_graph(theory)
    estimates = {}
    started, cpu = time.perf_counter(), time.process_time()
    with project.open_store(read_only=True) as store:
        for ident, edge in zip(identify_all(theory), theory.assumption_edges, strict=True):
            t, y = ident.treatment, ident.outcome
            adjust = list(ident.adjustment_set)
            frame = build_frame(store, theory, outcome=y, treatment=t, covariates=adjust).data
            sub = graph.subgraph([t, y, *adjust]).copy()
            binary = frame[t].nunique() == 2
            if binary:
                frame[t] = frame[t].astype(bool)
            model = CausalModel(
                data=frame.drop(columns=["client_id"]), treatment=t, outcome=y, graph=_gml(sub)
            )
            identified = model.identify_effect(proceed_when_unidentifiable=True)
            method = (
                "backdoor.propensity_score_weighting" if binary else "backdoor.linear_regression"
            )
            estimate = model.estimate_effect(
                identified,
                method_name=method,
                target_units="att"
                if binary and edge.assumption and edge.assumption.estimand == "ATT"
                else "ate",
            )
            for refuter in (
                "placebo_treatment_refuter",
                "random_common_cause",
                "data_subset_refuter",
            ):
                model.refute_estimate(identified, estimate, method_name=refuter)
            per = edge.assumption.per if edge.assumption and edge.assumption.per else 1.0
            estimates[f"{t} -> {y}"] = float(estimate.value) * per
    return time.perf_counter() - started, time.process_time() - cpu, estimates


def _gml(graph: object) -> str:
    import networkx as nx

    return "".join(nx.generate_gml(graph))  # type: ignore[arg-type]


def run(n_clients: int, seed: int) -> None:
    project = _project(n_clients, seed)
    truth = {
        f"{e['from']} -> {e['to']}": e
        for e in json.loads((project.directory / "truth.json").read_text())["edges"]
    }
    theory = load_theory(project.theory_path)
    print(f"\nanalyze on {n_clients:,} simulated clients vs a plain DoWhy pipeline")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started, cpu = time.perf_counter(), time.process_time()
        with project.open_store(read_only=True) as store:
            ours = analyze_theory(store, theory, seed=seed)
        ours_time, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
        dowhy_time, dowhy_cpu, theirs = _dowhy_pipeline(project)
    print(f"  {'edge':<36}{'estimand':<9}{'truth':>8}{'ours':>9}{'DoWhy':>9}")
    ours_err = theirs_err = 0.0
    ses = []
    for edge in ours.edges:
        key = edge.edge
        estimand = edge.assumption.estimand
        scale = edge.estimate.scale if edge.estimate else 1.0
        true = truth[key][estimand] * (scale if truth[key]["continuous_per_unit"] else 1.0)
        mine = edge.estimate.effect.estimate if edge.estimate else float("nan")
        ours_err += abs(mine - true)
        ses.append(edge.estimate.effect.se if edge.estimate else float("nan"))
        theirs_err += abs(theirs[key] - true)
        print(f"  {key:<36}{estimand:<9}{true:>+8.4f}{mine:>+9.4f}{theirs[key]:>+9.4f}")
    print(f"  total absolute error: ours {ours_err:.4f}, DoWhy {theirs_err:.4f}")
    print(
        f"  time: ours {ours_time:.1f} s, DoWhy {dowhy_time:.1f} s, "
        f"ratio DoWhy/ours {dowhy_time / ours_time:.2f}x"
    )
    # On a shared machine wall time depends on the other jobs; CPU time (this process, all
    # its threads) is the fairer comparison, printed beside it with the load average.
    print(
        f"  CPU time: ours {ours_cpu:.1f} s, DoWhy {dowhy_cpu:.1f} s, "
        f"ratio DoWhy/ours {dowhy_cpu / ours_cpu:.2f}x; load average "
        + " ".join(f"{v:.1f}" for v in os.getloadavg())
    )
    # One seed's absolute errors differ by sampling noise alone: "as accurate" means ours is
    # not worse by more than half of one estimate's standard error (coverage of the
    # intervals over many seeds is bench_coverage's job).
    tolerance = 0.5 * sum(ses) / len(ses)
    accurate = ours_err <= theirs_err + tolerance
    print(
        f"  error difference ours - DoWhy {ours_err - theirs_err:+.4f} "
        f"(tolerance {tolerance:.4f} = half the mean standard error {tolerance * 2:.4f})"
    )
    fast = dowhy_time / ours_time >= 2
    print(
        f"  target (as accurate, >= 2x faster): accuracy {'meets' if accurate else 'MISSES'}, "
        f"speed {'meets' if fast else 'MISSES'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    run(args.clients, args.seed)


if __name__ == "__main__":
    main()
