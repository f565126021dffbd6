"""Who is asking, and may they: sessions, roles on every route, CSRF on every write,
login rate limiting.

Sessions live on the server, in a small SQLite file beside the store
(``.decisionframe/web.sqlite``) that every worker process of ``decisionframe serve
--workers N`` shares: a session made by one worker is honoured by the others, a logout in
one ends it in all, and the login limiter counts failures across all of them. SQLite
rather than the DuckDB store: DuckDB lets one process at a time open its file for writing,
SQLite (in WAL mode) lets many processes read and write side by side. The cookie holds
only a random token, marked Secure, HttpOnly and SameSite=Strict; the file keeps its
SHA-256, never the token, so a copy of the file lets nobody in. Logging out, removing the
account or eight idle hours end a session (restarting the app no longer does). Every
session carries its own CSRF token (synchronizer-token pattern): a write must send it back
in the ``X-CSRF-Token`` header (htmx does, see static/app.js) or a ``csrf_token`` form
field, else it is refused with 403 before anything is read.

Without accounts (and only then: the app is bound to 127.0.0.1, see ``serve``), every
visitor is the machine's own user: a session named ``local`` with the admin role. Once an
account exists such sessions stop working and everybody logs in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from decisionframe.accounts import Role

COOKIE = "df_session"
LOCAL_USER = "local"
IDLE_SECONDS = 8 * 3600
MAX_SESSIONS = 10_000
SEEN_EVERY = 60.0  # a session's last-seen time is written at most once a minute
MAX_FAILURES = 100_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_sessions (
    token_sha256 TEXT PRIMARY KEY,
    csrf TEXT NOT NULL,
    username TEXT,
    role TEXT,
    local INTEGER NOT NULL,
    seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_seen ON web_sessions (seen);
CREATE INDEX IF NOT EXISTS web_sessions_user ON web_sessions (username);
CREATE TABLE IF NOT EXISTS web_login_failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS web_login_failures_key ON web_login_failures (key, at);
"""


class WebDatabase:
    """The SQLite file of sessions and login failures, shared by the app's processes.

    One connection per process, used under a lock (each statement takes microseconds);
    WAL mode and a busy timeout let several processes write without "database is locked".
    ``None`` as the path keeps everything in memory (one process only: tests, tools).
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(
            str(self.path) if self.path is not None else ":memory:",
            timeout=10.0,
            isolation_level=None,  # autocommit: every statement is its own transaction
            check_same_thread=False,
        )
        self.lock = threading.Lock()
        with self.lock:
            if self.path is not None:
                self._con.execute("PRAGMA journal_mode=WAL")
                self._con.execute("PRAGMA synchronous=NORMAL")
            self._con.executescript(_SCHEMA)

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self._con.execute(sql, params).fetchall()

    def close(self) -> None:
        with self.lock:
            self._con.close()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Session:
    token: str
    csrf: str
    username: str | None  # None: not logged in yet (the login form's session)
    role: Role | None
    local: bool = False
    seen: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Principal:
    """The signed-in user of a request."""

    username: str
    role: Role
    csrf: str


class Sessions:
    """Server-side sessions: token -> Session, idle ones forgotten after 8 hours (wall
    clock: the processes sharing the file share no monotonic clock)."""

    def __init__(
        self, db: WebDatabase | None = None, *, idle_seconds: float = IDLE_SECONDS
    ) -> None:
        self.db = db if db is not None else WebDatabase()
        self.idle_seconds = idle_seconds

    def new(self, username: str | None, role: Role | None, *, local: bool = False) -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), username, role)
        session.local = local
        now = session.seen
        self.db.run("DELETE FROM web_sessions WHERE seen < ?", (now - self.idle_seconds,))
        (count,) = self.db.run("SELECT count(*) FROM web_sessions")[0]
        if count >= MAX_SESSIONS:  # forget the longest idle first
            self.db.run(
                "DELETE FROM web_sessions WHERE token_sha256 IN (SELECT token_sha256 "
                "FROM web_sessions ORDER BY seen LIMIT ?)",
                (count - MAX_SESSIONS + 1,),
            )
        self.db.run(
            "INSERT INTO web_sessions VALUES (?, ?, ?, ?, ?, ?)",
            (
                _digest(session.token),
                session.csrf,
                username,
                role.name if role is not None else None,
                int(local),
                now,
            ),
        )
        return session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        key = _digest(token)
        found = self.db.run(
            "SELECT csrf, username, role, local, seen FROM web_sessions WHERE token_sha256 = ?",
            (key,),
        )
        if not found:
            return None
        csrf, username, role, local, seen = found[0]
        now = time.time()
        if now - seen > self.idle_seconds:
            self.db.run("DELETE FROM web_sessions WHERE token_sha256 = ?", (key,))
            return None
        if now - seen > SEEN_EVERY:
            self.db.run("UPDATE web_sessions SET seen = ? WHERE token_sha256 = ?", (now, key))
            seen = now
        return Session(
            token, csrf, username, Role[role] if role else None, local=bool(local), seen=seen
        )

    def drop(self, token: str | None) -> None:
        if token:
            self.db.run("DELETE FROM web_sessions WHERE token_sha256 = ?", (_digest(token),))

    def drop_user(self, username: str) -> None:
        self.db.run("DELETE FROM web_sessions WHERE username = ?", (username,))


class LoginLimiter:
    """At most ``per_name`` failed logins per user name and ``per_client`` per client
    address in a sliding window; past that, logins are refused (429) until it slides on.
    A success does not reset the client's count (a guesser with one valid account of its
    own gains nothing). The failures are kept in the shared file: a guesser gains nothing
    either from reaching several workers."""

    def __init__(
        self,
        db: WebDatabase | None = None,
        *,
        per_name: int = 5,
        per_client: int = 20,
        window: float = 300.0,
    ):
        self.db = db if db is not None else WebDatabase()
        self.per_name, self.per_client, self.window = per_name, per_client, window

    def retry_after(self, username: str, client: str) -> int:
        """Seconds to wait before another try is allowed (0: allowed now)."""
        now = time.time()
        waits = []
        for key, limit in ((f"name:{username}", self.per_name), (f"ip:{client}", self.per_client)):
            times = self.db.run(
                "SELECT at FROM web_login_failures WHERE key = ? AND at > ? ORDER BY at DESC "
                "LIMIT ?",
                (key, now - self.window, limit),
            )
            if len(times) >= limit:  # the limit-th newest failure decides when one slides out
                waits.append(int(self.window - (now - times[-1][0])) + 1)
        return max(waits, default=0)

    def failed(self, username: str, client: str) -> None:
        now = time.time()
        for key in (f"name:{username}", f"ip:{client}"):
            self.db.run("INSERT INTO web_login_failures VALUES (?, ?)", (key, now))
        self.db.run("DELETE FROM web_login_failures WHERE at < ?", (now - self.window,))
        (count,) = self.db.run("SELECT count(*) FROM web_login_failures")[0]
        if count > MAX_FAILURES:  # bound the space a flood of names can take
            self.db.run("DELETE FROM web_login_failures")


def session_cookie(token: str, *, max_age: int | None = None) -> str:
    """The Set-Cookie value: the token only, Secure, HttpOnly, SameSite=Strict."""
    age = f"; Max-Age={max_age}" if max_age is not None else ""
    return f"{COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict{age}"


class NotSignedIn(Exception):
    """Raised by the role check when nobody is signed in (HTML: to the login page)."""


def session_of(request: HTTPConnection) -> Session | None:
    """The request's session, if its cookie names a live one (local sessions end once
    accounts exist; a removed account's end too, and a changed role applies at once)."""
    state = request.app.state.web
    session: Session | None = state.sessions.get(request.cookies.get(COOKIE))
    if session is None:
        return None
    if session.local:
        if state.has_accounts():
            state.sessions.drop(session.token)
            return None
    elif session.username is not None:
        role = state.accounts().get(session.username)
        if role is None:  # removed since signing in
            state.sessions.drop(session.token)
            return None
        session.role = role
    return session


def principal_of(request: Request) -> Principal | None:
    session = getattr(request.state, "session", None) or session_of(request)
    if session is None or session.username is None or session.role is None:
        return None
    return Principal(session.username, session.role, session.csrf)


def require(role: Role) -> Callable[[Request], Principal]:
    """A dependency: the signed-in user, who must hold ``role`` or above (else 403).

    Every route but the login form and static files declares one; tests/web walk the
    route table and try every route with every role.
    """

    def dependency(request: Request) -> Principal:
        principal = principal_of(request)
        if principal is None:
            raise NotSignedIn()
        if principal.role < role:
            raise HTTPException(403, f"this needs the {role.name} role or above")
        return principal

    dependency.role = role  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{role.name}"
    return dependency


async def check_csrf(request: Request) -> None:
    """Refuse a write whose CSRF token is missing or wrong (403), before its body is used."""
    session = getattr(request.state, "session", None) or session_of(request)
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf_token")
        sent = value if isinstance(value, str) else None
    if session is None or not sent or not hmac.compare_digest(sent, session.csrf):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


def require_write(role: Role) -> Callable[..., Any]:
    """A dependency for a write: CSRF checked, then ``role`` required."""
    read = require(role)

    async def dependency(request: Request, _: None = Depends(check_csrf)) -> Principal:
        return read(request)

    dependency.role = role  # type: ignore[attr-defined]
    dependency.writes = True  # type: ignore[attr-defined]
    dependency.__name__ = f"write_{role.name}"
    return dependency


viewer = require(Role.viewer)
labeller = require(Role.labeller)
analyst = require(Role.analyst)
admin = require(Role.admin)
