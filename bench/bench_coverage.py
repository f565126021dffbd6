"""Coverage of the 95% intervals over many seeds, per scenario, edge and estimand.

For each seed: simulate an organization, import it, and estimate every assumption edge
with the estimator `analyze` uses, for ATE, ATT and ATC (continuous treatments have one
per-unit effect, the same under all three). Prints coverage and bias against truth.json.
Target: coverage >= 90% for every edge and estimand. Refutations are skipped (they do not
change the interval).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

from decisionframe.effects.analyze import effect_unit
from decisionframe.effects.design import make_design
from decisionframe.effects.estimate import DoubleMLEstimator
from decisionframe.frames import build_frame
from decisionframe.project import Project
from decisionframe.simulate import simulate_project
from decisionframe.theory import identify_all, load_theory


def one_seed(
    scenario: str, seed: int, n_clients: int, estimator: DoubleMLEstimator, root: Path
) -> list[dict[str, object]]:
    folder = root / f"{scenario}-{seed}"
    simulate_project(folder, n_clients=n_clients, seed=seed, scenario=scenario)
    project = Project(folder)
    project.import_data()
    truth = {e["from"]: e for e in json.loads((folder / "truth.json").read_text())["edges"]}
    theory = load_theory(project.theory_path)
    rows = []
    with project.open_store(read_only=True) as store:
        for ident, edge in zip(identify_all(theory), theory.assumption_edges, strict=True):
            frame = build_frame(
                store,
                theory,
                outcome=ident.outcome,
                treatment=ident.treatment,
                covariates=list(ident.adjustment_set),
            )
            design = make_design(
                frame.data,
                treatment=ident.treatment,
                outcome=ident.outcome,
                covariates=list(ident.adjustment_set),
            )
            assert edge.assumption is not None
            _, scale = effect_unit(edge.assumption, ident.treatment, design.treatment_kind)
            estimands = ["ATE"] if design.treatment_kind == "continuous" else ["ATE", "ATT", "ATC"]
            for estimand in estimands:
                fitted = estimator.fit(design, estimand=estimand, scale=scale, seed=seed)
                effect = fitted.estimate.effect
                true = truth[ident.treatment][estimand] * (
                    scale if truth[ident.treatment]["continuous_per_unit"] else 1.0
                )
                rows.append(
                    {
                        "edge": f"{ident.treatment} -> {ident.outcome}",
                        "estimand": estimand,
                        "estimate": effect.estimate,
                        "truth": true,
                        "se": effect.se,
                        "covered": effect.ci_low <= true <= effect.ci_high,
                        "naive": fitted.estimate.naive.estimate,
                    }
                )
    return rows


SCENARIOS = ("service-matters", "service-does-not-matter")


def run(seeds: int, n_clients: int, scenarios: tuple[str, ...] = SCENARIOS) -> bool:
    estimator = DoubleMLEstimator()
    all_ok = True
    for scenario in scenarios:
        results: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for seed in range(seeds):
                for row in one_seed(scenario, seed, n_clients, estimator, Path(tmp)):
                    results[(str(row["edge"]), str(row["estimand"]))].append(row)
        print(f"\ncoverage of 95% intervals, {scenario}, {seeds} seeds x {n_clients:,} clients")
        print(
            f"  {'edge':<36}{'estimand':<9}{'coverage':>9}{'bias':>9}{'mean se':>9}"
            f"{'naive bias':>11}"
        )
        for (edge, estimand), rows in sorted(results.items()):
            coverage = np.mean([r["covered"] for r in rows])
            bias = np.mean([float(r["estimate"]) - float(r["truth"]) for r in rows])  # type: ignore[arg-type]
            naive = np.mean([float(r["naive"]) - float(r["truth"]) for r in rows])  # type: ignore[arg-type]
            se = np.mean([float(r["se"]) for r in rows])  # type: ignore[arg-type]
            flag = "" if coverage >= 0.9 else "  <-- below 90%"
            all_ok &= bool(coverage >= 0.9)
            print(
                f"  {edge:<36}{estimand:<9}{coverage:>9.0%}{bias:>+9.4f}{se:>9.4f}"
                f"{naive:>+11.4f}{flag}"
            )
    print(f"\n  target >= 90% coverage everywhere: {'meets' if all_ok else 'MISSES'}")
    return all_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        action="append",
        help="run only this scenario (repeatable); default: both",
    )
    args = parser.parse_args()
    run(args.seeds, args.clients, tuple(args.scenario or SCENARIOS))


if __name__ == "__main__":
    main()
