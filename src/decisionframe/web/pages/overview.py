"""The overview: the report's first screen, live (verdicts, the decision, where the work
goes wrong, what to measure next), in the report's own words."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from decisionframe.accounts import Role
from decisionframe.report.charts import VERDICT_COLOUR
from decisionframe.web.auth import Principal, viewer
from decisionframe.web.context import published_context
from decisionframe.web.pages import page


class AssumptionLine(BaseModel):
    number: int  # its evidence page: /evidence/{number}
    edge: str
    claim: str
    verdict: str
    verdict_class: str
    headline: str


class Overview(BaseModel):
    name: str
    question: str | None
    counterfactual: str | None
    stale: list[str]
    assumptions: list[AssumptionLine]
    decision: str | None
    failure_share: float | None  # of all contacts; None when not analysed or unknown
    top_backend_unit: str | None
    demand_unknown: bool  # contacts could not be classified at all
    measure_next_heading: str
    measure_next: list[str]
    min_cell_size: int


def verdict_class(verdict: str) -> str:
    """A CSS class per verdict (colours in static/app.css: no inline style under the CSP)."""
    return "v-" + verdict.replace(" ", "-") if verdict in VERDICT_COLOUR else "v-other"


def assumption_lines(evidence: dict[str, Any] | None) -> list[AssumptionLine]:
    """One line per assumption (its verdict, numbered as its evidence page), as the overview
    and the evidence list both show them; none before an analysis."""
    return [
        AssumptionLine(
            number=i,
            edge=card["words"].edge,
            claim=card["words"].claim,
            verdict=card["words"].verdict,
            verdict_class=verdict_class(card["words"].verdict),
            headline=card["words"].headline,
        )
        for i, card in enumerate(evidence["cards"] if evidence else [])
    ]


def overview_of(request: Request) -> Overview:
    state = request.app.state.web
    context = published_context(state)
    project = state.project()
    theory = context.get("theory")
    evidence = context.get("evidence")
    demand = context.get("demand")
    decision = context.get("decision")
    overall = demand["r"]["overall"] if demand else None
    unknown = bool(overall and overall["unknown"] == overall["contacts"])
    return Overview(
        name=project.config.name,
        question=theory.question if theory else None,
        counterfactual=theory.counterfactual if theory else None,
        stale=list(context.get("stale", [])),
        assumptions=assumption_lines(evidence),
        decision=decision["sentence"] if decision else None,
        failure_share=None if not overall or unknown else float(overall["failure_share"]),
        top_backend_unit=demand["top"] if demand else None,
        demand_unknown=unknown,
        measure_next_heading=str(context.get("measure_next_heading", "What to measure next")),
        measure_next=list(context.get("measure_next", [])),
        min_cell_size=project.config.privacy.min_cell_size,
    )


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    def home(principal: Principal = Depends(viewer)) -> Response:
        return RedirectResponse("/overview", status_code=303)

    @page(
        router,
        "/overview",
        role=Role.viewer,
        template="overview.html.j2",
        model=Overview,
        nav="Overview",
    )
    def overview(request: Request, principal: Principal) -> Overview:
        """The report's first screen: verdicts, the decision, failure demand, what next."""
        return overview_of(request)

    return router
