"""Accounts and the audit log of the web app, kept in the project's store.

Roles are ordered: a viewer reads pages; a labeller also labels contacts and comments; an
analyst also re-runs analyses; an admin also sees the audit log and the accounts. Accounts
are made from the command line (``decisionframe users add``), never from a request, so a
web session cannot give itself a role. Passwords are stored as argon2id hashes
(argon2-cffi's defaults, RFC 9106's second recommended setting).

No web framework here: the CLI and the web layer both call these functions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from decisionframe.errors import DecisionframeError
from decisionframe.store.base import Store

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 12
_HASHER = PasswordHasher()
# Verified when a name is unknown, so a wrong name costs as long as a wrong password
# (no timing oracle for which accounts exist).
_DUMMY_HASH = _HASHER.hash("decisionframe-no-such-user")


class Role(IntEnum):
    """Ordered roles: each can do everything the ones below it can."""

    viewer = 1
    labeller = 2
    analyst = 3
    admin = 4

    @classmethod
    def parse(cls, name: str) -> Role:
        try:
            return cls[name.strip().lower()]
        except KeyError:
            raise DecisionframeError(
                f"unknown role. Hint: use one of {', '.join(r.name for r in cls)}."
            ) from None


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    created_at: datetime
    disabled: bool = False


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise DecisionframeError(
            "a user name is 1 to 64 lower-case letters, digits, '.', '_' or '-', starting "
            "with a letter or digit. Hint: use e.g. 'maria.k'."
        )
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise DecisionframeError(
            f"the password is too short: use at least {MIN_PASSWORD} characters "
            "(a few unrelated words are easy to remember)."
        )
    return password


def has_accounts(store: Store) -> bool:
    """Whether any enabled account exists (then every page needs a login)."""
    if not store.table_exists("df_users"):
        return False
    return bool(store.rows("SELECT count(*) FROM df_users WHERE NOT disabled")[0][0])


def add_user(store: Store, username: str, password: str, role: Role, *, by: str) -> Account:
    """Create an account (refused if the name exists); audited."""
    check_username(username)
    check_password(password)
    if store.rows("SELECT count(*) FROM df_users WHERE username = ?", [username])[0][0]:
        raise DecisionframeError(
            f"user '{username}' exists already. Hint: `decisionframe users remove` it first "
            "to give a new password or role."
        )
    now = datetime.now(UTC)
    with store.transaction():
        store.execute(
            "INSERT INTO df_users VALUES (?, ?, ?, ?, false)",
            [username, role.name, _HASHER.hash(password), now],
        )
        audit(store, by, "users.add", {"username": username, "role": role.name})
    return Account(username, role, now)


def remove_user(store: Store, username: str, *, by: str) -> None:
    check_username(username)
    if not store.rows("SELECT count(*) FROM df_users WHERE username = ?", [username])[0][0]:
        raise DecisionframeError(f"no user '{username}'. Hint: `decisionframe users list`.")
    with store.transaction():
        store.execute("DELETE FROM df_users WHERE username = ?", [username])
        audit(store, by, "users.remove", {"username": username})


def list_users(store: Store) -> list[Account]:
    if not store.table_exists("df_users"):
        return []
    return [
        Account(str(name), Role[str(role)], created, bool(disabled))
        for name, role, created, disabled in store.rows(
            "SELECT username, role, created_at, disabled FROM df_users ORDER BY username"
        )
    ]


def authenticate(store: Store, username: str, password: str) -> Account | None:
    """The account if the password is right, else None (same work either way)."""
    row = (
        store.rows(
            "SELECT username, role, password_hash, created_at FROM df_users "
            "WHERE username = ? AND NOT disabled",
            [username],
        )
        if USERNAME.match(username)
        else []
    )
    stored = str(row[0][2]) if row else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not row:
        return None
    return Account(str(row[0][0]), Role[str(row[0][1])], row[0][3])


def audit(store: Store, username: str, action: str, detail: dict[str, Any]) -> None:
    """Record one write: who, what, when. ``detail`` holds ids and choices, never free text
    from the data (a label's reason is one of the configured reasons, a theme an id)."""
    store.execute(
        "INSERT INTO df_audit VALUES (?, ?, ?, ?)",
        [datetime.now(UTC), username, action, json.dumps(detail, sort_keys=True)],
    )


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    username: str
    action: str
    detail: dict[str, Any]


def audit_log(store: Store, *, limit: int = 200) -> list[AuditEntry]:
    if not store.table_exists("df_audit"):
        return []
    return [
        AuditEntry(at, str(user), str(action), json.loads(detail))
        for at, user, action, detail in store.rows(
            "SELECT happened_at, username, action, detail FROM df_audit "
            "ORDER BY happened_at DESC LIMIT ?",
            [limit],
        )
    ]
