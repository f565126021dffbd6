"""For admins: the accounts (made with `decisionframe users add`, not here) and the audit
log of every write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from decisionframe.accounts import Role, audit_log, list_users
from decisionframe.web.auth import Principal
from decisionframe.web.pages import page
from decisionframe.web.pages.shared import utc


class UserLine(BaseModel):
    username: str
    role: str
    created_at: datetime


class AuditLine(BaseModel):
    at: datetime
    username: str
    action: str
    detail: dict[str, Any]


class AdminPage(BaseModel):
    users: list[UserLine]
    audit: list[AuditLine]


def build_router() -> APIRouter:
    router = APIRouter()

    @page(router, "/admin", role=Role.admin, template="admin.html.j2", model=AdminPage, nav="Admin")
    def admin(request: Request, principal: Principal) -> AdminPage:
        """Accounts and the newest 200 entries of the audit log."""
        with request.app.state.web.read() as store:
            users = list_users(store)
            entries = audit_log(store, limit=200)
        return AdminPage(
            users=[
                UserLine(username=u.username, role=u.role.name, created_at=utc(u.created_at))
                for u in users
            ],
            audit=[
                AuditLine(at=utc(e.at), username=e.username, action=e.action, detail=e.detail)
                for e in entries
            ],
        )

    return router
