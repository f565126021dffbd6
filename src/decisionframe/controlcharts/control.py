"""Control charts (Shewhart, as taught by Wheeler and Deming): XmR and p-charts that do not
cry wolf.

Limits come from a stated baseline: the first ``baseline_points`` months (a year by
default) of a chart's first phase; later points are judged against them. Where an
initiative marks a process change, the chart starts a new phase whose points are judged
against the limits of the phase before it, so a real improvement shows up as a signal
instead of being absorbed into new limits.

One false-alarm budget for the whole report. The classic four rules (beyond 3 sigma, a run
of 8, 2 of 3 beyond 2 sigma, a trend of 6) each have a small false-alarm rate per point,
but a report holds dozens of charts of ~24 months, and together they raised a false alarm
on most stable organizations (3 of 20 charts on one written by hand). Here a report's
charts share a budget (5% by default: at most one stable organization's report in twenty
shows any signal at all), split evenly over its charts, and within a chart between two
rules:

- a point beyond the limits (a sudden, large change), and
- a sustained shift, by a two-sided CUSUM with reference value half a sigma (Page 1954),
  which catches a lasting shift of one sigma or more faster than the run-of-8 rule at
  the same false-alarm rate.

Months carry over (the same clients come back, a backlog drains slowly), so a stable
chart's points are autocorrelated, and limits set for independent months cried wolf on
13% of stable reports. The stable process a chart is judged against is therefore an AR(1)
(the usual model for autocorrelated data in SPC; Montgomery, ch. 10): the CUSUM runs on
values scaled by the long-run factor sqrt((1 + phi) / (1 - phi)), and both rules'
thresholds are the chance quantiles of stable AR(1) charts of the same length, baseline
and phi, by seeded simulation of the whole procedure (estimating the limits and phi from
the baseline is part of what makes real charts cry wolf). Twelve months estimate phi very
poorly (standard error ~0.28), and limits set at an underestimate cry wolf, so phi is
pooled over the charts of one measure (its units and their total; the carry-over is a
property of the measure's process), bias-corrected (the lag-1 autocorrelation of n points
is low by about (1 + 3 phi) / n) and taken one standard error high. We chose a budget
over printing the expected number of chance signals beside the signals because readers act
on a signal, not on a footnote. A signal is dated at the first point of its run (the point
after the CUSUM last stood at zero) and every point of the run is marked.

Written here rather than taken from a library: the statistics are a few lines, and the
phase logic and the report-wide calibration are not what the available packages do.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal, Union

import numpy as np
import numpy.typing as npt

Numbers = Union[Sequence[float], npt.NDArray[np.float64]]  # noqa: UP007
XMR_SIGMA_FACTOR = 1.128  # d2 for moving ranges of two: sigma = average moving range / d2
BASELINE_POINTS = 12  # a year of months
REPORT_FALSE_ALARM = 0.05  # chance that a stable organization's whole report shows a signal
CUSUM_REFERENCE = 0.5  # sigma: the CUSUM is tuned to shifts of about one sigma
ChartKind = Literal["XmR", "p"]
RULE_LIMITS = "point beyond the limits"
RULE_SHIFT = "sustained shift (CUSUM)"


@dataclass(frozen=True)
class Phase:
    start: int  # first point index (inclusive)
    end: int  # last point index (exclusive)
    label: str
    center: float
    sigma: tuple[float, ...]  # per point of the phase (constant for XmR)
    laney: float = 1.0  # p-charts: how much wider than binomial the variation is
    width: float = 3.0  # limits at centre +- width * sigma (set by the false-alarm budget)
    memory: float = 1.0  # CUSUM sigma factor for month-to-month carry-over (see _memory)
    baseline: tuple[int, int] = (0, 0)  # the points its centre and sigma come from
    lag1: float = 0.0  # lag-1 autocorrelation of the baseline's standardized points

    @property
    def lower(self) -> list[float]:
        return [self.center - self.width * s for s in self.sigma]

    @property
    def upper(self) -> list[float]:
        return [self.center + self.width * s for s in self.sigma]


@dataclass(frozen=True)
class Signal:
    rule: str
    index: int  # the first point of the run (where the change is dated)
    judged_against: str  # label of the phase whose limits were used
    points: tuple[int, ...] = ()  # every point of the run, all marked
    completed: int = -1  # the point at which the rule fired (when it could first be known)


@dataclass(frozen=True)
class Budget:
    """A chart's share of the report's false-alarm budget, and the thresholds it gives."""

    charts: int  # charts in the report sharing the budget
    report_false_alarm: float
    chart_false_alarm: float
    limit_sigmas: float  # points beyond this many sigma signal
    cusum_threshold: float  # CUSUM (in sigmas) above this signals
    carryover: float = 0.0  # the AR(1) phi the thresholds are calibrated for
    pooled_charts: int = 1  # charts of the measure whose baselines estimated phi


@dataclass(frozen=True)
class ControlChart:
    title: str
    kind: ChartKind
    periods: tuple[str, ...]
    values: tuple[float, ...]
    n: tuple[int, ...]
    phases: tuple[Phase, ...]
    signals: tuple[Signal, ...] = field(default_factory=tuple)
    reading: str = ""
    budget: Budget | None = None
    unit: str = ""
    note: str = ""
    measure: str = ""  # charts of one measure pool their month-to-month carry-over

    @property
    def has_signal(self) -> bool:
        return bool(self.signals)

    def _limits(self, phase: Phase) -> dict[str, list[float]]:
        """The limits as drawn: a p-chart's share lies in [0, 1], so a limit beyond that is
        drawn at the bound (no point can cross it; the signals do not change)."""
        if self.kind != "p":
            return {"lower": phase.lower, "upper": phase.upper}
        return {
            "lower": [max(0.0, v) for v in phase.lower],
            "upper": [min(1.0, v) for v in phase.upper],
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["phases"] = [{**asdict(p), **self._limits(p)} for p in self.phases]
        data["has_signal"] = self.has_signal
        return data


def xmr_center_sigma(values: Numbers) -> tuple[float, float]:
    """Centre line and sigma of an individuals chart: average moving range / 1.128."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return float(x.mean()), 0.0
    moving_range = np.abs(np.diff(x)).mean()
    return float(x.mean()), float(moving_range / XMR_SIGMA_FACTOR)


def robust_sigma(values: Numbers) -> float:
    """The larger of the moving-range sigma and the plain standard deviation.

    Weekly service data are autocorrelated (the same clients come back week after week),
    which shrinks moving ranges and so the limits; taking the larger estimate keeps the
    limits honest for such series and equals the usual one when weeks are independent.
    """
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return 0.0
    return max(xmr_center_sigma(x)[1], float(x.std(ddof=1)))


def laney_factor(values: Numbers, center: float, n: Numbers) -> float:
    """Laney's p' correction: how much wider than binomial the week-to-week variation is.

    With hundreds of contacts a week, binomial limits are far too narrow for real
    (overdispersed) data; never narrower than binomial.
    """
    sigma = np.asarray(p_sigma(center, n))
    z = (np.asarray(values, dtype=float) - center) / np.where(sigma > 0, sigma, 1.0)
    return max(1.0, robust_sigma(z))


MAX_CARRYOVER = 0.8  # beyond this a chart of months is a random walk, not a stable process
CARRYOVER_SE = 1.0  # standard errors added to the estimated phi


def lag1_autocorrelation(z: Numbers) -> float:
    """Lag-1 autocorrelation of ``z`` about its mean (0 for fewer than 4 points or no spread)."""
    x = np.asarray(z, dtype=float)
    d = x - x.mean() if len(x) else x
    total = float(d @ d) if len(x) else 0.0
    if len(x) < 4 or total == 0.0:
        return 0.0
    return float((d[1:] @ d[:-1]) / total)


def carryover(mean_lag1: float, *, baseline: int, charts: int = 1) -> float:
    """The AR(1) phi a measure's charts are judged with, from their mean baseline lag-1.

    The sample lag-1 autocorrelation of ``baseline`` points is biased low by about
    (1 + 3 phi) / baseline (Marriott and Pope 1954), so phi = (n r + 1) / (n - 3); then one
    standard error sqrt((1 - phi^2) / (n charts)) is added, because thresholds rise
    steeply with phi and a chart judged with an underestimate cries wolf. Clipped to
    [0, 0.8].
    """
    return float(_carryover(np.asarray([mean_lag1]), baseline, charts)[0])


def _carryover(mean_lag1: np.ndarray, baseline: int, charts: int) -> np.ndarray:
    if baseline < 4:
        return np.zeros_like(mean_lag1)
    phi = np.clip((baseline * mean_lag1 + 1) / (baseline - 3), 0.0, MAX_CARRYOVER)
    phi = phi + CARRYOVER_SE * np.sqrt((1 - phi**2) / (baseline * max(1, charts)))
    return np.clip(phi, 0.0, MAX_CARRYOVER)


def _memory(phi: float) -> float:
    """How much wider a sum of AR(1) months varies than independent months would: the
    long-run factor sqrt((1 + phi) / (1 - phi)). Carry-over makes a CUSUM drift without
    any change; dividing by this keeps it from crying wolf.
    """
    return float(np.sqrt((1 + phi) / (1 - phi)))


def p_center(counts: Numbers, n: Numbers) -> float:
    return float(np.sum(counts) / np.sum(n))


def p_sigma(center: float, n: Numbers) -> list[float]:
    return [float(np.sqrt(center * (1 - center) / k)) if k else float("inf") for k in n]


# ---------------------------------------------------------------- the false-alarm budget


def chart_false_alarm(charts: int, report_false_alarm: float = REPORT_FALSE_ALARM) -> float:
    """Each chart's chance of a false alarm so that the report's is ``report_false_alarm``."""
    return float(1 - (1 - report_false_alarm) ** (1 / max(1, charts)))


def _cusum_max(z: np.ndarray) -> np.ndarray:
    """Largest two-sided CUSUM value of each row (z in sigmas)."""
    up = np.zeros(z.shape[0])
    down = np.zeros(z.shape[0])
    top = np.zeros(z.shape[0])
    for t in range(z.shape[1]):
        up = np.maximum(0.0, up + z[:, t] - CUSUM_REFERENCE)
        down = np.maximum(0.0, down - z[:, t] - CUSUM_REFERENCE)
        top = np.maximum(top, np.maximum(up, down))
    return top


CARRYOVER_STEP = 0.05  # phi is calibrated on this grid (the simulations are cached)


def _ar1(rng: np.random.Generator, sims: int, points: int, phi: float) -> np.ndarray:
    """Stable AR(1) charts with unit innovations, started in their stationary law."""
    shocks = rng.normal(0.0, 1.0, (sims, points))
    x = np.empty_like(shocks)
    x[:, 0] = shocks[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, points):
        x[:, t] = phi * x[:, t - 1] + shocks[:, t]
    return x


@lru_cache(maxsize=256)
def _null_maxima(
    points: int, baseline: int, phi: float = 0.0, charts: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Max |z| and max CUSUM of stable AR(``phi``) charts of ``points`` with limits from
    ``baseline``, phi re-estimated as the report does: pooled over groups of ``charts``
    charts, bias-corrected, one standard error high.

    Seeded, so the same chart always gets the same thresholds.
    """
    rng = np.random.default_rng(20240519)
    charts = max(1, min(charts, 50))
    sims = 40_000 // charts * charts
    x = _ar1(rng, sims, points, phi)
    base = x[:, :baseline]
    center = base.mean(axis=1, keepdims=True)
    if baseline >= 2:
        mr = np.abs(np.diff(base, axis=1)).mean(axis=1) / XMR_SIGMA_FACTOR
        sigma = np.maximum(mr, base.std(axis=1, ddof=1))[:, None]
    else:
        sigma = np.ones((sims, 1))
    z = (x - center) / np.where(sigma > 0, sigma, 1.0)
    if baseline >= 4:
        zb = z[:, :baseline] - z[:, :baseline].mean(axis=1, keepdims=True)
        lag1 = (zb[:, 1:] * zb[:, :-1]).sum(axis=1) / np.maximum((zb * zb).sum(axis=1), 1e-12)
        pooled = lag1.reshape(-1, charts).mean(axis=1)
        used = _carryover(pooled, baseline, charts)
        memory = np.repeat(np.sqrt((1 + used) / (1 - used)), charts)[:, None]
    else:
        memory = np.ones((sims, 1))
    return np.abs(z).max(axis=1), _cusum_max(z / memory)


def budget_for(
    points: int,
    *,
    baseline: int,
    charts: int = 1,
    report_false_alarm: float = REPORT_FALSE_ALARM,
    phi: float = 0.0,
    pooled_charts: int = 1,
) -> Budget:
    """Thresholds giving a stable chart its share of the report's false-alarm budget.

    ``phi`` is the measure's carry-over (see ``carryover``), estimated from the baselines
    of ``pooled_charts`` charts; the thresholds are calibrated for a stable AR(1) with it.
    """
    alpha = chart_false_alarm(charts, report_false_alarm)
    points = max(points, 2)
    baseline = min(max(baseline, 2), points)
    grid = round(round(min(max(phi, 0.0), MAX_CARRYOVER) / CARRYOVER_STEP) * CARRYOVER_STEP, 2)
    top_z, top_cusum = _null_maxima(points, baseline, grid, max(1, pooled_charts))
    return Budget(
        charts,
        report_false_alarm,
        alpha,
        float(np.quantile(top_z, 1 - alpha / 2)),
        float(np.quantile(top_cusum, 1 - alpha / 2)),
        grid,
        max(1, pooled_charts),
    )


# ---------------------------------------------------------------- signal rules


def detect_signals(
    values: Numbers,
    center: float,
    sigma: Numbers,
    *,
    limit: float = 3.0,
    cusum_threshold: float = 5.0,
    memory: float = 1.0,
) -> list[tuple[str, int, tuple[int, ...], int]]:
    """(rule, first point, every point of the run, point where it fired) per signal.

    A point beyond ``limit`` sigma is a signal of its own. A sustained shift is found by
    the two-sided CUSUM crossing ``cusum_threshold``: the run starts at the point after
    the CUSUM last stood at zero (the change point it estimates) and lasts while the CUSUM
    stays above zero; overlapping alarms on one side are one signal.
    """
    x = np.asarray(values, dtype=float)
    s = np.asarray(sigma, dtype=float)
    ok = np.isfinite(s) & (s > 0)
    z = np.where(ok, (x - center) / np.where(ok, s, 1.0), 0.0)
    found: list[tuple[str, int, tuple[int, ...], int]] = [
        (RULE_LIMITS, i, (i,), i) for i in range(len(z)) if abs(z[i]) > limit
    ]
    for sign in (1.0, -1.0):
        level, began, fired = 0.0, 0, -1
        for i, value in enumerate(sign * z / memory):
            level = max(0.0, level + value - CUSUM_REFERENCE)
            if level == 0.0:
                if fired >= 0:
                    found.append((RULE_SHIFT, began, tuple(range(began, i)), fired))
                began, fired = i + 1, -1
            elif level > cusum_threshold and fired < 0:
                fired = i
        if fired >= 0:
            found.append((RULE_SHIFT, began, tuple(range(began, len(z))), fired))
    return sorted(found, key=lambda f: (f[1], f[0]))


def classic_signals(values: Numbers, center: float, sigma: Numbers) -> list[tuple[str, int]]:
    """(rule, index) where the classic four Western Electric rules complete a pattern.

    Kept for callers that judge one series on its own (voice's emerging themes, which set
    their own guards); report charts use ``detect_signals`` under the shared budget.
    """
    x = np.asarray(values, dtype=float)
    s = np.asarray(sigma, dtype=float)
    z = np.where(s > 0, (x - center) / np.where(s > 0, s, 1), 0.0)
    found: list[tuple[str, int]] = []
    for i in range(len(x)):
        if abs(z[i]) > 3:
            found.append(("point beyond the limits", i))
        if i >= 7:
            window = z[i - 7 : i + 1]
            if (window > 0).all() or (window < 0).all():
                found.append(("run of 8 on one side of the centre line", i))
        if i >= 2:
            window = z[i - 2 : i + 1]
            if (window > 2).sum() >= 2 or (window < -2).sum() >= 2:
                found.append(("2 of 3 points beyond 2 sigma", i))
        if i >= 5:
            steps = np.diff(x[i - 5 : i + 1])
            if (steps > 0).all() or (steps < 0).all():
                found.append(("trend of 6 points rising or falling", i))
    return found


def _phase(
    kind: ChartKind,
    values: np.ndarray,
    n: np.ndarray,
    start: int,
    end: int,
    label: str,
    baseline: int,
) -> Phase:
    stop = min(end, start + baseline)
    base = slice(start, stop)
    if kind == "p":
        center = p_center(values[base] * n[base], n[base])
        factor = laney_factor(values[base], center, n[base])
        sigma = tuple(factor * s for s in p_sigma(center, n[start:end]))
        spread = np.asarray(sigma[: stop - start])
        ok = np.isfinite(spread) & (spread > 0)
        z = np.where(ok, (values[base] - center) / np.where(ok, spread, 1.0), 0.0)
        return Phase(
            start,
            end,
            label,
            center,
            sigma,
            factor,
            baseline=(start, stop),
            lag1=lag1_autocorrelation(z),
        )
    center = float(values[base].mean())
    sigma_x = robust_sigma(values[base])
    return Phase(
        start,
        end,
        label,
        center,
        tuple([sigma_x] * (end - start)),
        baseline=(start, stop),
        lag1=lag1_autocorrelation(values[base]),
    )


def _judge(chart: ControlChart, budget: Budget) -> ControlChart:
    """Signals and reading of ``chart`` under ``budget``."""
    x = np.asarray(chart.values, dtype=float)
    counts = np.asarray(chart.n, dtype=float)
    memory = _memory(budget.carryover)
    phases = tuple(replace(p, width=budget.limit_sigmas, memory=memory) for p in chart.phases)
    signals: list[Signal] = []
    for k, phase in enumerate(phases):
        judge = phases[k - 1] if k else phase
        if chart.kind == "p":
            binomial = p_sigma(judge.center, counts[phase.start : phase.end])
            sigma = [judge.laney * v for v in binomial]
        else:
            sigma = [judge.sigma[0]] * (phase.end - phase.start)
        for rule, first, points, fired in detect_signals(
            x[phase.start : phase.end],
            judge.center,
            sigma,
            limit=budget.limit_sigmas,
            cusum_threshold=budget.cusum_threshold,
            memory=judge.memory,
        ):
            signals.append(
                Signal(
                    rule,
                    phase.start + first,
                    judge.label,
                    tuple(phase.start + i for i in points),
                    phase.start + fired,
                )
            )
    judged = replace(chart, phases=phases, signals=tuple(signals), budget=budget)
    return replace(judged, reading=read_chart(judged, unit=chart.unit) + chart.note)


def control_chart(
    title: str,
    periods: Sequence[str],
    values: Numbers,
    *,
    kind: ChartKind,
    n: Sequence[int] | None = None,
    changes: Sequence[tuple[int, str]] = (),
    baseline_points: int = BASELINE_POINTS,
    unit: str = "",
    charts_in_report: int = 1,
    report_false_alarm: float = REPORT_FALSE_ALARM,
    measure: str = "",
) -> ControlChart:
    """A chart with phases split at ``changes`` (point index, label) and its signals.

    ``charts_in_report`` charts share ``report_false_alarm``; ``within_budget`` re-judges
    a finished set of charts once their number is known, pooling the carry-over of the
    charts that share a ``measure`` (alone, a chart's phi comes from its own baseline).
    """
    x = np.asarray(values, dtype=float)
    counts = np.asarray(n if n is not None else np.ones(len(x)), dtype=float)
    cuts = sorted({i for i, _ in changes if 0 < i < len(x)})
    labels = dict(changes)
    bounds = [0, *cuts, len(x)]
    phases = [
        _phase(kind, x, counts, a, b, "baseline" if a == 0 else labels[a], baseline_points)
        for a, b in itertools.pairwise(bounds)
    ]
    chart = ControlChart(
        title,
        kind,
        tuple(periods),
        tuple(float(v) for v in x),
        tuple(int(c) for c in counts),
        tuple(phases),
        unit=unit,
        measure=measure,
    )
    base = phases[0].baseline[1] - phases[0].baseline[0]
    budget = budget_for(
        len(x),
        baseline=base,
        charts=charts_in_report,
        report_false_alarm=report_false_alarm,
        phi=carryover(phases[0].lag1, baseline=base),
    )
    return _judge(chart, budget)


def with_note(chart: ControlChart, note: str) -> ControlChart:
    """The chart with ``note`` appended to its reading (kept when it is re-judged)."""
    return replace(chart, note=chart.note + note, reading=chart.reading + note)


def within_budget(
    charts: Sequence[ControlChart], *, report_false_alarm: float = REPORT_FALSE_ALARM
) -> list[ControlChart]:
    """Re-judge every chart of a report so that together they share one false-alarm budget.

    Charts of one ``measure`` (its units and their total) share one carry-over estimate:
    the mean lag-1 autocorrelation of their baselines (charts without a measure stand alone).
    """
    total = len(charts)
    families: dict[str, list[int]] = {}
    for i, chart in enumerate(charts):
        families.setdefault(chart.measure or f"\0{i}", []).append(i)
    out: list[ControlChart | None] = [None] * total
    for members in families.values():
        bases = [_baseline_length(charts[i]) for i in members]
        mean_lag1 = float(np.mean([charts[i].phases[0].lag1 for i in members]))
        phi = carryover(mean_lag1, baseline=round(sum(bases) / len(bases)), charts=len(members))
        for i, base in zip(members, bases, strict=True):
            budget = budget_for(
                len(charts[i].values),
                baseline=base,
                charts=total,
                report_false_alarm=report_false_alarm,
                phi=phi,
                pooled_charts=len(members),
            )
            out[i] = _judge(charts[i], budget)
    return [c for c in out if c is not None]


def _baseline_length(chart: ControlChart) -> int:
    first = chart.phases[0]
    return first.baseline[1] - first.baseline[0]


def _budget_words(chart: ControlChart) -> str:
    b = chart.budget
    if b is None:
        return ""
    first = chart.phases[0]
    lo, hi = first.baseline
    base = (
        f"Limits from the baseline {chart.periods[lo]} to {chart.periods[hi - 1]} "
        f"({hi - lo} points)"
        if hi > lo
        else "Limits from the baseline"
    )
    return (
        f" {base}; with {b.charts} chart{'s' if b.charts > 1 else ''} sharing a "
        f"{b.report_false_alarm:.0%} false-alarm budget, a stable chart signals by chance "
        f"{b.chart_false_alarm:.2%} of the time"
        + (
            f", months carrying over {b.carryover:.2f} (AR(1), from "
            f"{b.pooled_charts} chart{'s baselines' if b.pooled_charts > 1 else ' baseline'})."
            if b.carryover > 0
            else "."
        )
    )


def read_chart(chart: ControlChart, *, unit: str = "") -> str:
    """One sentence: signal or only noise, in words, and the baseline and budget."""
    budget = _budget_words(chart)
    if not chart.signals:
        return (
            f"{chart.title}: only noise. No point beyond the limits and no sustained shift; "
            f"do not react to individual ups and downs.{budget}"
        )
    after_change = [s for s in chart.signals if s.index >= chart.phases[0].end]
    first = min(chart.signals, key=lambda s: s.index)
    rules = sorted({s.rule for s in chart.signals})
    if after_change and len(chart.phases) > 1:
        before, after = chart.phases[-2], chart.phases[-1]
        direction = "up" if after.center > before.center else "down"
        return (
            f"{chart.title}: signal. Since {after.label} ({chart.periods[after.start]}), the "
            f"process has moved {direction} from {before.center:.3g}{unit} to "
            f"{after.center:.3g}{unit} ({'; '.join(rules)}): a real change, not noise."
            f"{budget}"
        )
    last = max(max(s.points or (s.index,)) for s in chart.signals)
    return (
        f"{chart.title}: signal from {chart.periods[first.index]} to {chart.periods[last]} "
        f"({'; '.join(rules)}). Something changed the process; find out what before "
        f"reacting.{budget}"
    )
