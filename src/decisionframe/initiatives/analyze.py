"""Did it work? One effect per initiative and measure, from the design the data allows.

Steps stay separate: ``choose_design`` (identify), the design's estimator (estimate),
``run_placebos`` (refute), ``judge`` (verdict).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from decisionframe.config import DemandRules
from decisionframe.initiatives import designs as d
from decisionframe.initiatives.failure_demand import MEASURE, failure_demand_panels
from decisionframe.initiatives.multiplicity import adjusted_p_values, rule_sentence
from decisionframe.initiatives.panel import (
    Initiative,
    MeasureWords,
    Panel,
    outcome_panels,
    read_initiatives,
    series_panels,
    touchpoint_panels,
)
from decisionframe.initiatives.placebos import (
    LeftOut,
    PlaceboDate,
    Placebos,
    placebo_starts,
    pre_trend,
    problems_of,
)
from decisionframe.initiatives.verdict import judge
from decisionframe.numbers import plural
from decisionframe.results import Result
from decisionframe.store import Store

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Design:
    """Which design, on which units, and why (one sentence)."""

    name: str  # its | did | staggered | synthetic_control | none
    why: str
    treated: tuple[str, ...] = ()
    comparison: tuple[str, ...] = ()
    not_yet: bool = False


@dataclass(frozen=True)
class EventPoint:
    """An event-study estimate: the effect so many months from the start."""

    months: int
    estimate: float


@dataclass(frozen=True)
class InitiativeEffect:
    initiative_id: str
    name: str
    measure: str
    design: str
    why: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    inference: str
    verdict: str
    sentence: str
    treated_units: int
    comparison_units: int
    months_before: int
    months_after: int
    placebos: Placebos
    event_study: tuple[EventPoint, ...] = ()
    hoped: str | None = None  # increase | decrease | None (then "rose"/"fell")
    meaningful: float | None = None  # what "no detectable effect" must rule out either way
    p_adjusted: float | None = None  # over the run's effects (multiplicity.py); None: one
    label: str = ""  # the measure in words (panel.measure_words)
    unit: str = ""  # share (estimates are differences in the share, 0.05 = 5 points) | days | ...
    noun: str | None = None  # what a share counts

    @property
    def words(self) -> MeasureWords:
        return MeasureWords(self.label or self.measure.replace("_", " "), self.unit, self.noun)


@dataclass(frozen=True)
class InitiativesResult(Result):
    kind: ClassVar[str] = "initiatives"
    initiatives: tuple[InitiativeEffect, ...]
    notes: tuple[str, ...] = ()
    multiplicity: str = ""  # the rule across the run's effects, in words

    def summary(self) -> str:
        if not self.initiatives:
            return "No initiative could be evaluated. " + " ".join(self.notes)
        counts: dict[str, int] = {}
        for e in self.initiatives:
            counts[e.verdict] = counts.get(e.verdict, 0) + 1
        ids = len({e.initiative_id for e in self.initiatives})
        words = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        return f"{plural(ids, 'initiative')}, {plural(len(self.initiatives), 'effect')}: {words}."

    def to_frame(self) -> pd.DataFrame:
        columns = ["initiative_id", "measure", "design", "estimate", "ci_low", "ci_high"]
        return pd.DataFrame(
            [
                {**{c: getattr(e, c) for c in columns}, "verdict": e.verdict}
                for e in self.initiatives
            ]
        )


# ---------------------------------------------------------------- identify


def _comparison_pool(
    panel: Panel, initiative: Initiative, others: list[Initiative]
) -> tuple[np.ndarray, np.ndarray]:
    """Start month per unit, and which units may serve (not touched by another initiative
    aimed at this measure during the window)."""
    start = initiative.start_index(panel)
    horizon = len(panel.periods)
    usable = np.ones(len(panel.units), dtype=bool)
    for other in others:
        if other.initiative_id == initiative.initiative_id or not other.targets(panel.measure):
            continue
        usable &= other.start_index(panel) >= horizon
    usable |= start < horizon
    return start, usable


def choose_design(start: np.ndarray, units: tuple[str, ...], horizon: int) -> Design:
    """The design the data allows, with the one-sentence reason.

    ``start`` is each unit's first treated month; ``horizon`` (the number of months) marks
    a unit that never started within the window.
    """
    treated = start < horizon
    t_units = tuple(u for u, t in zip(units, treated, strict=True) if t)
    c_units = tuple(u for u, t in zip(units, treated, strict=True) if not t)
    cohorts = np.unique(start[treated])
    if not c_units and len(cohorts) == 1:
        return Design(
            "its",
            "Every unit started at once and none is left to compare with, so the design is "
            "an interrupted time series: the months after are compared with the trend and "
            "season of the months before.",
            t_units,
        )
    if len(cohorts) > 1:
        if c_units:
            why = (
                f"Units started at {len(cohorts)} different times and {len(c_units)} never "
                "did, so each wave is compared with the units that never started "
                "(Callaway-Sant'Anna), never early starters with late ones."
            )
        else:
            why = (
                f"Units started at {len(cohorts)} different times and every unit eventually "
                "did, so each wave is compared with the units that had not yet started "
                "(Callaway-Sant'Anna)."
            )
        return Design("staggered", why, t_units, c_units, not_yet=not c_units)
    if len(t_units) == 1 and 2 <= len(c_units) < d.MIN_UNITS_FOR_ONE_TREATED_DID - 1:
        return Design(
            "synthetic_control",
            f"One unit started and {len(c_units)} did not, so the comparison is a weighted "
            "blend of those units that tracked it before the start (synthetic control).",
            t_units,
            c_units,
        )
    if (len(t_units) >= 2 and len(c_units) >= 1) or (len(t_units) == 1 and len(c_units) >= 2):
        few = (
            ""
            if len(t_units) > 1
            else " Synthetic control is not needed: with this many comparison units "
            "randomization over which unit was treated can reach 5% on its own."
        )
        return Design(
            "did",
            f"{len(t_units)} unit{'s' if len(t_units) > 1 else ''} started on one date and "
            f"{len(c_units)} did not, so the change in the first is compared with the change "
            f"in the others (difference-in-differences).{few}",
            t_units,
            c_units,
        )
    return Design(
        "none",
        "One unit started and only one other is left to compare with: no design can tell "
        "its change from that unit's.",
        t_units,
        c_units,
    )


# ---------------------------------------------------------------- estimate and refute


def _fit(design: Design, y: np.ndarray, start: np.ndarray, *, seed: int) -> d.Estimate:
    horizon = y.shape[1]
    if design.name == "its":
        return d.estimate_its(y.mean(axis=0), int(start.min()))
    if design.name == "synthetic_control":
        treated = start < horizon
        return d.estimate_synthetic(y[treated][0], y[~treated], int(start[treated][0]))
    if design.name == "staggered":
        return d.estimate_staggered(y, start, not_yet=design.not_yet, seed=seed)
    return d.estimate_did(y, start, seed=seed)


def _point(design: Design, y: np.ndarray, start: np.ndarray) -> float:
    horizon = y.shape[1]
    treated = start < horizon
    if design.name == "its":
        return d.estimate_its(y.mean(axis=0), int(start.min())).estimate
    if design.name == "synthetic_control":
        t0 = int(start[treated][0])
        return float(d.synth_gap(y[treated][0], y[~treated], t0)[t0:].mean())
    if design.name == "staggered":
        return d.cs_att(y, start, not_yet=design.not_yet)
    return d.did_att(y, start)


def feasible(design: Design, y: np.ndarray, start: np.ndarray) -> tuple[float, float]:
    """The range a share's effect can take, from the shares observed after the start.

    An effect is the observed share after the start minus the share there would have been
    without the initiative; that counterfactual share lies in [0, 1], so an effect on cells
    whose observed mean is m lies in [m - 1, m]. Interrupted time series, difference-in-
    differences and synthetic control average the treated months after the start with
    equal weights, so m is their mean; the staggered estimator weights its cells by cohort,
    so the range is taken over every treated cell ([min - 1, max]), wider but valid for any
    weights.
    """
    horizon = y.shape[1]
    if design.name == "its":
        m = float(y.mean(axis=0)[int(start.min()) :].mean())
        return m - 1.0, m
    treated = np.flatnonzero(start < horizon)
    cells = np.concatenate([y[i, int(start[i]) :] for i in treated])
    if design.name == "staggered":
        return float(cells.min()) - 1.0, float(cells.max())
    if design.name == "did":
        m = float(y[treated, int(start[treated].min()) :].mean())
    else:
        m = float(cells.mean())
    return m - 1.0, m


def bounded(estimate: d.Estimate, low: float, high: float) -> d.Estimate:
    """The estimate and its interval intersected with the feasible range ``[low, high]``.

    The interval is computed on the share's own (additive) scale, where the designs and
    their inference are defined, then intersected with the range the effect can take: a
    confidence set intersected with the parameter space keeps its coverage, since the true
    effect lies in both. A share therefore never reads '-1.5 to +0.29'.
    """
    return replace(
        estimate,
        estimate=min(max(estimate.estimate, low), high),
        ci_low=min(max(estimate.ci_low, low), high),
        ci_high=max(min(estimate.ci_high, high), low),
    )


def run_placebos(
    design: Design,
    y: np.ndarray,
    start: np.ndarray,
    units: tuple[str, ...],
    estimate: d.Estimate,
    *,
    seed: int,
) -> Placebos:
    horizon = y.shape[1]
    t0 = int(start.min())
    dates = []
    pretend = placebo_starts(t0)
    for s in pretend:
        before = y[:, :t0]
        fake = np.where(start < horizon, s, t0)
        if design.name == "staggered":
            fake_design = Design("did", "", not_yet=False) if (start >= horizon).any() else None
            if fake_design is None:
                # every unit eventually starts: the last wave is the comparison before t0
                fake = np.where(start == start.max(), t0, s)
                fake_design = Design("did", "")
        else:
            fake_design = design
        if fake_design.name == "its":
            fake = np.full(len(start), s)
        fit = _fit(fake_design, before, fake, seed=seed)
        dates.append(PlaceboDate(t0 - s, fit.estimate, fit.ci_low, fit.ci_high))
    note = "" if pretend else f"too few months before the start ({t0}) for pretend dates"
    units_p, units_n = None, 0
    if design.name in ("did", "staggered"):
        units_p, units_n = estimate.p_value, estimate.assignments
    elif design.name == "synthetic_control":
        units_p, units_n = _synthetic_placebo_units(y, start)
    loo = []
    if len(units) >= 3:
        for i, unit in enumerate(units):
            keep = np.arange(len(units)) != i
            sub_start = start[keep]
            sub = (
                Design(design.name, "", not_yet=design.not_yet)
                if design.name != "synthetic_control" or (sub_start < horizon).any()
                else None
            )
            if sub is None or not _still_valid(sub, sub_start, horizon):
                continue
            value = _point(sub, y[keep], sub_start)
            if np.isfinite(value):
                loo.append(LeftOut(unit, float(value)))
    trend = None
    if design.name == "did" or (design.name == "staggered" and not design.not_yet):
        trend = pre_trend(y, t0, start < horizon, estimate.estimate, seed=seed)
    elif design.name == "staggered":
        trend = pre_trend(y, t0, start < start.max(), estimate.estimate, seed=seed)
    placebos = Placebos(tuple(dates), note, units_p, units_n, tuple(loo), trend)
    problems = problems_of(estimate.excludes_zero, estimate.estimate, placebos)
    return Placebos(tuple(dates), note, units_p, units_n, tuple(loo), trend, tuple(problems))


def _still_valid(design: Design, start: np.ndarray, horizon: int) -> bool:
    treated = start < horizon
    if design.name == "its":
        return True
    if not treated.any():
        return False
    if design.name == "staggered" and design.not_yet:
        return len(np.unique(start)) > 1
    return bool((~treated).sum() >= (2 if design.name == "synthetic_control" else 1))


def _synthetic_placebo_units(y: np.ndarray, start: np.ndarray) -> tuple[float, int]:
    """Each unit in turn as the treated one (Abadie, Diamond and Hainmueller 2010).

    The statistic is the unit's mean gap after the start divided by its fit error before
    (root mean squared gap), in absolute value: signed, it asks whether the unit moved
    away from its synthetic control on average, which a constant effect does; the usual
    after/before RMSPE ratio also grows with noise after the start and says nothing of
    direction. The p-value counts the treated unit itself among the placebos (Firpo and
    Possebom 2018), so with n units it is at least 1/n.
    """
    horizon = y.shape[1]
    treated = np.flatnonzero(start < horizon)[0]
    t0 = int(start[treated])
    ratios = []
    for i in range(len(y)):
        donors = np.delete(y, [i, treated] if i != treated else [i], axis=0)
        if len(donors) < 2:
            continue
        gap = d.synth_gap(y[i], donors, t0)
        pre = float(np.sqrt(np.mean(gap[:t0] ** 2)))
        ratios.append((i == treated, abs(float(gap[t0:].mean())) / max(pre, 1e-12)))
    actual = next(r for is_t, r in ratios if is_t)
    return float(np.mean([r >= actual * (1 - 1e-9) for _, r in ratios])), len(ratios)


# ---------------------------------------------------------------- the whole analysis


def evaluate_initiative(
    initiative: Initiative, panel: Panel, *, others: list[Initiative], seed: int = 0
) -> InitiativeEffect | None:
    """The effect of one initiative on one measure (None: it did not touch these units)."""
    start, usable = _comparison_pool(panel, initiative, others)
    horizon = len(panel.periods)
    if not (start < horizon).any():
        return None
    y = panel.values[usable]
    units = tuple(u for u, k in zip(panel.units, usable, strict=True) if k)
    start = start[usable]
    design = choose_design(start, units, horizon)
    t0, last = int(start.min()), int(start[start < horizon].max())
    base: dict[str, Any] = {
        "initiative_id": initiative.initiative_id,
        "name": initiative.name,
        "measure": panel.measure,
        "treated_units": len(design.treated),
        "comparison_units": len(design.comparison),
        "months_before": t0,
        "months_after": horizon - t0,
    }
    words = panel.words
    min_pre = d.MIN_PRE if design.name in ("its", "synthetic_control") else d.MIN_PRE_COMPARED
    estimate: d.Estimate | None = None
    why = ""
    if t0 < min_pre or horizon - last < d.MIN_POST or design.name == "none":
        why = (
            design.why
            if design.name == "none"
            else (
                f"Too few periods to judge: {t0} before the start and {horizon - last} after the "
                f"last wave (at least {min_pre} before and {d.MIN_POST} after are needed)."
            )
        )
    else:
        estimate = _fit(design, y, start, seed=seed)
        if words.unit == "share":
            low, high = feasible(design, y, start)
            if not low <= estimate.estimate <= high:
                # the counterfactual the design extends (a trend, a blend of units) leaves
                # [0, 1]: the design does not fit a share this close to its bound
                why = (
                    f"{design.why} But the share it predicts without the initiative falls "
                    "outside 0% to 100% (the trend before the start cannot continue that "
                    "far), so this design gives no estimate here."
                )
                estimate = None
            else:
                estimate = bounded(estimate, low, high)
    if estimate is None:
        return InitiativeEffect(
            **base,
            design="none",
            why=why,
            estimate=None,
            ci_low=None,
            ci_high=None,
            p_value=None,
            inference="",
            verdict="inconclusive",
            sentence=f"{initiative.name} on {words.label}: inconclusive. {why}",
            label=words.label,
            unit=words.unit,
            noun=words.noun,
            placebos=Placebos(),
        )
    placebos = run_placebos(design, y, start, units, estimate, seed=seed)
    pre_sd = float(np.std(y[:, :t0], ddof=1)) if y[:, :t0].size > 1 else 0.0
    verdict, sentence = judge(
        initiative.name,
        words,
        estimate,
        placebos,
        hoped=initiative.hoped(panel.measure),
        meaningful=0.5 * pre_sd,
    )
    return InitiativeEffect(
        **base,
        design=design.name,
        why=design.why,
        estimate=estimate.estimate,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        p_value=estimate.p_value,
        inference=estimate.inference,
        verdict=verdict,
        sentence=sentence,
        placebos=placebos,
        event_study=tuple(EventPoint(m, v) for m, v in estimate.event_study),
        hoped=initiative.hoped(panel.measure),
        meaningful=0.5 * pre_sd,
        label=words.label,
        unit=words.unit,
        noun=words.noun,
    )


def _as_estimate(e: InitiativeEffect) -> d.Estimate | None:
    """The effect's estimate again, for judging (None: no design gave one)."""
    if e.estimate is None or e.ci_low is None or e.ci_high is None or e.p_value is None:
        return None
    return d.Estimate(e.design, e.estimate, e.ci_low, e.ci_high, e.p_value, e.inference)


def adjust_for_multiplicity(
    effects: Sequence[InitiativeEffect],
) -> tuple[tuple[InitiativeEffect, ...], str]:
    """The run's effects judged again under one rule across them all, and the rule's words.

    Every effect with a p-value is one test of the family (``multiplicity``: Benjamini-
    Hochberg); its verdict and sentence are redone with its adjusted p-value.
    """
    tested = {k: _as_estimate(e) for k, e in enumerate(effects)}
    tested = {k: v for k, v in tested.items() if v is not None}
    adjusted = adjusted_p_values([v.p_value for v in tested.values() if v is not None])
    out = list(effects)
    for (k, estimate), p_adj in zip(tested.items(), adjusted, strict=True):
        e = effects[k]
        assert estimate is not None
        verdict, sentence = judge(
            e.name,
            e.words,
            estimate,
            e.placebos,
            hoped=e.hoped,
            meaningful=float(e.meaningful or 0.0),
            p_adjusted=p_adj,
            tests=len(tested),
        )
        out[k] = replace(e, verdict=verdict, sentence=sentence, p_adjusted=p_adj)
    return tuple(out), rule_sentence(len(tested))


def evaluate_initiatives(
    store: Store,
    *,
    min_cell_size: int = 11,
    seed: int = 0,
    progress: Progress | None = None,
    demand_rules: DemandRules | None = None,
) -> InitiativesResult:
    """Every initiative on every measure it targets (all measures when it names none).

    With ``demand_rules`` (the project's ``demand`` settings) the contacts are classified as
    value or failure demand and ``failure_demand_share`` is one of the measures.
    """
    found = read_initiatives(store)
    if not found:
        return InitiativesResult((), ("No initiatives table, or it is empty.",))
    panels = [
        *series_panels(store),
        *touchpoint_panels(store, min_n=min_cell_size),
        *outcome_panels(store, min_n=min_cell_size),
    ]
    if demand_rules is not None and any(i.targets(MEASURE) for i in found):
        panels += failure_demand_panels(store, rules=demand_rules, min_n=min_cell_size)
    if not panels:
        return InitiativesResult((), ("No monthly measure with at least six months found.",))
    pairs = [(i, p) for i in found for p in panels if i.targets(p.measure)]
    effects = []
    notes = []
    for k, (initiative, panel) in enumerate(pairs):
        effect = evaluate_initiative(initiative, panel, others=found, seed=seed)
        if effect is not None:
            effects.append(effect)
        if panel.dropped_units:
            notes.append(
                f"{panel.measure}: {panel.dropped_units} units left out for missing months."
            )
        if progress:
            progress(k + 1, len(pairs))
    judged, rule = adjust_for_multiplicity(effects)
    return InitiativesResult(judged, tuple(dict.fromkeys(notes)), rule)
