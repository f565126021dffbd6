"""Control charts that do not cry wolf: false-alarm rate, detection rate and delay.

Each seed is one organization's report: six units and all units together, a monthly
failure-share p-chart and three XmR charts of monthly means (handling minutes and two
ratings) each, 28 charts of 24 months, as `demand` draws them. Months have overdispersion
(shared month shocks beyond binomial noise) and mildly autocorrelated unit noise (AR(1),
rho 0.3), as real service data do.

- stable: nothing changes. The false-alarm rate is the share of reports with any signal.
- planted: from month 16 one unit's failure share rises by 2 sigma of its monthly variation
  and another unit's mean rating falls by 2 sigma. Detection is the share of those two
  charts that signal at all; 'fired after the change' the share whose signal fired at or
  after month 16 (with limits from every month a chart can instead flag the months before
  the change as low), and delay the months from the change to the point where it fired.
  False alarms are signals on the unchanged unit charts and the all-units charts of
  unchanged measures.

Side by side: the classic four Western Electric rules at 3 sigma with limits from every
point (what the charts did before), and the budgeted rules (limits from the first year,
one 5% budget over the report).

    python -m bench.bench_controlcharts --seeds 100
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from decisionframe.controlcharts import ControlChart, control_chart, within_budget
from decisionframe.controlcharts.control import laney_factor, p_center, p_sigma, robust_sigma

MONTHS = 24
UNITS = 6
CHANGE = 16
SHIFT = 2.0


def _classic(values: np.ndarray, n: np.ndarray, kind: str) -> list[int]:
    """Points where the classic four rules fire, limits from every point (the old charts)."""
    if kind == "p":
        center = p_center(values * n, n)
        sigma = laney_factor(values, center, n) * np.asarray(p_sigma(center, n))
    else:
        center = float(values.mean())
        sigma = np.full(len(values), robust_sigma(values))
    z = (values - center) / np.where(sigma > 0, sigma, 1.0)
    fired = []
    for i in range(len(z)):
        hits = abs(z[i]) > 3
        if i >= 7:
            w = z[i - 7 : i + 1]
            hits |= bool((w > 0).all() or (w < 0).all())
        if i >= 2:
            w = z[i - 2 : i + 1]
            hits |= bool((w > 2).sum() >= 2 or (w < -2).sum() >= 2)
        if i >= 5:
            steps = np.diff(values[i - 5 : i + 1])
            hits |= bool((steps > 0).all() or (steps < 0).all())
        if hits:
            fired.append(i)
    return fired


def _organization(seed: int, *, planted: bool) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """(title, kind, values, n) for the 28 charts; titles of changed charts end in '*'."""
    rng = np.random.default_rng(seed)
    out = []
    n = rng.poisson(500, (UNITS, MONTHS)).astype(float)
    p = 0.3 + rng.normal(0, 0.03, (UNITS, 1)) + rng.normal(0, 0.01, (UNITS, MONTHS))
    sd_share = float(np.sqrt(0.3 * 0.7 / 500 + 0.01**2))
    changed_share = 0 if planted else -1
    if planted:
        p[0, CHANGE:] += SHIFT * sd_share
    counts = rng.binomial(n.astype(int), np.clip(p, 0.01, 0.99))
    for u in range(UNITS):
        mark = "*" if u == changed_share else ""
        out.append((f"share u{u}{mark}", "p", counts[u] / n[u], n[u]))
    total = counts.sum(axis=0) / n.sum(axis=0)
    out.append((f"share all{'~' if planted else ''}", "p", total, n.sum(axis=0)))
    for m, (level, sd) in enumerate(((12.0, 0.4), (3.8, 0.05), (3.6, 0.05))):
        noise = np.zeros((UNITS, MONTHS))
        shocks = rng.normal(0, sd, (UNITS, MONTHS))
        noise[:, 0] = shocks[:, 0]
        for t in range(1, MONTHS):
            noise[:, t] = 0.3 * noise[:, t - 1] + shocks[:, t]
        means = level + rng.normal(0, 3 * sd, (UNITS, 1)) + noise
        changed = planted and m == 1
        if changed:
            means[1, CHANGE:] -= SHIFT * sd / np.sqrt(1 - 0.3**2)
        for u in range(UNITS):
            mark = "*" if changed and u == 1 else ""
            out.append((f"mean{m} u{u}{mark}", "XmR", means[u], n[u]))
        out.append((f"mean{m} all{'~' if changed else ''}", "XmR", means.mean(axis=0), n.sum(0)))
    return out


def run(seeds: int, baseline: int) -> dict[str, dict[str, float]]:
    periods = [str(i) for i in range(MONTHS)]
    results: dict[str, dict[str, float]] = {}
    for method in ("classic", "budget"):
        for planted in (False, True):
            false_reports = detected = timely = delay_sum = changed_total = 0
            chance_signals = 0
            for seed in range(seeds):
                charts = _organization(seed, planted=planted)
                if method == "budget":
                    built = within_budget(
                        [
                            control_chart(
                                t,
                                periods,
                                v,
                                kind=k,
                                n=list(n),
                                baseline_points=baseline,
                                measure=t.split()[0],
                            )
                            for t, k, v, n in charts
                        ]  # type: ignore[arg-type]
                    )
                    fired = {c.title: _budget_fired(c) for c in built}
                else:
                    fired = {t: _classic(v, n, k) for t, k, v, n in charts}
                false = [t for t, f in fired.items() if f and not t.endswith(("*", "~"))]
                chance_signals += len(false)
                false_reports += bool(false)
                for t, f in fired.items():
                    if t.endswith("*"):
                        changed_total += 1
                        after = [i for i in f if i >= CHANGE]
                        detected += bool(f)
                        if after:
                            timely += 1
                            delay_sum += min(after) - CHANGE
            key = f"{method} {'planted' if planted else 'stable'}"
            results[key] = {
                "reports with a false alarm": false_reports / seeds,
                "false signals per report": chance_signals / seeds,
                "detection rate": detected / changed_total if changed_total else float("nan"),
                "fired after the change": timely / changed_total if changed_total else float("nan"),
                "mean delay (months)": delay_sum / timely if timely else float("nan"),
            }
    return results


def _budget_fired(chart: ControlChart) -> list[int]:
    return sorted({s.completed for s in chart.signals})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--baseline", type=int, default=12, help="baseline months (0: all)")
    args = parser.parse_args()
    started = time.perf_counter()
    results = run(args.seeds, args.baseline or MONTHS)
    took = time.perf_counter() - started
    print(f"{args.seeds} seeds, 28 charts of {MONTHS} months, baseline {args.baseline or MONTHS}")
    print(f"({took:.0f} s)")
    for key, row in results.items():
        cells = ", ".join(
            f"{k} {v:.3f}" if "delay" not in k or v == v else f"{k} -" for k, v in row.items()
        )
        print(f"{key:16s} {cells}")


if __name__ == "__main__":
    main()
