"""Initiatives on simulated KPI panels: is each planted effect inside its interval?

For each scenario (staggered-rollout, org-wide-change, stable) and seed: every initiative
and measure's design, estimate, interval and verdict against truth.json. Prints per design
the coverage of the 95% intervals, how often a real effect was called 'worked' or
'backfired', and, on the stable scenario, how often anything was called 'worked'.

    python -m bench.bench_initiatives --seeds 20
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import pandas as pd

from decisionframe.initiatives.analyze import adjust_for_multiplicity, evaluate_initiative
from decisionframe.initiatives.panel import Initiative, Wave, _wide
from decisionframe.simulate.series import SERIES_SCENARIOS, build_series_world


def _initiatives(frame: pd.DataFrame) -> list[Initiative]:
    found: dict[str, Initiative] = {}
    for row in frame.to_dict("records"):
        units = tuple(u for u in str(row["units"] or "").split(",") if u)
        measures = tuple(str(row["measures"]).split(","))
        hopes = dict(zip(measures, str(row["expected"]).split(","), strict=True))
        wave = Wave(row["started_on"], units)
        key = str(row["initiative_id"])
        old = found.get(key)
        waves = (*old.waves, wave) if old else (wave,)
        found[key] = Initiative(key, str(row["name"]), waves, measures, hopes)  # type: ignore[arg-type]
    return list(found.values())


def run(seeds: int, scenarios: list[str]) -> pd.DataFrame:
    rows = []
    for scenario in scenarios:
        for seed in range(seeds):
            tables, truth = build_series_world(seed=seed, scenario=scenario)
            series = tables["series"]
            found = _initiatives(tables["initiatives"])
            effects = {
                (t["initiative_id"], t["measure"]): t["effect"] for t in truth["initiatives"]
            }
            judged = []
            for initiative in found:
                for measure in initiative.measures:
                    panel = _wide(series[series["measure"] == measure], measure, "series")
                    assert panel is not None
                    e = evaluate_initiative(initiative, panel, others=found, seed=seed)
                    if e is not None and e.estimate is not None:
                        judged.append(e)
            adjusted, _ = adjust_for_multiplicity(judged)
            for raw, e in zip(judged, adjusted, strict=True):
                assert e.estimate is not None
                assert e.ci_low is not None
                assert e.ci_high is not None
                true = effects[(e.initiative_id, e.measure)]
                rows.append(
                    {
                        "scenario": scenario,
                        "seed": seed,
                        "initiative": e.initiative_id,
                        "measure": e.measure,
                        "design": e.design,
                        "truth": true,
                        "estimate": e.estimate,
                        "inside": e.ci_low <= true <= e.ci_high,
                        "p_value": e.p_value,
                        "p_adjusted": e.p_adjusted,
                        "verdict_unadjusted": raw.verdict,
                        "verdict": e.verdict,
                        "pretrend_flag": bool(
                            e.placebos.pre_trend and e.placebos.pre_trend.p_value < 0.05
                        ),
                    }
                )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--scenario", action="append")
    parser.add_argument("--csv", help="also write every effect to this file")
    args = parser.parse_args()
    started = time.perf_counter()
    frame = run(args.seeds, args.scenario or list(SERIES_SCENARIOS))
    if args.csv:
        frame.to_csv(args.csv, index=False)
    print(f"{len(frame)} effects in {time.perf_counter() - started:.0f} s")
    pd.set_option("display.width", 160)
    summary = frame.groupby(["scenario", "design", "measure"]).agg(
        truth=("truth", "first"),
        coverage=("inside", "mean"),
        bias=("estimate", lambda s: 0.0),
        worked=("verdict", lambda v: (v == "worked").mean()),
        backfired=("verdict", lambda v: (v == "backfired").mean()),
        fragile=("verdict", lambda v: (v == "fragile").mean()),
        pretrend_flag=("pretrend_flag", "mean"),
    )
    summary["bias"] = (
        (frame["estimate"] - frame["truth"])
        .groupby([frame["scenario"], frame["design"], frame["measure"]])
        .mean()
    )
    print(summary.round(3).to_string())
    per_design = frame.groupby(["scenario", "design"]).agg(
        effects=("inside", "size"), coverage=("inside", "mean")
    )
    print("coverage of the 95% intervals per design:")
    print(per_design.round(3).to_string())
    verdicts: dict[str, int] = defaultdict(int)
    for v in frame.loc[frame["scenario"] == "stable", "verdict"]:
        verdicts[v] += 1
    print("stable scenario verdicts (BH over each run):", dict(verdicts))
    _print_claims(frame)


CLAIMS = ("worked", "backfired", "rose", "fell")


def _print_claims(frame: pd.DataFrame) -> None:
    """Per run: any false claim where nothing happened; detection where something did.

    Both before the run's multiplicity rule (each effect at 5% on its own) and after it.
    """
    for column, label in (("verdict_unadjusted", "each at 5%"), ("verdict", "BH over the run")):
        print(f"-- verdicts {label}:")
        stable = frame[frame["scenario"] == "stable"]
        if len(stable):
            runs = stable.groupby("seed")[column]
            any_worked = runs.apply(lambda v: (v == "worked").any()).mean()
            any_claim = runs.apply(lambda v: v.isin(CLAIMS).any()).mean()
            share = (stable[column] == "worked").mean()
            print(
                f"stable: {runs.ngroups} runs of {len(stable) // max(runs.ngroups, 1)} effects; "
                f"effects 'worked' {share:.3f}; runs with any 'worked' {any_worked:.3f}, "
                f"with any effect claimed {any_claim:.3f}"
            )
        planted = frame[(frame["scenario"] != "stable") & (frame["truth"] != 0)]
        if len(planted):
            found = planted[column].isin(("worked", "backfired")) & (
                (planted["estimate"] > 0) == (planted["truth"] > 0)
            )
            keys = [planted["scenario"], planted["design"], planted["measure"]]
            print("detection of planted effects (right-signed worked/backfired):")
            print(found.groupby(keys).mean().round(3).to_string())


if __name__ == "__main__":
    main()
