"""The theory editor: draw the impact theory in the browser (static/editor.js), checked
live, tested against the data, saved to theory.yaml with its comments kept.

The page is a shell; the editor reads and writes through JSON endpoints that call the
domain service (``theory.editing``) and nothing else, so the CLI and the page give the
same answers:

- ``GET /editor/state.json``: the theory, saved layout, measurable columns, the latest
  evidence per arrow (stale or not), the diagnosis of the saved theory;
- ``POST /editor/check``: a draft -> its diagnostics and identifications (``check_draft``);
- ``POST /editor/rename``: a draft, a node id and its new id -> the draft with every arrow,
  the decision's objective and levers following (``editing.rename_node``);
- ``POST /editor/implications``: a draft -> its testable implications tested on the data;
- ``POST /editor/save``: validate, write theory.yaml (``theory.save``), record the version
  and an audit-log row naming the user;
- ``GET /editor/versions.json``: every saved version with its diff;
- ``POST /editor/dagitty/export`` and ``/dagitty/import``: DAGitty text out of and into a
  draft (the import answers a new draft; nothing is written until it is saved).

Reading is for every role; anything that takes a draft is for analysts and admins (the
drafting roles), with the CSRF token, even when it writes nothing: a viewer has no draft.
Errors name rules and nodes of the theory, never data values.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from decisionframe.accounts import Role, audit
from decisionframe.errors import ProblemsError
from decisionframe.project import Project
from decisionframe.theory import editing, load_theory
from decisionframe.theory.dagitty import theory_from_dagitty, to_dagitty
from decisionframe.theory.diagram import VERDICT_COLOUR
from decisionframe.theory.implications import check_implications
from decisionframe.theory.model import Theory
from decisionframe.theory.save import theory_data
from decisionframe.web.auth import Principal, require_write, viewer
from decisionframe.web.render import NAV, render

analyst_write = require_write(Role.analyst)
MAX_DAGITTY_CHARS = 200_000  # a 30-node graph is a few kB; more is not a drawing


def _problems(exc: ProblemsError, status: int = 422) -> JSONResponse:
    """A refused draft: the summary and every problem (rule, message, hint, where)."""
    return JSONResponse(
        {
            "detail": exc.summary,
            "problems": [
                {"rule": p.rule, "message": p.message, "hint": p.hint, "where": p.column or ""}
                for p in exc.problems
            ],
        },
        status_code=status,
    )


def _valid_theory(project: Project, draft: Any) -> Theory | JSONResponse:
    """The draft as a Theory when it has no error diagnostics, else the 422 answer."""
    diagnosis = editing.diagnose(project, draft)
    if not diagnosis.valid:
        return JSONResponse(
            {"detail": "the draft has errors: fix them first", **diagnosis.to_dict()},
            status_code=422,
        )
    return Theory.model_validate(draft)


def _positions(value: Any) -> dict[str, dict[str, float]]:
    if not isinstance(value, dict):
        return {}
    out = {}
    for key, pos in value.items():
        if isinstance(pos, dict):
            try:
                out[str(key)] = {"x": float(pos["x"]), "y": float(pos["y"])}
            except (KeyError, TypeError, ValueError):
                continue  # a position that is not one is dropped: the editor lays it out
    return out


def build_router() -> APIRouter:
    router = APIRouter()
    NAV.append(("/editor", "Theory", Role.viewer))

    @router.get("/editor", response_class=HTMLResponse, include_in_schema=False)
    def editor_page(request: Request, principal: Principal = Depends(viewer)) -> Response:
        can_edit = principal.role >= Role.analyst
        return render(request, "editor.html.j2", {"can_edit": can_edit})

    @router.get("/editor/state.json", tags=["editor"])
    def editor_state(request: Request, principal: Principal = Depends(viewer)) -> dict[str, Any]:
        """The theory, its layout, the measurable columns, the evidence on every arrow."""
        project = request.app.state.web.project()
        state = editing.editor_state(project)
        state["can_edit"] = principal.role >= Role.analyst
        state["verdict_colours"] = VERDICT_COLOUR
        return state

    @router.post("/editor/check", tags=["editor"])
    def check(
        request: Request,
        draft: Any = Body(..., embed=True, alias="theory"),
        principal: Principal = Depends(analyst_write),
    ) -> dict[str, Any]:
        """Live diagnostics of a draft and how each of its assumptions is identified."""
        project = request.app.state.web.project()
        return editing.diagnose(project, draft).to_dict()

    @router.post("/editor/rename", tags=["editor"], response_model=None)
    def rename(
        draft: Any = Body(..., alias="theory"),
        old: str = Body(..., max_length=200),
        new: str = Body(..., max_length=200),
        principal: Principal = Depends(analyst_write),
    ) -> dict[str, Any] | JSONResponse:
        """The draft with a node renamed and everything naming it following. Nothing is
        written; a clash with another node's id is refused (422 with the problem)."""
        if not isinstance(draft, dict):
            return JSONResponse({"detail": "a theory is a mapping with `nodes:`"}, 422)
        try:
            return {"theory": editing.rename_node(draft, old, new)}
        except ProblemsError as exc:
            return _problems(exc)

    @router.post("/editor/implications", tags=["editor"], response_model=None)
    def implications(
        request: Request,
        draft: Any = Body(..., embed=True, alias="theory"),
        principal: Principal = Depends(analyst_write),
    ) -> dict[str, Any] | JSONResponse:
        """The draft's testable implications, tested on the store's data (in words)."""
        state = request.app.state.web
        project = state.project()
        theory = _valid_theory(project, draft)
        if isinstance(theory, JSONResponse):
            return theory
        if not project.has_store():
            return JSONResponse({"detail": "no data loaded yet: run `decisionframe import`"}, 409)
        with state.read() as store:
            result = check_implications(
                store, theory, min_cell_size=project.config.privacy.min_cell_size
            )
        return result.to_dict()

    @router.post("/editor/save", tags=["editor"], response_model=None)
    def save(
        request: Request,
        draft: Any = Body(..., alias="theory"),
        positions: Any = Body(default=None),
        message: str = Body(default="", max_length=500),
        principal: Principal = Depends(analyst_write),
    ) -> dict[str, Any] | JSONResponse:
        """Validate and save the draft as theory.yaml; a version and an audit row."""
        state = request.app.state.web
        if not isinstance(draft, dict):
            return JSONResponse({"detail": "a theory is a mapping with `nodes:`"}, 422)
        try:
            with state.write_lock:
                version = editing.save(
                    state.project(),
                    draft,
                    positions=_positions(positions),
                    author=principal.username,
                    message=message,
                )
        except ProblemsError as exc:
            return _problems(exc)
        with state.write() as store:
            audit(
                store,
                principal.username,
                "theory.saved" if version is not None else "theory.layout-saved",
                {"version": version.version_id if version else None},
            )
        return {"saved": version is not None, "version": version.to_dict() if version else None}

    @router.get("/editor/versions.json", tags=["editor"])
    def versions(request: Request, principal: Principal = Depends(viewer)) -> dict[str, Any]:
        """Every saved version of theory.yaml, newest first, with its diff and author."""
        found = editing.history(request.app.state.web.project())
        return {"versions": [v.to_dict() for v in found]}

    @router.post("/editor/dagitty/export", tags=["editor"], response_model=None)
    def dagitty_export(
        request: Request,
        draft: Any = Body(..., embed=True, alias="theory"),
        principal: Principal = Depends(analyst_write),
    ) -> dict[str, Any] | JSONResponse:
        """The draft as DAGitty text (for dagitty.net)."""
        theory = _valid_theory(request.app.state.web.project(), draft)
        if isinstance(theory, JSONResponse):
            return theory
        return {"text": to_dagitty(theory)}

    @router.post("/editor/dagitty/import", tags=["editor"], response_model=None)
    def dagitty_import(
        draft: Any = Body(..., alias="theory"),
        text: str = Body(..., max_length=MAX_DAGITTY_CHARS),
        principal: Principal = Depends(analyst_write),
    ) -> dict[str, Any] | JSONResponse:
        """A new draft from DAGitty text, keeping what the current draft says of the nodes
        and arrows it already has. Nothing is written."""
        try:
            base = Theory.model_validate(draft) if isinstance(draft, dict) else None
        except ValidationError:
            base = None  # an unfinished draft: the import starts from the text alone
        try:
            theory = theory_from_dagitty(text, base=base)
        except ProblemsError as exc:
            return _problems(exc)
        except (ValidationError, nx.NetworkXUnfeasible):
            return JSONResponse(
                {"detail": "the DAGitty graph is empty or has a cycle: nothing was imported"}, 422
            )
        return {"theory": theory_data(theory)}

    @router.get("/editor/dagitty.txt", tags=["editor"], response_class=Response)
    def dagitty_saved(request: Request, principal: Principal = Depends(viewer)) -> Response:
        """The saved theory as DAGitty text."""
        project = request.app.state.web.project()
        theory = load_theory(project.theory_path)
        return Response(to_dagitty(theory), media_type="text/plain; charset=utf-8")

    return router
