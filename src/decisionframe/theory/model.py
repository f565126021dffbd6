"""The impact theory as typed objects (parsed from theory.yaml)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NodeKind = Literal["intervention", "service_quality", "mediator", "outcome", "context"]
Aggregate = Literal["mean", "sum", "count", "min", "max", "share_true", "first", "last", "any"]
Direction = Literal["increase", "decrease", "none"]
Estimand = Literal["ATE", "ATT", "ATC"]
CAUSE_KINDS: tuple[NodeKind, ...] = ("intervention", "service_quality", "mediator")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Measure(_Strict):
    """How a node is read from the store, one value per client."""

    table: Literal["clients", "touchpoints", "outcomes", "feedback"] | None = None
    column: str | None = None
    outcome: str | None = None
    theme: str | None = Field(
        default=None, description="feedback theme id (from `decisionframe voice`)"
    )
    aggregate: Aggregate = "mean"
    within_days: int | None = Field(default=None, gt=0)
    at_day: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _complete(self) -> Measure:
        if self.table == "outcomes" and not self.outcome:
            raise ValueError("an outcomes measure needs `outcome: <name>`")
        if self.table not in (None, "outcomes") and self.outcome:
            raise ValueError("`outcome` is only for `table: outcomes`")
        if self.theme and self.table != "feedback":
            raise ValueError("`theme` is only for `table: feedback`")
        if self.table == "feedback" and self.theme and self.column:
            raise ValueError("a feedback measure takes `theme` or `column`, not both")
        if self.table == "touchpoints" and not self.column:
            raise ValueError("a touchpoints measure needs `column`")
        if self.table == "feedback" and not (self.column or self.theme):
            raise ValueError("a feedback measure needs `theme: <theme id>` or `column`")
        return self


class Unit(_Strict):
    """How a reader counts a node, in the theory's own words.

    ``one`` and ``many`` name one unit and several ("point on the 1-5 respect rating",
    "points on the 1-5 respect rating"; "minute of waiting", "minutes of waiting"). For an
    outcome, ``many`` names the people who reach it ("people stably housed at six months")
    and ``per_100`` says the outcome is a yes/no share, so effects read "per 100 people
    served" (default: yes for the decision's objective).
    """

    one: str = Field(
        min_length=1, description="one unit in words, e.g. 'point on the 1-5 respect rating'"
    )
    many: str = Field(
        default="",
        description="several units, or for an outcome the people who reach it "
        "(default: the plural of `one`)",
    )
    per_100: bool | None = Field(
        default=None,
        description="the outcome is a yes/no share, so effects read 'per 100 people served' "
        "(default: yes for the decision's objective)",
    )

    @property
    def plural(self) -> str:
        if self.many:
            return self.many
        head, _, rest = self.one.partition(" ")
        return " ".join(filter(None, (_plural(head), rest)))


def _plural(word: str) -> str:
    irregular = {"person": "people", "child": "children", "day": "days"}
    if word in irregular:
        return irregular[word]
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


_UNIT_IN_LABEL = re.compile(r"^(?P<subject>.*?)\s*\((?P<unit>[^()]*)\)\s*$")
_SCALE = re.compile(r"^\d+\s*-\s*\d+$")


def default_unit(label: str) -> Unit:
    """A unit read from the label: '(minutes)' -> minute of ..., '(1-5)' -> point on the
    1-5 scale of ...; otherwise 'unit of "label"'."""
    match = _UNIT_IN_LABEL.match(label)
    if match:
        subject = match["subject"][:1].lower() + match["subject"][1:]
        unit = match["unit"].strip()
        if _SCALE.match(unit):
            scale = unit.replace(" ", "")
            return Unit(one=f"point on the {scale} scale of {subject}")
        if unit and " " not in unit:
            single = unit[:-1] if unit.endswith("s") and len(unit) > 2 else unit
            return Unit(one=f"{single} of {subject}", many=f"{unit} of {subject}")
    return Unit(one=f"unit of “{label}”", many=f"units of “{label}”")


class Node(_Strict):
    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    kind: NodeKind
    label: str = ""
    description: str = ""
    measure: Measure | None = None
    unit: Unit | None = None
    counterfactual: str = Field(
        default="",
        description="for an intervention or service quality: what would be different for "
        "clients without it (the comparison its effect is measured against)",
    )

    @field_validator("unit", mode="before")
    @classmethod
    def _unit_shorthand(cls, value: object) -> object:
        return {"one": value} if isinstance(value, str) else value

    @property
    def units(self) -> Unit:
        """The node's unit wording: as written in the theory, else read from its label."""
        return self.unit or default_unit(self.title)

    @property
    def measured(self) -> bool:
        return self.measure is not None

    @property
    def title(self) -> str:
        return self.label or self.id.replace("_", " ")


class Prior(_Strict):
    mean: float
    sd: float


class Assumption(_Strict):
    claim: str
    expected: Direction
    prior: Prior | None = None
    estimand: Estimand = "ATE"
    source: str = ""
    per: float | None = Field(
        default=None, gt=0, description="effect per this many units of a continuous cause"
    )
    contrast: tuple[float, float] | None = Field(
        default=None, description="effect of moving a continuous cause from a to b"
    )
    min_effect: float | None = Field(
        default=None, gt=0, description="smallest effect that would matter to a decision"
    )


class Edge(_Strict):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    assumption: Assumption | None = None

    @property
    def label(self) -> str:
        return f"{self.source} -> {self.target}"


class DecisionOption(_Strict):
    id: str
    # Optional: the imported costs table (data/costs.csv) may hold it instead; decide says
    # which source it used and warns when both are given and disagree.
    cost_per_client: float | None = Field(default=None, gt=0)
    capacity: int | None = Field(default=None, gt=0)
    set: dict[str, float] = Field(default_factory=dict)


class Decision(_Strict):
    objective: str
    budget: float = Field(gt=0)
    baseline: float = Field(ge=0)
    options: list[DecisionOption] = Field(min_length=1)
    min_coverage: dict[str, float] = Field(default_factory=dict)


class Theory(_Strict):
    question: str = ""
    counterfactual: str = ""
    nodes: list[Node] = Field(min_length=1)
    edges: list[Edge] = Field(default_factory=list)
    decision: Decision | None = None

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    @property
    def node_ids(self) -> list[str]:
        return [n.id for n in self.nodes]

    @property
    def assumption_edges(self) -> list[Edge]:
        return [e for e in self.edges if e.assumption is not None]

    @property
    def measured(self) -> set[str]:
        return {n.id for n in self.nodes if n.measured}
