"""Control charts (Shewhart, as taught by Wheeler and Deming): XmR and p-charts.

Limits come from a baseline; signals are judged by four rules (beyond 3 sigma; a run of 8
on one side of the centre; 2 of 3 beyond 2 sigma on one side; a trend of 6 rising or
falling). Limits are recomputed only where an initiative marks a process change, and the
points after a change are judged against the limits from before it, which is how a real
improvement shows up as a signal instead of being absorbed into new limits.

Written here rather than taken from a library: the statistics are a few lines, and the
phase logic (judge after-change points against before-change limits) is not what the
available packages do.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Union

import numpy as np
import numpy.typing as npt

Numbers = Union[Sequence[float], npt.NDArray[np.float64]]  # noqa: UP007
XMR_SIGMA_FACTOR = 1.128  # d2 for moving ranges of two: sigma = average moving range / d2
BASELINE_POINTS = 20
ChartKind = Literal["XmR", "p"]


@dataclass(frozen=True)
class Phase:
    start: int  # first point index (inclusive)
    end: int  # last point index (exclusive)
    label: str
    center: float
    sigma: tuple[float, ...]  # per point of the phase (constant for XmR)
    laney: float = 1.0  # p-charts: how much wider than binomial the variation is

    @property
    def lower(self) -> list[float]:
        return [self.center - 3 * s for s in self.sigma]

    @property
    def upper(self) -> list[float]:
        return [self.center + 3 * s for s in self.sigma]


@dataclass(frozen=True)
class Signal:
    rule: str
    index: int
    judged_against: str  # label of the phase whose limits were used


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

    @property
    def has_signal(self) -> bool:
        return bool(self.signals)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["phases"] = [{**asdict(p), "lower": p.lower, "upper": p.upper} for p in self.phases]
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


def p_center(counts: Numbers, n: Numbers) -> float:
    return float(np.sum(counts) / np.sum(n))


def p_sigma(center: float, n: Numbers) -> list[float]:
    return [float(np.sqrt(center * (1 - center) / k)) if k else float("inf") for k in n]


def detect_signals(values: Numbers, center: float, sigma: Numbers) -> list[tuple[str, int]]:
    """(rule, index) for every point that completes a signal pattern."""
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
    base = slice(start, min(end, start + baseline))
    if kind == "p":
        center = p_center(values[base] * n[base], n[base])
        factor = laney_factor(values[base], center, n[base])
        sigma = tuple(factor * s for s in p_sigma(center, n[start:end]))
        return Phase(start, end, label, center, sigma, factor)
    center = float(values[base].mean())
    return Phase(start, end, label, center, tuple([robust_sigma(values[base])] * (end - start)))


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
) -> ControlChart:
    """A chart with phases split at ``changes`` (point index, label) and its signals."""
    x = np.asarray(values, dtype=float)
    counts = np.asarray(n if n is not None else np.ones(len(x)), dtype=float)
    cuts = sorted({i for i, _ in changes if 0 < i < len(x)})
    labels = dict(changes)
    bounds = [0, *cuts, len(x)]
    phases = [
        _phase(kind, x, counts, a, b, "baseline" if a == 0 else labels[a], baseline_points)
        for a, b in itertools.pairwise(bounds)
    ]
    signals: list[Signal] = []
    for k, phase in enumerate(phases):
        judge = phases[k - 1] if k else phase
        if kind == "p":
            # This phase's points, with their own counts, against the judging phase's
            # centre and overdispersion.
            binomial = p_sigma(judge.center, counts[phase.start : phase.end])
            sigma = [judge.laney * v for v in binomial]
        else:
            sigma = [judge.sigma[0]] * (phase.end - phase.start)
        for rule, i in detect_signals(x[phase.start : phase.end], judge.center, sigma):
            signals.append(Signal(rule, phase.start + i, judge.label))
    chart = ControlChart(
        title,
        kind,
        tuple(periods),
        tuple(float(v) for v in x),
        tuple(int(c) for c in counts),
        tuple(phases),
        tuple(signals),
    )
    return ControlChart(**{**chart.__dict__, "reading": read_chart(chart, unit=unit)})


def read_chart(chart: ControlChart, *, unit: str = "") -> str:
    """One sentence: signal or only noise, in words."""
    if not chart.signals:
        return (
            f"{chart.title}: only noise. Every point lies within the limits, with no runs or "
            "trends; do not react to individual ups and downs."
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
        )
    return (
        f"{chart.title}: signal from {chart.periods[first.index]} ({'; '.join(rules)}). "
        "Something changed the process; find out what before reacting."
    )
