"""The app's routers, one module per page group, and ``page``: one page, two answers.

A page is a function ``build(request, principal) -> SomeModel`` (a Pydantic model: the
page's data, already through the disclosure layer). ``page`` registers it twice:
``GET /path`` renders a template with it (or answers JSON to ``Accept: application/json``)
and ``GET /path.json`` answers the model, documented in the OpenAPI schema. Pages with
path parameters declare both routes themselves (see ``evidence.py``).

A page's model is kept (``WebState.kept_page``) per path, query, user and role until a
file it is built from changes (the store, the theory, the config): twenty people opening
the overview build it once. A page that shows something held only in memory (the runs
page's background job) says ``keep=False``. The HTML is kept too, rendered with a
placeholder where the CSRF token goes (``render.CSRF_MARK``), each answer putting in its
own session's token.

To add a router: write ``web/pages/mine.py`` with ``router = APIRouter()``, then add it to
``ROUTERS`` below. Every route declares its role (``Depends(auth.viewer)``, ...);
tests/web/test_roles.py fails for a route that does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from decisionframe.accounts import Role
from decisionframe.web.auth import Principal, require
from decisionframe.web.render import CSRF_MARK, NAV, answer, kept_html, render_html, wants_json

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def page(
    router: APIRouter,
    path: str,
    *,
    role: Role,
    template: str,
    model: type[M],
    nav: str | None = None,
    summary: str = "",
    keep: bool = True,
) -> Callable[[Callable[[Request, Principal], M]], Callable[[Request, Principal], M]]:
    """Register ``build`` as the page at ``path`` (HTML) and ``path.json`` (JSON)."""
    needs = require(role)

    def decorator(
        build: Callable[[Request, Principal], M],
    ) -> Callable[[Request, Principal], M]:
        def built(request: Request, principal: Principal) -> M:
            if not keep:
                return build(request, principal)
            return kept(request, principal, path, lambda: build(request, principal))

        def as_json(request: Request, principal: Principal = Depends(needs)) -> M:
            return built(request, principal)

        def as_html(request: Request, principal: Principal = Depends(needs)) -> Response:
            if not keep or wants_json(request):
                return answer(request, built(request, principal), template)
            html = kept(
                request,
                principal,
                f"{path} html",
                lambda: render_html(
                    request, template, {"page": built(request, principal)}, CSRF_MARK
                ),
            )
            return kept_html(request, html)

        as_json.__name__ = f"{build.__name__}_json"
        as_html.__name__ = f"{build.__name__}_page"
        router.add_api_route(
            f"{path}.json",
            as_json,
            methods=["GET"],
            response_model=model,
            summary=summary or (build.__doc__ or "").split("\n")[0],
            tags=["pages"],
        )
        router.add_api_route(
            path, as_html, methods=["GET"], response_class=HTMLResponse, include_in_schema=False
        )
        if nav:
            NAV.append((path, nav, role))
        return build

    return decorator


def kept(request: Request, principal: Principal, name: str, build: Callable[[], T]) -> T:
    """The page ``name`` for this query and user, built once per state of the files."""
    key = (name, request.url.query, principal.username, int(principal.role))
    return request.app.state.web.kept_page(key, build)  # type: ignore[no-any-return]


def include_all(app: FastAPI) -> None:
    """Add every router, in the order of the navigation."""
    from decisionframe.web.pages import (
        admin,
        editor,
        evidence,
        findings,
        labels,
        login,
        overview,
        runs,
        simulator,
    )

    NAV.clear()
    app.state.page_routes = []  # every page route, flat (tests walk it: role per route)
    for module in (login, overview, evidence, findings, editor, simulator, runs, labels, admin):
        router = module.build_router()
        app.state.page_routes.extend(router.routes)
        app.include_router(router)
