"""Sign in and out. The only routes open to nobody-yet: the login form and its post.

A login post is CSRF-checked against the not-yet-signed-in session the form was served
with (no login CSRF), rate-limited per user name and per client address, and a success
starts a fresh session (no session fixation). Successes and failures are audited by name
(never the password).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from decisionframe.accounts import Role, audit, authenticate
from decisionframe.web.auth import COOKIE, Principal, check_csrf, require_write, session_cookie
from decisionframe.web.render import render


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/login", include_in_schema=False)
    def login_form(request: Request) -> Response:
        state = request.app.state.web
        if not state.has_accounts():
            return RedirectResponse("/", status_code=303)
        return render(request, "login.html.j2", {"error": None})

    @router.post("/login", include_in_schema=False, dependencies=[Depends(check_csrf)])
    def login(
        request: Request, username: str = Form(max_length=64), password: str = Form(max_length=1024)
    ) -> Response:
        state = request.app.state.web
        client = request.client.host if request.client else "?"
        name = username.strip().lower()
        wait = state.limiter.retry_after(name, client)
        if wait:
            response = render(
                request,
                "login.html.j2",
                {"error": f"Too many failed sign-ins. Try again in {wait} seconds."},
                status_code=429,
            )
            response.headers["retry-after"] = str(wait)
            return response
        with state.write() as store:
            account = authenticate(store, name, password)
            audit(
                store,
                name if account else "-",
                "login" if account else "login.failed",
                {"username": name} if account else {},
            )
        if account is None:
            state.limiter.failed(name, client)
            return render(
                request,
                "login.html.j2",
                {"error": "Wrong user name or password."},
                status_code=401,
            )
        state.sessions.drop(request.cookies.get(COOKIE))
        session = state.sessions.new(account.username, account.role)
        signed_in = RedirectResponse("/", status_code=303)
        signed_in.headers.append("set-cookie", session_cookie(session.token))
        return signed_in

    @router.post("/logout", include_in_schema=False)
    def logout(
        request: Request, principal: Principal = Depends(require_write(Role.viewer))
    ) -> Response:
        state = request.app.state.web
        state.sessions.drop(request.cookies.get(COOKIE))
        response = RedirectResponse("/login" if state.has_accounts() else "/", status_code=303)
        response.headers.append("set-cookie", session_cookie("", max_age=0))
        return response

    return router
