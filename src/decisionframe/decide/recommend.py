"""One recommendation: the best plan among uniform options, budget splits and targeting.

Every output (the CLI, the decide JSON, the report) states the plan through
``Recommendation.sentence()``, so no two outputs can name different plans.

Rule: the plan with the most expected outcomes among uniform plans and splits; a targeted
plan replaces it only when (1) it gains more with probability at least
``TARGETING_THRESHOLD`` (80%) and (2) its expected gain over that plan is at least
``TARGETING_BAR`` times its own expected loss. Expected loss is measured against the best
allocation in each posterior draw (``plans.Oracle``), not against the other candidates.

Why (2): a targeted plan is built and judged on the same posterior, and picked as the best
of several segmentations, so its gain is optimistic (the winner's curse). When segments
really differ, the plan captures most of what knowing the effects would allow, and its
gain dwarfs its remaining loss; when they differ only by noise, the best allocation per
draw chases that noise in every direction and the fixed plan captures little of it: its
gain is small against its loss. The bar asks targeting to close at least half of the gap
between the best plan for everyone and knowing the effects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from decisionframe.decide.inputs import LeftOut
from decisionframe.decide.plans import (
    ALL_CLIENTS,
    SEGMENT_SUPPORT,
    Candidate,
    GainModel,
    Oracle,
)
from decisionframe.decide.pooling import PooledSegment
from decisionframe.numbers import probability, sig, signed

TARGETING_THRESHOLD = 0.8
TARGETING_BAR = 1.0
PlanKind = Literal["uniform", "split", "targeted"]


@dataclass(frozen=True)
class Band:
    """Mean and 90% interval (5th to 95th percentile) over the Monte Carlo draws."""

    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, draws: np.ndarray) -> Band:
        low, high = np.percentile(draws, [5, 95])
        return cls(float(draws.mean()), float(low), float(high))


@dataclass(frozen=True)
class Assignment:
    segment: str
    option: str
    clients: float


@dataclass(frozen=True)
class PlanSummary:
    """A plan as every output names it."""

    kind: PlanKind
    variable: str | None
    plan: tuple[Assignment, ...]
    label: str
    outcomes: Band
    p_best: float
    expected_loss: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanSummary:
        return cls(**_plan_fields(data))


def _plan_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The fields every plan has (a candidate's summary and the recommendation alike), read
    back from their JSON: one reader, so the two cannot drift apart."""
    return {
        "kind": data["kind"],
        "variable": data["variable"],
        "plan": tuple(Assignment(**a) for a in data["plan"]),
        "label": data["label"],
        "outcomes": Band(**data["outcomes"]),
        "p_best": float(data["p_best"]),
        "expected_loss": float(data["expected_loss"]),
    }


@dataclass(frozen=True)
class Recommendation:
    kind: PlanKind
    variable: str | None  # the segment variable a targeted plan uses
    plan: tuple[Assignment, ...]  # option per segment, or the split
    label: str
    outcomes: Band
    p_best: float  # probability it is the best of all candidate plans
    expected_loss: float  # against the best allocation per draw
    runner_up: PlanSummary | None
    margin: Band | None  # outcomes over the runner-up
    p_beats_runner_up: float | None
    targeting_threshold: float
    targeting_note: str
    rests_on: tuple[PooledSegment, ...]  # segment estimates a targeted plan rests on
    candidates: tuple[PlanSummary, ...]
    objective_label: str
    left_out: tuple[LeftOut, ...] = ()  # levers not counted: no estimated effect
    population: int | None = None  # clients the decision is about (the analysis frame)

    @property
    def unserved(self) -> float:
        """Clients the plan serves with no option: the budget ran out before them."""
        if self.population is None:
            return 0.0
        return max(0.0, self.population - sum(a.clients for a in self.plan))

    def _unserved_words(self) -> str:
        # A plan naming 2,121 clients of 3,000 says nothing of the other 879 unless told.
        if self.population is None or self.unserved < 0.5:
            return ""
        return (
            f" The budget leaves {self.unserved:,.0f} of {self.population:,} clients "
            "without either option."
        )

    def sentence(self) -> str:
        """The one sentence every output uses to state the decision."""
        head = (
            f"Choose {self.label}: {self.outcomes.mean:,.0f} more clients "
            f"{self.objective_label} than without us (90% interval {self.outcomes.low:,.0f} to "
            f"{self.outcomes.high:,.0f})"
        )
        tail = ""
        if self.left_out:
            tail = (
                " Not counted, for want of an estimated effect: "
                + ", ".join(f"'{o.lever}'" for o in self.left_out)
                + "."
            )
        tail = self._unserved_words() + tail
        if self.runner_up is None or self.margin is None or self.p_beats_runner_up is None:
            return head + "." + tail
        rel = "more" if self.margin.mean >= 0 else "fewer"
        return (
            f"{head}; {abs(self.margin.mean):,.0f} {rel} than the runner-up "
            f"({self.runner_up.label}), better with probability "
            f"{probability(self.p_beats_runner_up)}." + tail
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["unserved"] = self.unserved
        data["sentence"] = self.sentence()
        for entry, lever in zip(data["left_out"], self.left_out, strict=True):
            entry["sentence"] = lever.sentence()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recommendation:
        return cls(
            **_plan_fields(data),
            runner_up=PlanSummary.from_dict(data["runner_up"]) if data["runner_up"] else None,
            margin=Band(**data["margin"]) if data["margin"] else None,
            p_beats_runner_up=data["p_beats_runner_up"],
            targeting_threshold=float(data["targeting_threshold"]),
            targeting_note=data["targeting_note"],
            rests_on=tuple(PooledSegment(**s) for s in data["rests_on"]),
            candidates=tuple(PlanSummary.from_dict(c) for c in data["candidates"]),
            objective_label=data["objective_label"],
            left_out=tuple(
                LeftOut(**{k: v for k, v in o.items() if k != "sentence"})
                for o in data.get("left_out", ())
            ),
            population=data.get("population"),
        )


def _fmt_segments(variable: str | None, names: list[str]) -> str:
    return f"{variable} {', '.join(names)}" if variable else ", ".join(names)


def plan_label(candidate: Candidate, option_ids: list[str]) -> str:
    """'enhanced' for everyone served, 'enhanced' for 1,500 and 'standard' for 900, or
    'enhanced' for case_complexity 4, 5 and 'standard' for case_complexity 1."""
    x = candidate.clients
    if candidate.kind == "uniform":
        j = int(np.argmax(x.sum(axis=0)))
        return f"'{option_ids[j]}' for everyone served ({x[:, j].sum():,.0f} clients)"
    if candidate.kind == "split":
        parts = [
            f"'{option_ids[j]}' for {x[:, j].sum():,.0f}"
            for j in np.argsort(-x.sum(axis=0))
            if x[:, j].sum() > 0
        ]
        return "a split: " + " and ".join(parts) + " clients"
    parts = []
    for j in range(len(option_ids)):
        names = [candidate.segments[i] for i in range(len(candidate.segments)) if x[i, j] > 0]
        if names:
            parts.append(
                f"'{option_ids[j]}' for {_fmt_segments(candidate.variable, names)} "
                f"({x[:, j].sum():,.0f} clients)"
            )
    return " and ".join(parts)


def _assignments(candidate: Candidate, option_ids: list[str]) -> tuple[Assignment, ...]:
    return tuple(
        Assignment(
            candidate.segments[i] if candidate.kind == "targeted" else ALL_CLIENTS,
            option_ids[j],
            float(candidate.clients[i, j]),
        )
        for i in range(candidate.clients.shape[0])
        for j in range(candidate.clients.shape[1])
        if candidate.clients[i, j] > 0
    )


def recommend(
    candidates: list[Candidate],
    models: dict[str | None, GainModel],
    oracle: Oracle,
    option_ids: list[str],
    *,
    objective_label: str,
    threshold: float = TARGETING_THRESHOLD,
    bar: float = TARGETING_BAR,
    left_out: tuple[LeftOut, ...] = (),
    population: int | None = None,
) -> Recommendation:
    """Pick the plan (see the module docstring) and say how sure the choice is.

    ``population``: the clients the decision is about, so the sentence can say how many
    of them the budget leaves without either option."""
    draws = np.column_stack([c.draws for c in candidates])
    winner = draws.argmax(axis=1)
    means = draws.mean(axis=0)
    summaries = [
        PlanSummary(
            kind=c.kind,  # type: ignore[arg-type]
            variable=c.variable,
            plan=_assignments(c, option_ids),
            label=plan_label(c, option_ids),
            outcomes=Band.of(c.draws),
            p_best=float((winner == k).mean()),
            expected_loss=oracle.loss(c.draws),
        )
        for k, c in enumerate(candidates)
    ]
    plain = [k for k, c in enumerate(candidates) if c.kind != "targeted"]
    targeted = [k for k, c in enumerate(candidates) if c.kind == "targeted"]
    chosen = max(plain, key=lambda k: means[k])
    note = _no_targeting_note(models)
    eligible = set(plain)
    if targeted:
        t = max(targeted, key=lambda k: means[k])
        base = chosen
        tol = 1e-9 * max(1.0, abs(float(means[base])))
        p = float((draws[:, t] > draws[:, base] + tol).mean())
        gain = float(means[t] - means[base])
        loss = summaries[t].expected_loss
        variable = candidates[t].variable
        numbers = (
            f"the best targeted plan (by {variable}) gains {signed(gain)} outcomes in "
            f"expectation over the best plan for everyone, beats it with probability "
            f"{probability(p, 1)} (at least {threshold:.0%} required), and its expected loss "
            f"against the best allocation were the effects known is {sig(loss)} (the gain must be "
            f"at least {bar:g} times that)"
        )
        if p >= threshold and gain > 0 and gain >= bar * loss:
            chosen = t
            eligible.add(t)
            note = f"Targeting by {variable} is recommended: {numbers}."
        else:
            note = f"Differences between segments are not established: {numbers}."
    # The runner-up is the best other plan that could have been chosen: a targeted plan
    # that did not clear the bar is reported in the note, not as the plan to beat.
    others = [k for k in eligible if k != chosen]
    runner = max(others, key=lambda k: means[k]) if others else None
    margin = None if runner is None else Band.of(draws[:, chosen] - draws[:, runner])
    p_beats = None if runner is None else float((draws[:, chosen] > draws[:, runner]).mean())
    c = candidates[chosen]
    s = summaries[chosen]
    return Recommendation(
        kind=s.kind,
        variable=c.variable,
        plan=s.plan,
        label=s.label,
        outcomes=s.outcomes,
        p_best=s.p_best,
        expected_loss=s.expected_loss,
        runner_up=None if runner is None else summaries[runner],
        margin=margin,
        p_beats_runner_up=p_beats,
        targeting_threshold=threshold,
        targeting_note=note,
        rests_on=_rests_on(c, models.get(c.variable)),
        candidates=tuple(summaries),
        objective_label=objective_label,
        left_out=left_out,
        population=population,
    )


def _no_targeting_note(models: dict[str | None, GainModel]) -> str:
    segmented = [str(v) for v in models if v is not None]
    if not segmented:
        return (
            "Differences between segments are not established: the evidence has no segment "
            "estimates for the decision's levers."
        )
    return (
        "Differences between segments are not established: in no segment (by "
        + ", ".join(segmented)
        + ") does any option add more or less per client than on average with posterior "
        f"probability {probability(SEGMENT_SUPPORT, 1)} or more, so no targeted plan was built."
    )


def _rests_on(candidate: Candidate, model: GainModel | None) -> tuple[PooledSegment, ...]:
    if candidate.kind != "targeted" or model is None:
        return ()
    served = {
        candidate.segments[i]
        for i in range(len(candidate.segments))
        if candidate.clients[i].sum() > 0
    }
    return tuple(s for lever in model.pooled for s in lever.segments if s.segment in served)
