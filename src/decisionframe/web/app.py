"""The app factory: ``create_app(project_dir)`` -> a FastAPI app serving one project.

Layers, outermost first: security headers (every answer), a bound on request bodies,
allowed Host names (DNS rebinding), sessions (the cookie -> a server-side session), then
the routers. Each router lives in ``web/pages/`` and declares the role of every route
(``auth.require``); writes also check CSRF (``auth.require_write``). How to add a page:
docs in notes and ``web/pages/__init__.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from decisionframe.accounts import Role
from decisionframe.errors import DecisionframeError
from decisionframe.project import Project
from decisionframe.store.duckdb_store import open_read_write_only
from decisionframe.web.auth import (
    LOCAL_USER,
    LoginLimiter,
    NotSignedIn,
    Sessions,
    WebDatabase,
    session_cookie,
    session_of,
)
from decisionframe.web.render import render, wants_json
from decisionframe.web.security import BodyLimit, SecurityHeaders, allowed_hosts
from decisionframe.web.state import LOCK_WAIT, WebState

PLOTLY = "plotly-basic-4.1.1.min.js"
SESSIONS_FILE = "web.sqlite"
# ``serve --workers N`` hands the app's settings to its worker processes in these (uvicorn
# starts each worker from an import string, so it cannot pass arguments).
ENV_DIRECTORY = "DECISIONFRAME_SERVE_DIRECTORY"
ENV_BIND = "DECISIONFRAME_SERVE_BIND"
ENV_HOSTS = "DECISIONFRAME_SERVE_ALLOW_HOSTS"
ENV_HTTPS = "DECISIONFRAME_SERVE_HTTPS"


class SessionMiddleware:
    """Find the request's session (``request.state.session``); without accounts, give a
    newcomer the machine owner's session; on the login form, a not-yet-signed-in session
    (it carries the CSRF token the form posts back)."""

    def __init__(self, app: ASGIApp, state: WebState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith("/static/"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        scope.setdefault("state", {})
        session = session_of(connection)  # type: ignore[arg-type]
        new = None
        if session is None:
            if not self.state.has_accounts():
                new = self.state.sessions.new(LOCAL_USER, Role.admin, local=True)
            elif scope["path"] == "/login" and scope["method"] == "GET":
                new = self.state.sessions.new(None, None)
            session = new
        scope["state"]["session"] = session

        async def send_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and new is not None:
                MutableHeaders(scope=message).append("set-cookie", session_cookie(new.token))
            await send(message)

        await self.app(scope, receive, send_cookie if new is not None else send)


def create_app(
    directory: Path | str,
    *,
    bind: str = "127.0.0.1",
    extra_hosts: Iterable[str] = (),
    https: bool = False,
) -> FastAPI:
    """The web app of the project at ``directory`` (see ``decisionframe serve``)."""
    from decisionframe.web import pages
    from decisionframe.web.jobs import Jobs

    project = Project(directory)  # a clear error now if it is no project
    open_read_write_only(lock_wait=LOCK_WAIT)  # other workers open the store too
    with project.open_store():  # brings the store's tables forward (accounts, labels)
        pass
    # Sessions and login failures in a file every worker process shares (see web.auth).
    shared = WebDatabase(project.state_dir / SESSIONS_FILE)
    state = WebState(
        Path(directory), sessions=Sessions(shared), limiter=LoginLimiter(shared), https=https
    )
    state.jobs = Jobs(state)
    app = FastAPI(
        title=f"decisionframe: {project.config.name}",
        description="Every page of `decisionframe serve` also answers as JSON at the same "
        "path with `.json` (or with `Accept: application/json`): the same data, through "
        "the same disclosure layer.",
        version="1",
        docs_url=None,  # Swagger UI loads scripts from a CDN; the schema is at /openapi.json
        redoc_url=None,
    )
    app.state.web = state
    _static(app)
    pages.include_all(app)
    _errors(app)
    app.add_middleware(SessionMiddleware, state=state)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(bind, extra_hosts))
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders, https=https)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker of ``serve --workers N`` (uvicorn calls it in each process),
    built from the settings ``serve`` checked and put in the environment."""
    hosts = [h for h in os.environ.get(ENV_HOSTS, "").split("\n") if h]
    return create_app(
        os.environ[ENV_DIRECTORY],
        bind=os.environ.get(ENV_BIND, "127.0.0.1"),
        extra_hosts=hosts,
        https=os.environ.get(ENV_HTTPS) == "1",
    )


def _static(app: FastAPI) -> None:
    """Static files: the app's own (static/), the report's stylesheet and Plotly bundle
    (shared, not copied). No route reads a path from the request but StaticFiles, which
    serves only inside its own package folder."""
    report_css = resources.files("decisionframe.report") / "templates" / "report.css"
    plotly = resources.files("decisionframe.report") / "vendor" / PLOTLY

    @app.get("/static/report.css", include_in_schema=False)
    def _report_css() -> Response:
        return FileResponse(str(report_css), media_type="text/css")

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def _plotly() -> Response:
        return FileResponse(str(plotly), media_type="text/javascript")

    static = resources.files("decisionframe.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")


def _errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if wants_json(request) or request.method != "GET":
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if wants_json(request) or request.headers.get("hx-request"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return render(
            request,
            "error.html.j2",
            {"status": exc.status_code, "message": exc.detail},
            status_code=exc.status_code,
        )

    @app.exception_handler(DecisionframeError)
    async def _user_error(request: Request, exc: DecisionframeError) -> Response:
        # Our own errors are written for users and never carry data values.
        if wants_json(request) or request.headers.get("hx-request"):
            return JSONResponse({"detail": str(exc)}, status_code=409)
        return render(
            request, "error.html.j2", {"status": 409, "message": str(exc)}, status_code=409
        )
