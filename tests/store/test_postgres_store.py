"""The PostgreSQL store behind the Store protocol: statements, types, config, passwords."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from decisionframe.config import load_config
from decisionframe.errors import ConfigError, StoreError
from decisionframe.store import DuckDBStore
from decisionframe.store.migrations import MIGRATIONS
from decisionframe.store.postgres_store import PostgresStore, pyformat
from tests.postgres import PgDatabase

TABLE = "CREATE TABLE t (a BIGINT, b VARCHAR, d DATE, ts TIMESTAMP, f DOUBLE, ok BOOLEAN)"
ROWS = [
    [1, "x%?'", "2024-01-02", "2024-01-02 10:00:00", 0.1, True],
    [2, None, None, None, None, None],
]


@pytest.fixture(scope="module")
def store(pg_database: PgDatabase):  # type: ignore[no-untyped-def]
    with PostgresStore(pg_database.url()) as opened:
        opened.execute(TABLE)
        for row in ROWS:
            opened.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", row)
        yield opened


def test_migrated_once(store: PostgresStore, pg_database: PgDatabase) -> None:
    assert store.applied_migrations() == sorted(m.version for m in MIGRATIONS)
    with PostgresStore(pg_database.url()) as again:
        assert again.migrate() == []


def test_placeholders_and_percent_signs() -> None:
    assert pyformat("SELECT '%?' LIKE b, ? -- a ? here") == "SELECT '%%?' LIKE b, %s -- a ? here"


def test_frames_have_duckdb_types(store: PostgresStore) -> None:
    """The same rows give the same DataFrame, dtypes included, on either store."""
    with DuckDBStore(":memory:") as duck:
        duck.execute(TABLE)
        for row in ROWS:
            duck.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", row)
        expected = duck.frame("SELECT * FROM t ORDER BY a")
        assert store.table_columns("t") == duck.table_columns("t")
    pd.testing.assert_frame_equal(store.frame("SELECT * FROM t ORDER BY a"), expected)
    assert store.rows("SELECT a FROM t WHERE b LIKE ?", ["x%"]) == [(1,)]


def test_transaction_rolls_back(store: PostgresStore) -> None:
    def delete_then_fail() -> None:
        with store.transaction():
            store.execute("DELETE FROM t")
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        delete_then_fail()
    assert store.rows("SELECT count(*) FROM t") == [(2,)]


def test_refused_statement_names_no_value(store: PostgresStore) -> None:
    with pytest.raises(StoreError) as caught:
        store.execute("INSERT INTO t (a) VALUES (?)", ["client-4711"])
    assert "4711" not in str(caught.value)
    assert store.rows("SELECT count(*) FROM t") == [(2,)]  # the connection is still usable


def test_reader_survives_a_failed_statement(pg_database: PgDatabase, store: PostgresStore) -> None:
    with PostgresStore(pg_database.url(), read_only=True) as reader:
        with pytest.raises(StoreError):
            reader.rows("SELECT no_such_column FROM t")
        assert reader.rows("SELECT count(*) FROM t") == [(2,)]


def test_register_frame_joins_like_duckdb(store: PostgresStore) -> None:
    # (df_labels is also a real table once the web app's migration ran: only the session's
    # temporary table may go, which is what the pg_temp schema check below looks at.)
    store.register_frame("df_frame", pd.DataFrame({"a": [1, 2], "label": ["one", None]}))
    assert store.rows("SELECT t.a, label FROM t JOIN df_frame USING (a) ORDER BY 1") == [
        (1, "one"),
        (2, None),
    ]
    store.unregister("df_frame")
    left = "SELECT 1 FROM pg_tables WHERE tablename = 'df_frame' AND schemaname LIKE 'pg_temp%'"
    assert not store.rows(left, raw=True)


def _config(tmp_path: Path, store: str) -> Path:
    (tmp_path / "decisionframe.yaml").write_text(f"name: x\n\nstore: {store}\n", "utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "address",
    [
        "postgresql://alice:s3cr3t-pw@db.example/org",
        "postgresql://alice@db.example/org?password=s3cr3t-pw",
        "postgres://alice:@db.example/org",
    ],
)
def test_password_in_config_is_refused_where_it_is(tmp_path: Path, address: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, address))
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (3, "store")
    assert "PGPASSWORD" in problem.message
    assert "s3cr3t" not in str(caught.value)
    assert caught.value.__cause__ is None  # pydantic's error repeats the input
    with pytest.raises(StoreError, match="holds a password"):
        PostgresStore(address)


def test_config_takes_a_database_address(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "postgresql://alice@db.example:5433/org"))
    assert config.uses_database


def test_password_from_environment_or_pgpass(
    pg_database: PgDatabase,
    pg_role,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = pg_role("df_team", password="tea-for-two")
    url = pg_database.tcp_url(user=user)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with pytest.raises(StoreError, match="PGPASSWORD") as caught:
        PostgresStore(url, read_only=True)
    assert "tea-for-two" not in str(caught.value)
    monkeypatch.setenv("PGPASSWORD", "tea-for-two")
    with PostgresStore(url, read_only=True) as reader:
        assert reader.rows("SELECT current_user") == [(user,)]
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:*:{pg_database.name}:{user}:tea-for-two\n", "utf-8")
    os.chmod(pgpass, 0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    with PostgresStore(url, read_only=True) as reader:
        assert reader.rows("SELECT current_user") == [(user,)]
