"""One page per assumption's evidence: the estimate and its interval, the verdict, what
tried to refute it, how strong an unmeasured cause would have to be, the estimate by
adjustment model and by group, with the report's charts.

Built from the report's evidence cards (``report_context``), which are the saved
``EvidenceResult`` in the report's words with every count already through the disclosure
layer; the remaining single counts (clients outside the overlap, trimmed) go through
``safe_count`` exactly as the report prints them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from decisionframe.accounts import Role
from decisionframe.report.words import label_of
from decisionframe.web.auth import Principal, require
from decisionframe.web.pages import kept, page
from decisionframe.web.pages.overview import AssumptionLine, assumption_lines, verdict_class
from decisionframe.web.pages.shared import ChartData, chart_data, context, count, min_cell_size
from decisionframe.web.render import CSRF_MARK, answer, kept_html, render_html, wants_json


class Interval(BaseModel):
    estimate: float
    ci_low: float
    ci_high: float


class Refuter(BaseModel):
    name: str
    status: str  # passed, failed, or why it could not run
    reading: str
    effect: Interval | None


class Benchmark(BaseModel):
    covariate: str
    reading: str


class Sensitivity(BaseModel):
    reading: str
    robustness_value: float | None
    benchmarks: list[Benchmark]


class Specification(BaseModel):
    learners: str
    effect: Interval | None
    note: str


class Segment(BaseModel):
    segment: str
    clients: str  # as published: a count, or "<k"
    effect: str
    interval: str


class MeasureRow(BaseModel):
    """A row of the report's 'what to measure next' table that is about this assumption."""

    about: str
    collect: str
    clients: str  # how many more clients for a 90% sure choice, in words


class Belief(BaseModel):
    prior_mean: float
    prior_sd: float
    posterior_mean: float
    posterior_sd: float
    chance_expected_direction: str


class Evidence(BaseModel):
    number: int
    edge: str
    claim: str
    cause: str
    outcome: str
    verdict: str
    verdict_class: str
    headline: str
    chance: str
    advice: str
    measure_next_heading: str
    measure_next: list[MeasureRow]  # the rows the advice points to ("below"), this edge's
    unit: str  # the scale the words use (e.g. per 100 people served)
    estimand: str
    effect: Interval | None  # on the lever's own units, as analyze saved it
    naive: float | None
    identification: str
    adjusted_for: list[str]
    method: str | None
    clients_used: int | None  # None: suppressed with its complement (disclosure layer)
    left_out: list[tuple[str, int | None]]
    outside_overlap: str | None
    trimmed: str | None
    belief: Belief | None
    refuters: list[Refuter]
    sensitivity: Sensitivity | None
    specifications: list[Specification]
    segments: list[Segment]
    charts: list[ChartData]
    stale: list[str]
    run_id: str
    min_cell_size: int


class EvidenceList(BaseModel):
    assumptions: list[AssumptionLine]
    stale: list[str]
    analysed: bool


def _interval(effect: dict[str, Any] | None) -> Interval | None:
    if not effect or effect.get("estimate") is None:
        return None
    return Interval(
        estimate=float(effect["estimate"]),
        ci_low=float(effect["ci_low"]),
        ci_high=float(effect["ci_high"]),
    )


def _measure_next(decision: dict[str, Any] | None, edge: str) -> list[MeasureRow]:
    """The decision's 'what to measure next' rows about ``edge``, worded as the report's
    table words them: the evidence page's advice says they are below, so they are."""
    if not decision:
        return []
    rows = [
        MeasureRow(
            about=f"{m['claim']} (inconclusive)",
            collect="more clients with both measured",
            clients=str(m["clients"]),
        )
        for m in decision.get("inconclusive", [])
        if m["edge"] == edge
    ]
    for m in decision.get("measure_rows", []):
        if m["edge"] != edge:
            continue
        rows.append(
            MeasureRow(about=str(m["cause"]), collect=str(m["collect"]), clients=str(m["clients"]))
        )
    return rows


def evidence_of(request: Request, number: int) -> Evidence:
    found = context(request)
    evidence = found.get("evidence")
    cards = evidence["cards"] if evidence else []
    if not 0 <= number < len(cards):
        raise HTTPException(404, "no such assumption: see the list on the evidence page")
    card = cards[number]
    e, w = card["edge"], card["words"]
    theory = found.get("theory")
    k = min_cell_size(request)
    diag = e.get("diagnostics") or {}
    posterior, prior = e.get("posterior"), e.get("prior")
    sens = e.get("sensitivity")
    charts = [chart_data(c) for c in [card.get("effect"), *card["charts"]]]
    return Evidence(
        number=number,
        edge=w.edge,
        claim=w.claim,
        cause=w.cause,
        outcome=w.outcome,
        verdict=w.verdict,
        verdict_class=verdict_class(w.verdict),
        headline=w.headline,
        chance=w.chance,
        advice=w.advice,
        measure_next_heading=str(found.get("measure_next_heading", "What to measure next")),
        measure_next=_measure_next(found.get("decision"), w.edge),
        unit=w.scale.axis,
        estimand=str(e.get("estimand", "ATE")),
        effect=_interval(e) if e.get("estimate") is not None else None,
        naive=(e.get("naive") or {}).get("estimate"),
        identification=str(e["identification"]["explanation"]),
        adjusted_for=list(card["adjusted_for"]),
        method=e.get("method"),
        clients_used=card["dropped"]["n_used"],
        left_out=[(str(r), n) for r, n in card["dropped"]["reasons"]],
        outside_overlap=count(diag.get("outside_support"), k) if diag else None,
        trimmed=count(diag.get("trimmed"), k) if diag.get("trimmed") else None,
        belief=Belief(
            prior_mean=prior["mean"],
            prior_sd=prior["sd"],
            posterior_mean=posterior["mean"],
            posterior_sd=posterior["sd"],
            chance_expected_direction=str(card.get("p_expected", "")),
        )
        if prior and posterior
        else None,
        refuters=[
            Refuter(
                name=r["name"],
                status=r.get("status") or ("passed" if r.get("passed") else "failed"),
                reading=r.get("reading", ""),
                effect=_interval(r.get("new_effect")),
            )
            for r in e.get("refutations") or []
        ],
        sensitivity=Sensitivity(
            reading=sens.get("reading", ""),
            robustness_value=sens.get("robustness_value"),
            benchmarks=[
                Benchmark(covariate=label_of(theory, b["covariate"]), reading=b["reading"])
                for b in sens.get("benchmarks") or []
            ],
        )
        if sens
        else None,
        specifications=[
            Specification(
                learners=s["learners"], effect=_interval(s.get("effect")), note=s.get("note", "")
            )
            for s in e.get("specifications") or []
        ],
        segments=[
            Segment(
                segment=s["segment"],
                clients=count(s["n"], k) or "",
                effect=s["effect"],
                interval=s["interval"],
            )
            for s in card["segments"]
        ],
        charts=[c for c in charts if c is not None],
        stale=list(found.get("stale", [])),
        run_id=str(evidence["run_id"]) if evidence else "",
        min_cell_size=k,
    )


def evidence_list(request: Request) -> EvidenceList:
    found = context(request)
    evidence = found.get("evidence")
    return EvidenceList(
        assumptions=assumption_lines(evidence),
        stale=list(found.get("stale", [])),
        analysed=evidence is not None,
    )


def build_router() -> APIRouter:
    router = APIRouter()
    needs = require(Role.viewer)

    @page(
        router,
        "/evidence",
        role=Role.viewer,
        template="evidence_list.html.j2",
        model=EvidenceList,
        nav="Evidence",
    )
    def evidence(request: Request, principal: Principal) -> EvidenceList:
        """Every assumption of the theory with its verdict, each linking to its evidence."""
        return evidence_list(request)

    # The .json route first: "/evidence/0.json" must not be read as assumption "0.json".
    @router.get(
        "/evidence/{number}.json",
        response_model=Evidence,
        summary="One assumption's evidence: estimate, interval, verdict, refuters, sensitivity",
        tags=["pages"],
    )
    def assumption_json(
        request: Request, number: int, principal: Principal = Depends(needs)
    ) -> Evidence:
        return kept(request, principal, f"/evidence/{number}", lambda: evidence_of(request, number))

    @router.get("/evidence/{number}", response_class=HTMLResponse, include_in_schema=False)
    def assumption_page(
        request: Request, number: int, principal: Principal = Depends(needs)
    ) -> Response:
        def model() -> Evidence:
            return kept(
                request, principal, f"/evidence/{number}", lambda: evidence_of(request, number)
            )

        if wants_json(request):
            return answer(request, model(), "evidence.html.j2")
        html = kept(
            request,
            principal,
            f"/evidence/{number} html",
            lambda: render_html(request, "evidence.html.j2", {"page": model()}, CSRF_MARK),
        )
        return kept_html(request, html)

    return router
