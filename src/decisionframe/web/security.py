"""Response headers every answer carries, and which Host names the app answers to.

The Content-Security-Policy allows scripts and styles from the app itself only: no inline
script, no inline style, no eval, nothing from another origin (htmx and Plotly are
vendored under /static). The one exception is the hash of the empty string in style-src:
Plotly appends an empty <style> element and fills it through the CSSOM (from its own,
same-origin script); only an empty inline style can ever match that hash, so no markup
can bring a style of its own. Pages cannot be framed (clickjacking), browsers may not guess a
content type, and no Referer leaves the app (page addresses name assumptions and runs).

A pure ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: it adds headers to
the start message without wrapping the body (cheaper under load, streams untouched).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        # sha256 of "": Plotly's empty <style> element (see above), nothing else.
        "style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),  # for browsers older than frame-ancestors
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)
NO_STORE = (b"cache-control", b"no-store")
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    """Add the security headers to every HTTP response; pages are not cached (they show
    data about people), static files are."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {h for h, _ in HEADERS}
                ]
                headers.extend(HEADERS)
                if not static:
                    headers.append(NO_STORE)
                if self.https:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


MAX_BODY_BYTES = 2 << 20  # the largest real write is a theory (YAML is capped at 1 MB)


class BodyLimit:
    """Refuse a request body over ``MAX_BODY_BYTES`` (413) before anything reads it.

    Without it, anyone who could reach the app (signed in or not: the login form parses
    its body to find the CSRF token) could post gigabytes and the form or JSON parser
    would hold them in memory (#13: a 10 MB theory draft was accepted and parsed). The
    declared Content-Length is checked; a body without one (chunked) is refused with
    411, which no browser form or fetch of the app sends. The server enforces the
    declared length, so a body cannot outgrow it.
    """

    def __init__(self, app: ASGIApp, *, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        status = 0
        if length is None:
            status = 411 if b"transfer-encoding" in headers else 0
        elif not length.isdigit() or int(length) > self.limit:
            status = 413
        if not status:
            await self.app(scope, receive, send)
            return
        message = b"request body too large" if status == 413 else b"Content-Length required"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": message})


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
# Without accounts the app has no login, so it may listen only where nobody else can
# reach it: 127.0.0.1 (and its IPv6 twin). Any other address, even another loopback
# address such as 127.0.0.2 (reachable from other network namespaces and containers set
# up to share it), needs accounts first.
OPEN_BINDS = ("127.0.0.1", "localhost", "::1")


def open_without_login(bind: str) -> bool:
    """Whether the app may listen on ``bind`` before any account exists."""
    return bind in OPEN_BINDS


def allowed_hosts(bind: str, extra: Iterable[str] = ()) -> list[str]:
    """Host header values to answer. Bound to loopback, only loopback names: a web page
    elsewhere cannot point a name of its own at 127.0.0.1 and read the app (DNS
    rebinding). Any other bind adds itself; names a proxy uses are given with
    ``--allow-host``."""
    names = [*LOOPBACK_NAMES]
    if bind not in (*OPEN_BINDS, "0.0.0.0", "::"):
        names.append(bind)
    names.extend(extra)
    return names
