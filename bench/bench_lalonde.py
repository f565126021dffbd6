"""LaLonde (1986): NSW job-training treated against survey comparison groups, and the
experimental answer.

The NSW experiment (Dehejia and Wahba's sample, 185 treated, 260 randomized controls, as
``causaldata.nsw_mixtape`` ships it) gives the effect on 1978 earnings of the treated:
about $1,794 (difference in means). Replacing the randomized controls by the CPS survey
sample (``causaldata.cps_mixtape``, 15,992 people, very unlike the treated) makes an
observational study whose answer is known: the classic test of an adjustment method
(LaLonde 1986; Dehejia and Wahba 1999). causaldata ships no PSID sample, so PSID is not run.

Each study is estimated by `analyze_assumption` exactly as a user would call it (ATT, the
raw covariates age, educ, black, hisp, marr, nodegree, re74, re75: no data-set-specific
settings, no squared terms, no tuned learners), under several pseudonymization keys, each
reordering the rows the way a fresh import does (rows sorted by a keyed hash of their id).
The issue's failure story was an ATT between 1,870 and 6,448 across such imports; here the
ATT, its interval and the verdict must be the same for every key. Beside it, on the same
data: a plain DoWhy pipeline (propensity score weighting for the treated, its default
bootstrap interval) and EconML's LinearDML (gradient-boosted nuisances, effect averaged
over the treated), EconML under every key too (its folds follow row order).

Needs the bench extras (dowhy, econml, causaldata). Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import time
import warnings

import networkx as nx
import pandas as pd

from bench.bench_observational import Case, dowhy, econml_dml
from decisionframe.api import analyze_assumption

COVARIATES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]
MIN_EFFECT = 500.0  # dollars a year: the smallest effect a funder would care about (stated)


def studies() -> dict[str, tuple[pd.DataFrame, float]]:
    """Each study's frame (treat, re78, covariates) and the experimental ATT."""
    from causaldata import cps_mixtape, nsw_mixtape

    nsw = nsw_mixtape.load_pandas().data
    cps = cps_mixtape.load_pandas().data
    cols = ["treat", "re78", *COVARIATES]
    treated = nsw[nsw["treat"] == 1][cols]
    experimental = float(treated["re78"].mean() - nsw[nsw["treat"] == 0]["re78"].mean())
    frames = {
        "NSW treated vs NSW controls (experiment)": nsw[cols],
        "NSW treated vs CPS (observational)": pd.concat([treated, cps[cols]]),
    }
    return {
        name: (frame.astype(float).reset_index(drop=True), experimental)
        for name, frame in frames.items()
    }


def imported(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The frame as an import under ``key`` would hold it: keyed pseudonyms, rows in
    pseudonym order."""
    ids = [
        hmac.new(key.encode(), str(i).encode(), hashlib.sha256).hexdigest()
        for i in range(len(frame))
    ]
    return frame.assign(client_id=ids).sort_values("client_id").reset_index(drop=True)


def graph() -> nx.DiGraph:
    g = nx.DiGraph([("treat", "re78")])
    g.add_edges_from((c, "treat") for c in COVARIATES)
    g.add_edges_from((c, "re78") for c in COVARIATES)
    return g


def ours(frame: pd.DataFrame, seed: int) -> dict[str, object]:
    edge = analyze_assumption(
        frame.drop(columns=["client_id"], errors="ignore"),
        graph(),
        "treat",
        "re78",
        expected="increase",
        estimand="ATT",
        min_effect=MIN_EFFECT,
        seed=seed,
    )
    assert edge.estimate is not None
    assert edge.estimate.overlap is not None
    e, o = edge.estimate.effect, edge.estimate.overlap
    return {
        "estimate": e.estimate,
        "ci_low": e.ci_low,
        "ci_high": e.ci_high,
        "verdict": edge.verdict.verdict,
        "kept": f"{o.kept_treated} treated, {o.kept_untreated} comparison",
        "dropped": f"{o.dropped_treated} treated, {o.dropped_untreated} comparison",
        "refuters": ", ".join(f"{r.name}: {r.status}" for r in edge.refutations),
    }


def run(keys: list[str], seed: int, peers: bool) -> None:
    for name, (frame, truth) in studies().items():
        n_t = int(frame["treat"].sum())
        print(
            f"\n{name}: {n_t} treated, {len(frame) - n_t} comparison; experimental ATT {truth:,.0f}"
        )
        rows = []
        for key in keys:
            data = imported(frame, key)
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mine = ours(data, seed)
            seconds = time.perf_counter() - started
            rows.append(mine)
            print(
                f"  key {key!r:12} decisionframe ATT {mine['estimate']:9,.1f} "
                f"[{mine['ci_low']:9,.1f}, {mine['ci_high']:9,.1f}] {mine['verdict']:<13} "
                f"covers {mine['ci_low'] <= truth <= mine['ci_high']}  ({seconds:.0f} s)"
            )
            if peers:
                case = Case(
                    name,
                    data.drop(columns=["client_id"]).rename(columns={"treat": "d", "re78": "y"}),
                    COVARIATES,
                    truth,
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est, low, high = econml_dml(case, seed)
                print(
                    f"  {'':17}EconML LinearDML  {est:9,.1f} [{low:9,.1f}, {high:9,.1f}] "
                    f"covers {low <= truth <= high}"
                )
        first = rows[0]
        print(f"  overlap: kept {first['kept']}; dropped {first['dropped']}")
        print(f"  refuters: {first['refuters']}")
        same = all(r == first for r in rows)
        print(
            f"  identical across {len(keys)} keys/row orders (estimate, interval, verdict, "
            f"overlap, refuters): {same}"
        )
        if peers:
            case = Case(name, frame.rename(columns={"treat": "d", "re78": "y"}), COVARIATES, truth)
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est, low, high = dowhy(case, seed)
            took = time.perf_counter() - started
            print(
                f"  DoWhy PS weighting (ATT)        {est:9,.1f} [{low:9,.1f}, {high:9,.1f}] "
                f"covers {low <= truth <= high}  ({took:.0f} s)"
            )
        print(
            f"  naive difference in means: "
            f"{frame.groupby('treat')['re78'].mean().diff().iloc[-1]:,.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", nargs="+", default=["alpha", "bravo", "charlie", "delta"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peers", action="store_true", help="skip DoWhy and EconML")
    args = parser.parse_args()
    run(args.keys, args.seed, not args.no_peers)


if __name__ == "__main__":
    main()
