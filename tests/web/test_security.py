"""Roles on every route, CSRF on every write, headers, login limits, the bind refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from typer.testing import CliRunner

from decisionframe.accounts import Role
from decisionframe.cli import app as cli
from tests.web.conftest import csrf_of, sign_in

PUBLIC = {("/login", "GET"), ("/login", "POST")}


def route_role(route: APIRoute) -> tuple[Role | None, bool]:
    """The role a route requires (from its dependencies) and whether it is a write."""
    found: list[tuple[Role, bool]] = []
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        role = getattr(dep.call, "role", None)
        if role is not None:
            found.append((role, bool(getattr(dep.call, "writes", False))))
        stack.extend(dep.dependencies)
    if not found:
        return None, False
    return max(r for r, _ in found), any(w for _, w in found)


def routes(web_app):  # type: ignore[no-untyped-def]
    for route in web_app.state.page_routes:
        if isinstance(route, APIRoute) and not route.path.startswith("/static/"):
            for method in route.methods:
                yield route, method


def test_every_route_declares_a_role(web_app) -> None:  # type: ignore[no-untyped-def]
    missing = [
        (r.path, m)
        for r, m in routes(web_app)
        if (r.path, m) not in PUBLIC
        and r.path not in ("/openapi.json",)
        and route_role(r)[0] is None
    ]
    assert not missing
    writes = [(r.path, m) for r, m in routes(web_app) if m != "GET" and (r.path, m) not in PUBLIC]
    assert writes, "no write route found"
    assert all(route_role(r)[1] for r, m in routes(web_app) if (r.path, m) in writes)


@pytest.mark.parametrize("who", [None, *Role])
def test_every_get_route_for_every_role(web_app, client_as, who) -> None:  # type: ignore[no-untyped-def]
    client = client_as(who)
    for route, method in routes(web_app):
        if method != "GET" or "{" in route.path or (route.path, method) in PUBLIC:
            continue
        needed, _ = route_role(route)
        answer = client.get(route.path, follow_redirects=False)
        if who is None:
            assert answer.status_code in (303, 401), route.path
        elif needed is not None and who < needed:
            assert answer.status_code == 403, (route.path, who)
        else:
            assert answer.status_code in (200, 303), (route.path, who, answer.text[:300])


def test_writes_refused_without_csrf(web_app, client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.admin)
    for route, method in routes(web_app):
        if method == "GET" or (route.path, method) in PUBLIC or "{" in route.path:
            continue
        assert client.request(method, route.path).status_code == 403, route.path
        wrong = client.request(method, route.path, headers={"X-CSRF-Token": "forged"})
        assert wrong.status_code == 403, route.path
    # The same write with the session's token goes through.
    token = csrf_of(client)
    assert client.post("/logout", headers={"X-CSRF-Token": token}).status_code in (200, 303)


def test_login_needs_csrf_and_is_rate_limited(web_app, client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(None)
    client.get("/login")
    refused = client.post("/login", data={"username": "viewer1", "password": "x"})
    assert refused.status_code == 403
    try:
        for _ in range(5):
            assert sign_in(client, "analyst1", "wrong password!").status_code == 401  # type: ignore[attr-defined]
        limited = sign_in(client, "analyst1")  # right password, but too many failures
        assert limited.status_code == 429  # type: ignore[attr-defined]
        assert int(limited.headers["retry-after"]) > 0  # type: ignore[attr-defined]
    finally:
        # The app (and its shared limiter file) is the session's: later tests in this
        # worker sign in as analyst1 and must not inherit the lock-out.
        web_app.state.web.limiter.db.run("DELETE FROM web_login_failures")


def test_security_headers_and_cookie(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(None)
    page = client.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"]
    for flag in ("HttpOnly", "Secure", "SameSite=Strict"):
        assert flag in cookie
    assert "<script>" not in page.text
    assert " style=" not in page.text
    assert client.get("/static/app.js").headers["x-content-type-options"] == "nosniff"


def test_foreign_host_refused(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(None)
    assert client.get("/login", headers={"host": "evil.example"}).status_code == 400


def test_local_mode_is_admin_without_login(local_client) -> None:  # type: ignore[no-untyped-def]
    assert local_client.get("/admin").status_code == 200
    assert "local (admin)" in local_client.get("/overview").text


def test_serve_refuses_other_bind_without_accounts(web_source: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "org"
    shutil.copytree(web_source, folder)
    ran = CliRunner().invoke(cli, ["serve", str(folder), "--host", "127.0.0.2"])
    assert ran.exit_code == 2
    assert "refusing to listen on 127.0.0.2" in ran.output
    assert "decisionframe users add" in ran.output


def test_a_huge_body_is_refused_before_it_is_read(local_client) -> None:  # type: ignore[no-untyped-def]
    """A 10 MB theory draft was parsed (and the login form would parse any size, signed
    in or not): bodies over MAX_BODY_BYTES are refused with 413, chunked ones with 411."""
    from decisionframe.web.security import MAX_BODY_BYTES

    client = local_client  # the machine's own admin: no sign-in (the limiter is spent)
    token = csrf_of(client)
    huge = b'{"theory": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}'
    answer = client.post(
        "/editor/check",
        content=huge,
        headers={"X-CSRF-Token": token, "content-type": "application/json"},
    )
    assert answer.status_code == 413
    assert client.post("/login", content=b"u" * (MAX_BODY_BYTES + 1)).status_code == 413
    chunked = client.post(
        "/editor/check",
        content=iter([b'{"theory": {}}']),
        headers={"X-CSRF-Token": token, "content-type": "application/json"},
    )
    assert chunked.status_code == 411
    fine = client.post("/editor/check", json={"theory": {}}, headers={"X-CSRF-Token": token})
    assert fine.status_code == 200
    assert answer.headers["x-content-type-options"] == "nosniff"  # still inside the headers
