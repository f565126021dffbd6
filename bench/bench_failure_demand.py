"""Failure-demand share as an initiative measure: power, coverage and false alarms.

Each seed is one `new-process` organization (contacts as `service-matters`; from
2025-10-01 a share of its failure demand no longer happens, in every unit), with the share
prevented varied: 0 (nothing changed: the false-alarm rate), and the scenario's quarter and
smaller ones (power). The contacts go into an in-memory store as the import would load
them, `evaluate_initiatives` classifies them with the default `demand:` settings and judges
the process change `P1` on `failure_demand_share` (an interrupted time series: every unit
changed at once). Printed per share prevented: the true effect, mean estimate, coverage of
the 95% intervals, detection (verdict "worked") and any claimed effect.

The training initiative `I1` targets ratings only, which this store has no column log for,
so `P1` is the run's only effect and the run's Benjamini-Hochberg rule adjusts nothing.

    python -m bench.bench_failure_demand --seeds 50
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import pandas as pd

from decisionframe.config import DemandRules
from decisionframe.initiatives import evaluate_initiatives
from decisionframe.simulate import SCENARIOS, build_world
from decisionframe.store import DuckDBStore

SHARES = (0.0, 0.1, 0.15, 0.25)


def one_run(seed: int, prevented: float, clients: int) -> dict[str, object]:
    scenario = replace(SCENARIOS["new-process"], failure_prevented=prevented)
    world = build_world(n_clients=clients, seed=seed, scenario=scenario)
    truth = world.truth["initiatives"][0]
    store = DuckDBStore(":memory:")
    try:
        for name in ("touchpoints", "initiatives"):
            store.register_frame("frame", world.tables[name])
            store.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            store.unregister("frame")
        result = evaluate_initiatives(store, seed=seed, demand_rules=DemandRules())
    finally:
        store.close()
    effect = next(
        e
        for e in result.initiatives
        if e.initiative_id == "P1" and e.measure == "failure_demand_share"
    )
    assert effect.ci_low is not None
    assert effect.ci_high is not None
    return {
        "seed": seed,
        "prevented": prevented,
        "truth": truth["effect"],
        "estimate": effect.estimate,
        "inside": effect.ci_low <= truth["effect"] <= effect.ci_high,
        "verdict": effect.verdict,
        "design": effect.design,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--clients", type=int, default=3000)
    parser.add_argument("--csv", help="also write every run to this file")
    args = parser.parse_args()
    started = time.perf_counter()
    frame = pd.DataFrame(
        [one_run(seed, share, args.clients) for share in SHARES for seed in range(args.seeds)]
    )
    if args.csv:
        frame.to_csv(args.csv, index=False)
    print(f"{len(frame)} runs of {args.clients} clients in {time.perf_counter() - started:.0f} s")
    summary = frame.groupby("prevented").agg(
        runs=("seed", "size"),
        truth=("truth", "mean"),
        estimate=("estimate", "mean"),
        coverage=("inside", "mean"),
        worked=("verdict", lambda v: (v == "worked").mean()),
        claimed=("verdict", lambda v: v.isin(("worked", "backfired", "fragile")).mean()),
        its=("design", lambda v: (v == "its").mean()),
    )
    pd.set_option("display.width", 160)
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
