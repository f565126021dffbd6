"""What the report says about each assumption, in the theory's own words.

One place turns an analysis result into the sentences a program director reads: node
labels instead of ids, effects in the theory's units ("for each point more on the 1-5
respect rating"), outcomes as "per 100 people served" when the outcome is a yes/no
share, probabilities in words beyond 99% and 1%, and one verdict per assumption. Each
verdict has one way of being said, so the first screen, the card and the chart caption
cannot disagree (tests/report/test_words.py holds them to that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from decisionframe.numbers import probability as probability
from decisionframe.theory.model import Node, Theory

VERDICTS = (
    "supported",
    "contradicted",
    "no detectable effect",
    "inconclusive",
    "fragile",
    "not identifiable",
    "not estimable",
)
HAS_ESTIMATE = ("supported", "contradicted", "no detectable effect", "inconclusive", "fragile")
MEASURE_NEXT_HEADING = "What to measure next"


def quoted(label: str) -> str:
    return f"“{label}”"


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


@dataclass(frozen=True)
class Scale:
    """How one assumption's effect is written: factor from the estimate, unit words."""

    factor: float  # 100 for per-100 outcomes, else 1
    outcome_many: str  # "people stably housed at six months"
    per_100: bool

    def value(self, v: float) -> float:
        return v * self.factor

    def amount(self, v: float) -> str:
        """'5.1 more', '0.3 fewer', 'no change' (in the outcome's unit)."""
        x = self.value(v)
        digits = 1 if self.per_100 else 3
        if round(abs(x), digits) == 0:
            return "no change"
        return f"{abs(x):.{digits}f} {'more' if x > 0 else 'fewer'}"

    def effect(self, v: float) -> str:
        if self.per_100:
            return f"{self.amount(v)} {self.outcome_many} per 100 people served"
        return f"{self.amount(v)} {self.outcome_many}"

    def interval(self, low: float, high: float) -> str:
        return f"95% interval: {self.amount(low)} to {self.amount(high)}"

    @property
    def axis(self) -> str:
        if self.per_100:
            return f"more {self.outcome_many} per 100 people served"
        return f"more {self.outcome_many}"


def _node(theory: Theory | None, node_id: str) -> Node | None:
    if theory is None or node_id not in theory.node_ids:
        return None
    return theory.node(node_id)


def label_of(theory: Theory | None, node_id: str) -> str:
    node = _node(theory, node_id)
    return node.title if node else node_id.replace("_", " ")


def outcome_scale(theory: Theory | None, outcome: str) -> Scale:
    node = _node(theory, outcome)
    if node is None:
        return Scale(1.0, f"on {outcome.replace('_', ' ')}", False)
    unit = node.unit
    objective = theory.decision.objective if theory and theory.decision else None
    per_100 = unit.per_100 if unit and unit.per_100 is not None else outcome == objective
    if unit is not None:
        many = unit.plural
    elif per_100:
        many = f"people reaching {quoted(node.title)}"
    else:
        many = node.units.plural
    return Scale(100.0 if per_100 else 1.0, many, per_100)


def cause_phrase(theory: Theory | None, edge: dict[str, Any], kind: str) -> str:
    """'For each point more on the 1-5 respect rating', 'For every 10 minutes more of
    waiting', 'With “Case-worker follow-up call programme” (against without it)'."""
    node = _node(theory, edge["treatment"])
    label = node.title if node else edge["treatment"].replace("_", " ")
    if kind == "binary":
        return f"With {quoted(label)} (against without it)"
    if kind != "continuous":
        return f"Across the levels of {quoted(label)}"
    unit = node.units if node else None
    one = unit.one if unit else f"unit of {quoted(label)}"
    many = unit.plural if unit else f"units of {quoted(label)}"
    assumption = _assumption(theory, edge)
    contrast = assumption.contrast if assumption else None
    if contrast is not None:
        a, b = contrast
        return f"Moving from {a:g} to {b:g} {many}"
    per = (assumption.per if assumption else None) or 1.0
    if per == 1:
        head, _, rest = one.partition(" ")
        return f"For each {head} more {rest}".rstrip()
    head, _, rest = many.partition(" ")
    return f"For every {per:g} {head} more {rest}".rstrip()


def _assumption(theory: Theory | None, edge: dict[str, Any]) -> Any:
    if theory is None:
        return None
    for e in theory.assumption_edges:
        if e.source == edge["treatment"] and e.target == edge["outcome"]:
            return e.assumption
    return None


def treatment_kind(edge: dict[str, Any]) -> str:
    unit = edge.get("unit") or ""
    if unit.startswith("difference (treated"):
        return "binary"
    if unit == "difference":
        return "categorical"
    return "continuous"


@dataclass(frozen=True)
class AssumptionWords:
    """Everything the report says about one assumption."""

    edge: str
    anchor: str
    verdict: str
    claim: str
    cause: str  # the cause node's label
    outcome: str  # the outcome node's label
    headline: str  # one sentence, the verdict word left to the badge
    chance: str  # '' or the posterior sentence (only where it cannot contradict)
    advice: str
    advice_points_to_measure_next: bool
    scale: Scale
    cause_phrase: str


def _fragile_reason(edge: dict[str, Any]) -> str:
    failed = [
        r["name"]
        for r in edge.get("refutations", [])
        if r.get("status", "passed" if r["passed"] else "failed") == "failed"
    ]
    if failed:
        return "it fails a robustness check (" + ", ".join(failed) + ")"
    return "a weak unmeasured cause could explain it away"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _headline(edge: dict[str, Any], scale: Scale, cause: str, theory: Theory | None = None) -> str:
    verdict = edge["verdict"]
    if verdict == "not identifiable":
        missing = [quoted(label_of(theory, n)) for n in edge["identification"]["to_measure"]]
        if missing:
            return (
                "The data cannot separate this effect from other causes until "
                f"{_and(missing)} {'is' if len(missing) == 1 else 'are'} measured."
            )
        return (
            "The data cannot separate this effect from other causes: no set of measured "
            "causes blocks the confounding the theory describes."
        )
    if verdict == "not estimable" or edge.get("estimate") is None:
        return "No estimate could be made from this data (see the card below)."
    est, low, high = edge["estimate"], edge["ci_low"], edge["ci_high"]
    interval = scale.interval(low, high)
    if verdict == "no detectable effect":
        return (
            f"{cause}: between {scale.amount(low)} and {scale.amount(high)} "
            f"{scale.outcome_many}{' per 100 people served' if scale.per_100 else ''}, "
            "too small to matter."
        )
    if verdict == "inconclusive":
        return (
            f"{cause}: anywhere between {scale.amount(low)} and {scale.amount(high)} "
            f"{scale.outcome_many}{' per 100 people served' if scale.per_100 else ''}; "
            "the data cannot tell yet."
        )
    if verdict == "supported" and edge["expected"] == "none":
        return (
            f"{cause}: between {scale.amount(low)} and {scale.amount(high)} "
            f"{scale.outcome_many}, no effect that matters, as the theory expected."
        )
    sentence = f"{cause}: {scale.effect(est)} ({interval})"
    if verdict == "contradicted":
        wanted = {"increase": "a rise", "decrease": "a fall", "none": "no effect"}
        sentence += f", where the theory expected {wanted[edge['expected']]}"
    if verdict == "fragile":
        sentence += f", but {_fragile_reason(edge)}"
    return sentence + "."


def _chance(edge: dict[str, Any]) -> str:
    posterior = edge.get("posterior")
    if posterior is None or edge["verdict"] not in ("supported", "contradicted", "fragile"):
        return ""
    if edge["expected"] == "none":
        return ""
    direction = {"increase": "positive", "decrease": "negative"}[edge["expected"]]
    p = probability(posterior["p_expected_direction"])
    return (
        f"Combining the data with the prior belief, the chance that the effect is "
        f"{direction}, as the theory expects: {p}."
    )


def _advice(
    edge: dict[str, Any],
    theory: Theory | None,
    measured_next: set[str],
    decided: bool,
) -> tuple[str, bool]:
    verdict = edge["verdict"]
    cause = quoted(label_of(theory, edge["treatment"]))
    outcome = quoted(label_of(theory, edge["outcome"]))
    if verdict == "supported":
        return "Keep it; keep measuring so a change would show.", False
    if verdict == "contradicted":
        return (
            "Do not scale this up on belief alone: review how it is delivered, ask front-line "
            "staff and clients why it may backfire, and test a changed version before "
            "spending more.",
            False,
        )
    if verdict == "no detectable effect":
        return (
            "Any effect is too small to matter: consider moving money to what does work, "
            "unless it is valued for its own sake (dignity is worth providing even without "
            "outcome gains).",
            False,
        )
    if verdict == "fragile":
        return (
            "Treat the estimate with caution. Measure the likely confounders named in the "
            "plan before acting on it.",
            False,
        )
    if verdict == "inconclusive":
        if edge["edge"] in measured_next:
            return (
                f"Collect more data before deciding: {MEASURE_NEXT_HEADING.lower()} "
                "(below) says how much it is worth.",
                True,
            )
        tail = (
            f" No decision option changes {cause}, so the decision does not depend on it."
            if decided
            else ""
        )
        return (
            f"Collect more clients with {cause} and {outcome} measured, or a sharper "
            f"measure of {cause}, before relying on it.{tail}",
            False,
        )
    if verdict == "not identifiable":
        missing = [
            quoted(label_of(theory, n)) for n in edge["identification"].get("to_measure", [])
        ]
        what = ", ".join(missing) if missing else "the causes named in the measurement plan"
        return (
            f"Start measuring {what}; until then the data cannot separate this effect from "
            "confounding.",
            False,
        )
    return "Fix the data problem named in the card, then run analyze again.", False


def assumption_words(
    edge: dict[str, Any],
    theory: Theory | None,
    *,
    measured_next: set[str] = frozenset(),  # type: ignore[assignment]
    decided: bool = False,
) -> AssumptionWords:
    scale = outcome_scale(theory, edge["outcome"])
    cause = cause_phrase(theory, edge, treatment_kind(edge))
    advice, points = _advice(edge, theory, measured_next, decided)
    return AssumptionWords(
        edge=edge["edge"],
        anchor="a-" + edge["treatment"] + "-" + edge["outcome"],
        verdict=edge["verdict"],
        claim=edge["claim"],
        cause=label_of(theory, edge["treatment"]),
        outcome=label_of(theory, edge["outcome"]),
        headline=_headline(edge, scale, cause, theory),
        chance=_chance(edge),
        advice=advice,
        advice_points_to_measure_next=points,
        scale=scale,
        cause_phrase=cause,
    )
