"""Who is asking, and may they: sessions, roles on every route, CSRF on every write,
login rate limiting.

Sessions live on the server (an in-memory table keyed by a random token); the cookie holds
only the token, marked Secure, HttpOnly and SameSite=Strict. Logging out or restarting
the app ends them. Every session carries its own CSRF token (synchronizer-token pattern):
a write must send it back in the ``X-CSRF-Token`` header (htmx does, see static/app.js)
or a ``csrf_token`` form field, else it is refused with 403 before anything is read.

Without accounts (and only then: the app is bound to 127.0.0.1, see ``serve``), every
visitor is the machine's own user: a session named ``local`` with the admin role. Once an
account exists such sessions stop working and everybody logs in.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from decisionframe.accounts import Role

COOKIE = "df_session"
LOCAL_USER = "local"
IDLE_SECONDS = 8 * 3600
MAX_SESSIONS = 10_000


@dataclass
class Session:
    token: str
    csrf: str
    username: str | None  # None: not logged in yet (the login form's session)
    role: Role | None
    local: bool = False
    seen: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Principal:
    """The signed-in user of a request."""

    username: str
    role: Role
    csrf: str


class Sessions:
    """Server-side sessions: token -> Session, idle ones forgotten after 8 hours."""

    def __init__(self, *, idle_seconds: float = IDLE_SECONDS) -> None:
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.idle_seconds = idle_seconds

    def new(self, username: str | None, role: Role | None, *, local: bool = False) -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), username, role)
        session.local = local
        with self._lock:
            if len(self._by_token) >= MAX_SESSIONS:  # forget the longest idle first
                oldest = min(self._by_token.values(), key=lambda s: s.seen)
                del self._by_token[oldest.token]
            self._by_token[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            session = self._by_token.get(token)
            if session is None:
                return None
            now = time.monotonic()
            if now - session.seen > self.idle_seconds:
                del self._by_token[token]
                return None
            session.seen = now
            return session

    def drop(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)

    def drop_user(self, username: str) -> None:
        with self._lock:
            for token in [t for t, s in self._by_token.items() if s.username == username]:
                del self._by_token[token]


class LoginLimiter:
    """At most ``per_name`` failed logins per user name and ``per_client`` per client
    address in a sliding window; past that, logins are refused (429) until it slides on.
    A success does not reset the client's count (a guesser with one valid account of its
    own gains nothing)."""

    def __init__(self, *, per_name: int = 5, per_client: int = 20, window: float = 300.0):
        self.per_name, self.per_client, self.window = per_name, per_client, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def retry_after(self, username: str, client: str) -> int:
        """Seconds to wait before another try is allowed (0: allowed now)."""
        now = time.monotonic()
        with self._lock:
            waits = []
            for key, limit in (
                (f"name:{username}", self.per_name),
                (f"ip:{client}", self.per_client),
            ):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(int(self.window - (now - times[0])) + 1)
            return max(waits, default=0)

    def failed(self, username: str, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"name:{username}", f"ip:{client}"):
                self._recent(key, now).append(now)
            if len(self._failures) > 100_000:  # bound the memory a flood of names can take
                self._failures.clear()


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
