"""The measurement plan: what can be tested now, what to start measuring, what to stop."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import pandas as pd

from decisionframe.results import Result
from decisionframe.store import Store
from decisionframe.theory.bindings import bindings, store_catalogue
from decisionframe.theory.graph import causal_graph, nodes_on_paths_to_outcomes
from decisionframe.theory.identify import Identification, identify_all
from decisionframe.theory.model import Node, Theory

# Columns that organize the data rather than describe clients or service.
_STRUCTURAL = {
    "client_id",
    "touchpoint_id",
    "started_at",
    "need_id",
    "staff_id",
    "enrolled_on",
    "feedback_id",
    "given_on",
    "measured_on",
    "outcome",
    "value",
    "text",
}
_ANALYSED_TABLES = ("clients", "touchpoints")


@dataclass(frozen=True)
class AssumptionPlan:
    treatment: str
    outcome: str
    testable_now: bool
    strategy: str
    adjustment_set: tuple[str, ...]
    start_measuring: tuple[str, ...]
    explanation: str

    @property
    def edge(self) -> str:
        return f"{self.treatment} -> {self.outcome}"


@dataclass(frozen=True)
class SurveyItem:
    node: str
    question: str
    scale: str
    when: str
    fills: str
    why: str = "not measured"  # or no data loaded yet, or measured for too few clients


# A node measured for fewer than this share of clients is weakly measured: its estimates
# rest on a subset that may not be like the rest, so a survey item is drafted for it too.
WEAK_COVERAGE = 0.5


@dataclass(frozen=True)
class UnusedColumn:
    table: str
    column: str
    reason: str


@dataclass(frozen=True)
class MeasurementPlan(Result):
    """Per assumption: testable or what to measure; columns no decision needs; survey drafts."""

    kind: ClassVar[str] = "plan"

    assumptions: tuple[AssumptionPlan, ...]
    not_decision_relevant: tuple[UnusedColumn, ...]
    survey_items: tuple[SurveyItem, ...]

    def summary(self) -> str:
        testable = sum(a.testable_now for a in self.assumptions)
        return (
            f"{testable} of {len(self.assumptions)} assumptions testable now; "
            f"{len(self.not_decision_relevant)} collected columns no decision needs; "
            f"{len(self.survey_items)} survey items drafted"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per assumption: testable now, how, and what to start measuring."""
        return pd.DataFrame(
            [
                {
                    "edge": a.edge,
                    "testable_now": a.testable_now,
                    "strategy": a.strategy,
                    "start_measuring": ", ".join(a.start_measuring),
                }
                for a in self.assumptions
            ],
            columns=["edge", "testable_now", "strategy", "start_measuring"],
        )


def _assumption_plan(identification: Identification, available: set[str]) -> AssumptionPlan:
    used = {
        identification.treatment,
        identification.outcome,
        *identification.adjustment_set,
        *identification.mediators,
        *identification.instruments,
    }
    missing_data = sorted(used - available)
    testable = identification.identified and not missing_data
    start = tuple(sorted({*identification.to_measure, *missing_data}))
    explanation = identification.explanation
    if identification.identified and missing_data:
        explanation += f"; but no data loaded yet for {', '.join(missing_data)}"
    return AssumptionPlan(
        treatment=identification.treatment,
        outcome=identification.outcome,
        testable_now=testable,
        strategy=identification.strategy,
        adjustment_set=identification.adjustment_set,
        start_measuring=start,
        explanation=explanation,
    )


def _survey_item(node: Node, anchor_days: int | None) -> SurveyItem:
    label = node.title
    statement = label[0].upper() + label[1:]
    if node.kind == "service_quality":
        return SurveyItem(
            node.id,
            f'Thinking about your contact with us today: how much do you agree with "{statement}"?',
            "1 strongly disagree - 2 - 3 - 4 - 5 strongly agree",
            "right after each contact (SMS or web, one question)",
            f"touchpoints.{node.id}",
        )
    if node.kind == "mediator":
        return SurveyItem(
            node.id,
            f'How much do you agree with "{statement}"?',
            "1 strongly disagree - 2 - 3 - 4 - 5 strongly agree",
            "30 days after enrolment (phone or web)",
            f"outcomes: outcome={node.id}, value 1-5, measured_on",
        )
    if node.kind in ("context", "intervention"):
        return SurveyItem(
            node.id,
            f'At intake: how well does "{statement}" describe this client\'s situation?',
            "1 not at all - 2 - 3 - 4 - 5 completely (or a record of the fact, if one exists)",
            "at enrolment, by the intake worker",
            f"clients.{node.id}",
        )
    day = anchor_days or 180
    return SurveyItem(
        node.id,
        f"{statement}: yes or no?",
        "1 yes - 0 no (record 'unknown' as missing, not as no)",
        f"{day} days after enrolment (case review or follow-up call)",
        f"outcomes: outcome={node.id}, value 0/1, measured_on",
    )


def _unused_columns(theory: Theory, store: Store) -> list[UnusedColumn]:
    catalogue = store_catalogue(store)
    bound = bindings(theory)
    relevant_nodes = nodes_on_paths_to_outcomes(causal_graph(theory))
    used = {(b.table, b.column) for n, b in bound.items() if n in relevant_nodes}
    bound_elsewhere = {(b.table, b.column) for n, b in bound.items() if n not in relevant_nodes}
    unused = []
    for table in _ANALYSED_TABLES:
        for column in catalogue.get(table, []):
            if column in _STRUCTURAL or (table, column) in used:
                continue
            if table == "touchpoints" and column in (
                "channel",
                "unit",
                "service",
                "reason",
                "resolved",
                "waiting_on",
                "handle_minutes",
                "cost",
                "demand_label",
            ):
                continue  # used by demand analysis, whatever the theory says
            reason = (
                "bound to a node with no path to any outcome"
                if (table, column) in bound_elsewhere
                else "not in the impact theory: no decision uses it"
            )
            unused.append(UnusedColumn(table, column, reason))
    return unused


def measurement_plan(theory: Theory, store: Store) -> MeasurementPlan:
    """What to measure: testability per assumption, unused columns, survey item drafts."""
    catalogue = store_catalogue(store)
    available = {
        node
        for node, b in bindings(theory).items()
        if b.table in catalogue and (b.table == "outcomes" or b.column in catalogue[b.table])
    }
    plans = tuple(_assumption_plan(i, available) for i in identify_all(theory))
    coverage = _coverage(theory, store, available)
    items = []
    for node in theory.nodes:
        if not node.measured:
            why = "not measured"
        elif node.id not in available:
            why = "measured in theory.yaml, but no data loaded for it yet"
        elif node.id in coverage and coverage[node.id] < WEAK_COVERAGE:
            why = f"weakly measured: a value for only {coverage[node.id]:.0%} of clients"
        else:
            continue
        items.append(replace(_survey_item(node, None), why=why))
    return MeasurementPlan(plans, tuple(_unused_columns(theory, store)), tuple(items))


def _coverage(theory: Theory, store: Store, available: set[str]) -> dict[str, float]:
    """Share of clients with a value, per measured node with data (SQL, one frame)."""
    from decisionframe.errors import DecisionframeError
    from decisionframe.frames import client_frame

    nodes = [n.id for n in theory.nodes if n.id in available]
    frames = []
    try:
        frames.append(client_frame(store, theory, nodes))
    except DecisionframeError:  # e.g. a theme measure before `voice` ran: node by node
        for node in nodes:
            try:
                frames.append(client_frame(store, theory, [node]))
            except DecisionframeError:
                continue
    return {
        column: float(frame[column].notna().mean())
        for frame in frames
        if len(frame)
        for column in frame.columns
        if column in available
    }
