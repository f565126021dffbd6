"""The PostgreSQL test server: each module gets its own fresh database."""

from __future__ import annotations

import psycopg
import pytest

from tests.postgres import PgDatabase


def test_fresh_database_is_empty_and_private(pg_database: PgDatabase) -> None:
    with pg_database.connect() as con:
        assert con.execute("SELECT current_database()").fetchone() == (pg_database.name,)
        tables = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)


def test_tcp_asks_for_a_password(pg_database: PgDatabase, pg_role) -> None:  # type: ignore[no-untyped-def]
    user = pg_role("df_pw", password="correct horse battery staple")
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(pg_database.tcp_url(user=user), password="wrong").close()
    with psycopg.connect(
        pg_database.tcp_url(user=user), password="correct horse battery staple"
    ) as con:
        assert con.execute("SELECT current_user").fetchone() == (user,)
