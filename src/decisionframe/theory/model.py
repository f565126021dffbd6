"""The impact theory as typed objects (parsed from theory.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class Node(_Strict):
    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    kind: NodeKind
    label: str = ""
    description: str = ""
    measure: Measure | None = None

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
