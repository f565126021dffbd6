"""Demand (where the work goes wrong), voice (what people say) and initiatives (did they
work): the report's sections as pages, from the report's own context, so every count is
the one the disclosure layer let the report print. Voice and initiatives reuse the
report's partials as they are (``report/_voice.html.j2``, ``report/initiatives.html.j2``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from decisionframe.accounts import Role
from decisionframe.web.auth import Principal
from decisionframe.web.pages import page
from decisionframe.web.pages.shared import ChartData, chart_data, context, min_cell_size


class ShareRow(BaseModel):
    """Contacts of one channel or unit (None: suppressed by the disclosure layer)."""

    name: str
    value: int | None
    failure: int | None
    unknown: int | None
    total: int | None
    share: float | None


class InternalCustomer(BaseModel):
    backend_unit: str
    failure_contacts: int | None  # None: suppressed, and so are the two next
    failure_contacts_per_need: float | None
    failure_cost: float | None


class Handoff(BaseModel):
    """Failure contacts after a hand-off (None: suppressed; cells sized by distinct
    clients, see ``demand.published``)."""

    from_unit: str
    to_unit: str
    failure_contacts: int | None


class EndToEnd(BaseModel):
    """Needs resolved and still open (None: suppressed, and so are the times)."""

    needs: str
    resolved: int | None
    still_open: int | None
    median_days: float | None
    p85_days: float | None
    p95_days: float | None


class Demand(BaseModel):
    analysed: bool
    none_classified: bool  # no contact has a reason or a need id
    contacts: int | None
    failure_share: float | None
    failure_cost: float | None
    all_cost: float | None
    unclassified: str | None  # contacts that could not be classified, as published
    one_touch_rate: float | None
    channels: list[ShareRow]
    units: list[ShareRow]
    internal_customers: list[InternalCustomer]
    handoffs: list[Handoff]
    end_to_end: list[EndToEnd]
    charts: list[ChartData]
    control_charts: list[ChartData]
    hidden_charts: int
    stale: list[str]
    min_cell_size: int


class Section(BaseModel):
    """A report section shown as it is in the report (voice, initiatives)."""

    ran: bool
    section: dict[str, Any] | None
    stale: list[str]
    min_cell_size: int


def _rows(rows: list[dict[str, Any]]) -> list[ShareRow]:
    return [
        ShareRow(
            name=str(r["name"]),
            value=r["value"],
            failure=r["failure"],
            unknown=r["unknown"],
            total=r["total"],
            share=r["share"],
        )
        for r in rows
    ]


def demand_of(request: Request) -> Demand:
    found = context(request)
    k = min_cell_size(request)
    stale = list(found.get("stale", []))
    d = found.get("demand")
    if d is None:
        return Demand(
            analysed=False,
            none_classified=False,
            contacts=None,
            failure_share=None,
            failure_cost=None,
            all_cost=None,
            unclassified=None,
            one_touch_rate=None,
            channels=[],
            units=[],
            internal_customers=[],
            handoffs=[],
            end_to_end=[],
            charts=[],
            control_charts=[],
            hidden_charts=0,
            stale=stale,
            min_cell_size=k,
        )
    r = d["r"]
    overall = r["overall"]
    none_classified = overall["unknown"] == overall["contacts"]
    costed = bool(overall.get("costed_cells", 1)) and bool(overall.get("all_cost"))
    charts = [chart_data(c) for c in (d["by_channel"], d["internal"], d["e2e"])]
    return Demand(
        analysed=True,
        none_classified=none_classified,
        contacts=int(overall["contacts"]),
        failure_share=None if none_classified else float(overall["failure_share"]),
        failure_cost=float(overall["failure_cost"]) if costed else None,
        all_cost=float(overall["all_cost"]) if costed else None,
        unclassified=(
            ("{:,}".format(d["unclassified"]) if d["unclassified"] is not None else "Some")
            if overall["unknown"]
            else None
        ),
        one_touch_rate=float(r["one_touch"]["rate"]) if r["one_touch"]["needs"] else None,
        channels=_rows(d["channel_rows"]),
        units=_rows(d["unit_rows"]),
        internal_customers=[
            InternalCustomer(
                backend_unit=str(i["backend_unit"]),
                failure_contacts=i["failure_contacts"] if i["shown"] else None,
                failure_contacts_per_need=i.get("failure_contacts_per_need")
                if i["shown"]
                else None,
                failure_cost=i.get("failure_cost") if i["shown"] else None,
            )
            for i in d["internal_rows"]
        ],
        handoffs=[
            Handoff(
                from_unit=str(h["from_unit"]),
                to_unit=str(h["to_unit"]),
                failure_contacts=h["failure_contacts"],
            )
            for h in d["handoff_rows"][:5]
        ],
        end_to_end=[
            EndToEnd(
                needs=str(e["needs"]),
                resolved=e["resolved"],
                still_open=e["still_open"],
                median_days=e["median_days"],
                p85_days=e["p85_days"],
                p95_days=e["p95_days"],
            )
            for e in d["e2e_rows"]
        ],
        charts=[c for c in charts if c is not None],
        control_charts=[c for c in (chart_data(x["plot"]) for x in d["controls"]) if c],
        hidden_charts=int(d["hidden_charts"]),
        stale=stale,
        min_cell_size=k,
    )


def section_of(request: Request, kind: str) -> Section:
    found = context(request)
    section = found.get(kind)
    return Section(
        ran=section is not None,
        section=section,
        stale=list(found.get("stale", [])),
        min_cell_size=min_cell_size(request),
    )


def build_router() -> APIRouter:
    router = APIRouter()

    @page(
        router, "/demand", role=Role.viewer, template="demand.html.j2", model=Demand, nav="Demand"
    )
    def demand(request: Request, principal: Principal) -> Demand:
        """Failure demand by channel and unit, internal customers, end-to-end time, signals."""
        return demand_of(request)

    @page(router, "/voice", role=Role.viewer, template="voice.html.j2", model=Section, nav="Voice")
    def voice(request: Request, principal: Principal) -> Section:
        """What people say: themes, asks and emerging needs (no comment is quoted)."""
        return section_of(request, "voice")

    @page(
        router,
        "/initiatives",
        role=Role.viewer,
        template="initiatives.html.j2",
        model=Section,
        nav="Initiatives",
    )
    def initiatives(request: Request, principal: Principal) -> Section:
        """Did the initiatives work: one design and verdict per initiative."""
        return section_of(request, "initiatives")

    return router
