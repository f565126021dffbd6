"""The app at scale: pages kept between requests but live (a new run, an edited theory or
a change by another process shows at the next request), and sessions, CSRF and the login
limiter shared by several worker processes (each with its own app over one project)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from decisionframe.accounts import Role, remove_user
from decisionframe.project import Project
from decisionframe.web import create_app
from decisionframe.web.auth import IDLE_SECONDS, Sessions, WebDatabase
from tests.web.conftest import BASE, NO_SESSIONS, PASSWORD, csrf_of, sign_in


@pytest.fixture
def analyzed_copy(web_analyzed: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "org"
    shutil.copytree(web_analyzed, folder, ignore=NO_SESSIONS)
    return folder


def _signed_in(app: object, role: Role) -> TestClient:
    client = TestClient(app, base_url=BASE)  # type: ignore[arg-type]
    assert sign_in(client, f"{role.name}1").status_code == 303  # type: ignore[attr-defined]
    return client


def test_pages_are_kept_until_a_file_changes(analyzed_copy: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Twenty people opening the overview build it once; an edited theory rebuilds it (the
    page shows the new question) at the next request, without a restart."""
    from decisionframe.web.pages import overview

    built = []
    real = overview.overview_of

    def counting(request):  # type: ignore[no-untyped-def]
        built.append(1)
        return real(request)

    monkeypatch.setattr(overview, "overview_of", counting)
    app = create_app(analyzed_copy)
    with _signed_in(app, Role.viewer) as client:
        first = client.get("/overview.json").json()
        for _ in range(5):
            assert client.get("/overview.json").json() == first
            assert client.get("/overview").status_code == 200
        assert len(built) == 1
        assert "Edited at the next request?" not in (first["question"] or "")
        theory = analyzed_copy / "theory.yaml"
        text = re.sub(
            r"(?m)^question: .*$",
            "question: Edited at the next request?",
            theory.read_text("utf-8"),
            count=1,
        )
        theory.write_text(text, "utf-8")
        edited = client.get("/overview.json").json()
        assert len(built) == 2
        assert edited["question"] == "Edited at the next request?"


def test_a_new_run_shows_without_restart(analyzed_copy: Path) -> None:
    """A run made outside the app (as by `decisionframe analyze` in another process) shows
    on the kept pages at the next request: the evidence page names the new run, the runs
    page lists it."""
    app = create_app(analyzed_copy)
    with _signed_in(app, Role.viewer) as client:
        old = client.get("/evidence/0.json").json()["run_id"]
        assert client.get("/evidence/0.json").json()["run_id"] == old  # kept
        before = client.get("/runs.json").json()
        Project(analyzed_copy).analyze(seed=1)
        new = client.get("/evidence/0.json").json()["run_id"]
        assert new
        assert new != old
        after = client.get("/runs.json").json()
        newest = next(k for k in after["kinds"] if k["kind"] == "analyze")["run_id"]
        assert newest == new
        assert after["history"][0]["run_id"] == new != before["history"][0]["run_id"]


def test_a_label_shows_in_the_kept_queue(analyzed_copy: Path) -> None:
    """The labelling queue is kept per user too; a label given moves on the queue at once."""
    app = create_app(analyzed_copy)
    with _signed_in(app, Role.labeller) as client:
        queue = client.get("/labels.json").json()
        first = queue["contacts"][0]["item_id"]
        assert client.get("/labels.json").json() == queue
        token = csrf_of(client, "/labels")
        given = client.post(
            "/labels",
            data={"kind": "contact", "item_id": first, "tag": "1"},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )
        assert given.status_code == 201, given.text
        again = client.get("/labels.json").json()
        assert first not in [c["item_id"] for c in again["contacts"]]
        assert [m["item_id"] for m in again["mine"]][:1] == [first]


def test_sessions_csrf_and_limiter_are_shared_by_workers(analyzed_copy: Path) -> None:
    """Two apps over one project stand for two worker processes (they share nothing in
    memory: each has its own WebState and SQLite connection). A session made by one is
    honoured by the other with the same role and CSRF token; a wrong token is refused by
    both; logging out at one ends it at both; failures at either count toward one limit;
    a removed account's sessions end in both."""
    one, two = create_app(analyzed_copy), create_app(analyzed_copy)
    assert one.state.web is not two.state.web
    with _signed_in(one, Role.analyst) as a, TestClient(two, base_url=BASE) as b:
        cookie = a.cookies.get("df_session")
        assert cookie
        b.cookies.set("df_session", cookie, domain="127.0.0.1")
        assert b.get("/overview.json").status_code == 200
        assert "analyst1 (analyst)" in b.get("/overview").text
        token = csrf_of(a, "/simulator")
        assert csrf_of(b, "/simulator") == token  # one session, one token, either worker
        budget = b.get("/simulator.json").json()["budget"]["value"]
        posted = b.post(
            "/simulator/what-if", data={"budget": str(budget)}, headers={"X-CSRF-Token": token}
        )
        assert posted.status_code == 200
        forged = b.post(
            "/simulator/what-if", data={"budget": str(budget)}, headers={"X-CSRF-Token": "x"}
        )
        assert forged.status_code == 403
        assert b.post("/logout", headers={"X-CSRF-Token": token}).status_code in (200, 303)
        assert a.get("/overview.json").status_code == 401  # ended at the other worker too

    with TestClient(one, base_url=BASE) as a, TestClient(two, base_url=BASE) as b:
        for client in (a, b, a, b, a):
            assert sign_in(client, "viewer1", "wrong password!").status_code == 401  # type: ignore[attr-defined]
        assert sign_in(b, "viewer1").status_code == 429  # type: ignore[attr-defined]
        assert sign_in(a, "viewer1").status_code == 429  # type: ignore[attr-defined]

    with _signed_in(one, Role.labeller) as a, TestClient(two, base_url=BASE) as b:
        b.cookies.set("df_session", a.cookies.get("df_session") or "", domain="127.0.0.1")
        assert b.get("/labels.json").status_code == 200
        with Project(analyzed_copy).open_store() as store:  # `decisionframe users remove`
            remove_user(store, "labeller1", by="test")
        assert b.get("/labels.json").status_code == 401
        assert a.get("/labels.json").status_code == 401


def test_session_file_keeps_no_token_and_expires_idle_sessions(tmp_path: Path) -> None:
    path = tmp_path / "web.sqlite"
    here, there = Sessions(WebDatabase(path)), Sessions(WebDatabase(path))
    session = here.new("viewer1", Role.viewer)
    seen = there.get(session.token)
    assert seen is not None
    assert (seen.username, seen.role, seen.csrf) == ("viewer1", Role.viewer, session.csrf)
    assert there.get(session.token + "x") is None
    with sqlite3.connect(path) as con:
        dumped = "\n".join(con.iterdump())
        assert session.token not in dumped  # only its SHA-256
        con.execute("UPDATE web_sessions SET seen = ?", (time.time() - IDLE_SECONDS - 1,))
    assert here.get(session.token) is None  # idle for too long, whichever worker asks
    assert there.get(session.token) is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_two_workers(analyzed_copy: Path) -> None:
    """`decisionframe serve --workers 2` for real: one sign-in holds for every request,
    whichever worker answers it (the kernel spreads connections over both)."""
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = "from decisionframe.cli import app; app()"
    more = ["--workers", "2"]
    server = subprocess.Popen(
        [sys.executable, "-c", command, "serve", str(analyzed_copy), "--port", str(port), *more],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: its workers end with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=10).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, "serve stopped"
            assert time.monotonic() < deadline, "serve did not start in time"
            time.sleep(0.5)
        form = httpx.get(f"{base}/login", timeout=30)
        cookie = form.headers["set-cookie"].split(";")[0]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf
        signed = httpx.post(
            f"{base}/login",
            data={"username": "viewer1", "password": PASSWORD, "csrf_token": csrf.group(1)},
            headers={"cookie": cookie},
            timeout=30,
        )
        assert signed.status_code == 303
        session = signed.headers["set-cookie"].split(";")[0]
        for _ in range(12):  # a new connection each time: either worker may answer
            page = httpx.get(f"{base}/overview.json", headers={"cookie": session}, timeout=30)
            assert page.status_code == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def test_kept_html_carries_each_sessions_own_csrf_token(analyzed_copy: Path) -> None:
    """Two sessions of one user get the same kept page, each with its own CSRF token (the
    placeholder never shows), and a token works only with its own session."""
    from decisionframe.web.render import CSRF_MARK

    app = create_app(analyzed_copy)
    with _signed_in(app, Role.viewer) as one, _signed_in(app, Role.viewer) as two:
        for path in ("/overview", "/evidence/0", "/simulator", "/demand"):
            first, second = one.get(path).text, two.get(path).text
            assert CSRF_MARK not in first
            assert CSRF_MARK not in second
            token_one, token_two = csrf_of(one, path), csrf_of(two, path)
            assert token_one != token_two
            assert first.replace(token_one, "") == second.replace(token_two, "")
        budget = one.get("/simulator.json").json()["budget"]["value"]
        wrong = one.post(
            "/simulator/what-if", data={"budget": str(budget)}, headers={"X-CSRF-Token": token_two}
        )
        assert wrong.status_code == 403
