"""A fresh PostgreSQL database per test module, on the server `make postgres` / .ci/run start.

The server's superuser address comes from DECISIONFRAME_TEST_POSTGRES (a libpq conninfo
string or URL). Without it the PostgreSQL tests skip with the reason, except under CI=true,
where they fail: CI must never pass by not running them.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote as urlquote

import psycopg
import pytest
from psycopg import conninfo, sql

POSTGRES_ENV = "DECISIONFRAME_TEST_POSTGRES"
START_HINT = 'start one with `eval "$(make -s postgres)"` (tools/postgres.sh)'


def admin_dsn() -> str:
    """The test server's superuser conninfo; skip (locally) or fail (CI) without one."""
    dsn = os.environ.get(POSTGRES_ENV, "").strip()
    if not dsn:
        reason = f"no PostgreSQL test server: {POSTGRES_ENV} is not set; {START_HINT}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return dsn


@dataclass(frozen=True)
class PgDatabase:
    """A database made for one test module: its name, a conninfo and a URL to it."""

    name: str
    dsn: str  # libpq conninfo as the superuser
    admin: str  # the server's maintenance database, for CREATE/DROP ROLE and DATABASE

    def url(self, *, user: str | None = None) -> str:
        """``postgresql://`` URL (what decisionframe.yaml's ``store:`` takes), no password."""
        parts = conninfo.conninfo_to_dict(self.dsn)
        host = str(parts.get("host", "localhost"))
        port = str(parts.get("port", "5432"))
        who = urlquote(user or str(parts.get("user", "postgres")))
        if host.startswith("/"):  # a unix socket directory goes in the query string
            return f"postgresql://{who}@/{self.name}?host={urlquote(host)}&port={port}"
        return f"postgresql://{who}@{host}:{port}/{self.name}"

    def tcp_url(self, *, user: str) -> str:
        """URL over TCP to 127.0.0.1, where the test server asks for a password."""
        port = str(conninfo.conninfo_to_dict(self.dsn).get("port", "5432"))
        return f"postgresql://{urlquote(user)}@127.0.0.1:{port}/{self.name}"

    def connect(self, **kwargs: object) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.dsn, **kwargs)  # type: ignore[arg-type]


def _database_name(module: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "_", module.lower()).strip("_")[-40:]
    return f"df_{stem}_{secrets.token_hex(3)}"


@contextmanager
def fresh_database(label: str) -> Iterator[PgDatabase]:
    """A new, empty database named after ``label``, dropped (with its sessions) at exit."""
    admin = admin_dsn()
    name = _database_name(label)
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield PgDatabase(name, conninfo.make_conninfo(admin, dbname=name), admin)
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def pg_database(request: pytest.FixtureRequest) -> Iterator[PgDatabase]:
    """A fresh, empty database for this test module."""
    with fresh_database(request.module.__name__) as database:
        yield database


@pytest.fixture(scope="module")
def pg_role(pg_database: PgDatabase) -> Iterator[Callable[..., str]]:
    """Make cluster roles for this module (login, password); all dropped afterwards."""
    made: list[str] = []

    def make(prefix: str, *, password: str | None = None, member_of: str | None = None) -> str:
        name = f"{prefix}_{secrets.token_hex(3)}"
        with psycopg.connect(pg_database.admin, autocommit=True) as con:
            statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name))
            if password is not None:
                statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
            con.execute(statement)
            if member_of is not None:
                con.execute(
                    sql.SQL("GRANT {} TO {}").format(
                        sql.Identifier(member_of), sql.Identifier(name)
                    )
                )
        made.append(name)
        return name

    yield make
    with psycopg.connect(pg_database.dsn, autocommit=True) as con:
        for name in made:
            con.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
    with psycopg.connect(pg_database.admin, autocommit=True) as con:
        for name in made:
            con.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


__all__ = ["POSTGRES_ENV", "PgDatabase", "admin_dsn", "pg_database", "pg_role"]
