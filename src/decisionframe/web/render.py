"""Templates (Jinja2, autoescaped, shared look with the report) and the HTML/JSON choice.

Every page is built as one Pydantic model; the HTML answer renders it through a template,
the JSON answer is the model itself (``/page.json`` or ``Accept: application/json``), so
the two can never disagree.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup
from pydantic import BaseModel

from decisionframe.accounts import Role

# The app's templates, and the report's partials under "report/" (shared, not copied: the
# voice and initiatives sections are the report's own, CSP-safe as they are).
_ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader(
        [
            jinja2.PackageLoader("decisionframe.web", "templates"),
            jinja2.PrefixLoader(
                {"report": jinja2.PackageLoader("decisionframe.report", "templates")}
            ),
        ]
    ),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _to_json_attr(value: Any) -> Markup:
    """A value as JSON for a ``data-`` attribute (escaped once more by autoescape rules:
    the attribute is quoted, and Markup-escaping the JSON keeps quotes and '<' harmless)."""
    return Markup.escape(json.dumps(value, separators=(",", ":"), default=str))


_ENV.filters["json_attr"] = _to_json_attr
_ENV.globals["Role"] = Role


def environment() -> jinja2.Environment:
    return _ENV


def wants_json(request: Request) -> bool:
    """JSON when the path ends in .json or the client asks for it before HTML."""
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """A template rendered with the signed-in user, their CSRF token and the nav."""
    session = getattr(request.state, "session", None)
    html = render_html(request, template, context, session.csrf if session is not None else "")
    return HTMLResponse(html, status_code=status_code)


def render_html(request: Request, template: str, context: dict[str, Any], csrf: str) -> str:
    """The page's HTML with ``csrf`` as its CSRF token (``CSRF_MARK`` for a kept page)."""
    from decisionframe.web.auth import principal_of

    return _ENV.get_template(template).render(
        request_path=request.url.path,
        principal=principal_of(request),
        csrf_token=csrf,
        project_name=_project_name(request),
        nav=_nav(request),
        **context,
    )


# A kept page's HTML is rendered once with this in place of the CSRF token, which each
# answer then puts in (its own session's). Random per process, and nothing a page shows
# (all of it autoescaped) can spell it: only the template's own token fields carry it.
CSRF_MARK = "csrf-" + secrets.token_hex(16)


def kept_html(request: Request, html: str) -> HTMLResponse:
    """A kept page's HTML with this session's CSRF token."""
    session = getattr(request.state, "session", None)
    return HTMLResponse(html.replace(CSRF_MARK, session.csrf if session is not None else ""))


def _project_name(request: Request) -> str:
    try:
        return str(request.app.state.web.project().config.name)
    except Exception:  # an edited, now broken config: the page still says what it can
        return "decisionframe"


NAV: list[tuple[str, str, Role]] = []
"""(path, label, role) of the top navigation; routers add theirs in ``pages``."""


def _nav(request: Request) -> list[tuple[str, str]]:
    from decisionframe.web.auth import principal_of

    principal = principal_of(request)
    if principal is None:
        return []
    return [(path, label) for path, label, role in NAV if principal.role >= role]


def answer(request: Request, model: BaseModel, template: str, **extra: Any) -> Response:
    """The page as HTML, or as its JSON twin when asked."""
    if wants_json(request):
        return JSONResponse(model.model_dump(mode="json"))
    return render(request, template, {"page": model, **extra})
