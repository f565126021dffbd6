"""The runs: the newest run of each analysis with what is out of date since, the run
history, and a re-run button per analysis that runs it in the background (``web.jobs``)
with its progress polled by htmx (``/runs/job``, every second while it runs).

Seeing runs needs the viewer role; starting one the analyst role (and the CSRF token);
every start is audited, and the job audits its end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from decisionframe.accounts import Role, audit
from decisionframe.web.auth import Principal, require, require_write
from decisionframe.web.context import context_key
from decisionframe.web.jobs import ORDER, Job
from decisionframe.web.pages import page
from decisionframe.web.pages.shared import utc
from decisionframe.web.render import render, wants_json

Kind = Literal["voice", "analyze", "decide", "demand", "initiatives", "profiles"]

WHAT = {
    "voice": "themes and asks in the comments",
    "analyze": "the evidence for each assumption",
    "decide": "the decision, from the evidence",
    "demand": "failure demand, end-to-end time, signals",
    "initiatives": "did each initiative work",
    "profiles": "client profiles",
}


class KindLine(BaseModel):
    kind: str
    what: str
    run_id: str | None  # None: never run
    created_at: datetime | None
    stale: list[str]  # what changed since; empty when current


class HistoryLine(BaseModel):
    run_id: str
    kind: str
    created_at: datetime


class JobState(BaseModel):
    number: int
    kinds: list[str]
    by: str
    running: bool
    kind: str
    step: str
    done: int
    total: int
    percent: int
    finished: list[str]
    error: str | None


class Runs(BaseModel):
    kinds: list[KindLine]
    history: list[HistoryLine]
    job: JobState | None
    can_run: bool  # the viewer's role may start runs


def job_state(job: Job | None) -> JobState | None:
    if job is None:
        return None
    return JobState(
        number=job.number,
        kinds=list(job.kinds),
        by=job.by,
        running=job.running,
        kind=job.kind,
        step=job.step,
        done=job.done,
        total=job.total,
        percent=round(100 * job.fraction),
        finished=list(job.finished),
        error=job.error,
    )


def _listing(request: Request) -> tuple[list[KindLine], list[HistoryLine]]:
    """The newest run of each kind with its staleness, and the newest 20 runs; kept until
    a run, the theory or the data changes (reading staleness parses each run)."""
    state = request.app.state.web
    key = context_key(state)
    cached = state.cache.get("runs")
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    project = state.project()
    lines: list[KindLine] = []
    history: list[HistoryLine] = []
    for kind in ORDER:
        run = project.latest_run(kind, allow_stale=True)
        lines.append(
            KindLine(
                kind=kind,
                what=WHAT[kind],
                run_id=run.run_id if run else None,
                created_at=utc(run.created_at) if run else None,
                stale=list(run.provenance.stale) if run else [],
            )
        )
    if project.has_store():
        with state.read() as store:
            if store.table_exists("df_runs"):
                history = [
                    HistoryLine(run_id=str(r), kind=str(k), created_at=utc(c))
                    for r, k, c in store.rows(
                        "SELECT run_id, kind, created_at FROM df_runs "
                        "ORDER BY created_at DESC LIMIT 20"
                    )
                ]
    state.cache["runs"] = (key, (lines, history))
    return lines, history


def runs_of(request: Request, principal: Principal) -> Runs:
    lines, history = _listing(request)
    return Runs(
        kinds=lines,
        history=history,
        job=job_state(request.app.state.web.jobs.current),
        can_run=principal.role >= Role.analyst,
    )


def build_router() -> APIRouter:
    router = APIRouter()
    viewer = require(Role.viewer)

    @page(
        router,
        "/runs",
        role=Role.viewer,
        template="runs.html.j2",
        model=Runs,
        nav="Runs",
        keep=False,  # shows the background job's progress (its listing is kept)
    )
    def runs(request: Request, principal: Principal) -> Runs:
        """The newest run of each analysis, what is out of date since, and the history."""
        return runs_of(request, principal)

    @router.get(
        "/runs/job.json",
        response_model=JobState | None,
        summary="The background run's progress (null: none started since the app began)",
        tags=["pages"],
    )
    def job_json(request: Request, principal: Principal = Depends(viewer)) -> JobState | None:
        return job_state(request.app.state.web.jobs.current)

    @router.get("/runs/job", response_class=HTMLResponse, include_in_schema=False)
    def job_partial(request: Request, principal: Principal = Depends(viewer)) -> Response:
        if wants_json(request):
            state = job_state(request.app.state.web.jobs.current)
            return JSONResponse(state.model_dump(mode="json") if state else None)
        return _job_partial(request, principal)

    @router.post(
        "/runs",
        response_model=JobState,
        summary="Re-run an analysis in the background (analyst role, CSRF token)",
        tags=["actions"],
    )
    def start(
        request: Request,
        kind: Kind = Form(),
        principal: Principal = Depends(require_write(Role.analyst)),
    ) -> Response:
        state = request.app.state.web
        job = state.jobs.start([kind], by=principal.username)
        with state.write() as store:
            audit(store, principal.username, "run.started", {"job": job.number, "kinds": [kind]})
        if wants_json(request):
            started = job_state(job)
            return JSONResponse(started.model_dump(mode="json") if started else None)
        if request.headers.get("hx-request"):
            return _job_partial(request, principal)
        return RedirectResponse("/runs", status_code=303)

    return router


def _job_partial(request: Request, principal: Principal) -> HTMLResponse:
    """The progress, and the runs table with it (out of band): when a run ends, the table
    shows it without a reload, and while one runs its buttons are off."""
    runs = runs_of(request, principal)
    return render(request, "_job_update.html.j2", {"job": runs.job, "page": runs})
