"""Importing into a PostgreSQL store: the same tables as DuckDB, all-or-nothing, one writer,
roles, and an analyst who reads while another user imports (old or new, never a mix)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from decisionframe.errors import StoreError
from decisionframe.project import Project
from decisionframe.store.postgres_roles import grant_statement, set_up_roles
from decisionframe.store.postgres_store import PostgresStore, StoreLockedError
from tests.conftest import make_project
from tests.postgres import PgDatabase

TABLES = ("clients", "touchpoints", "outcomes", "feedback", "costs", "initiatives", "df_columns")


def _use_database(folder: Path, url: str) -> None:
    config = folder / "decisionframe.yaml"
    text = config.read_text("utf-8")
    config.write_text(text.replace("store: .decisionframe/store.duckdb", f"store: {url}"), "utf-8")


@pytest.fixture(scope="module")
def team(pg_database: PgDatabase, pg_role, sim_cache: Path, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A project on PostgreSQL with the roles set up: an importer and an analyst user."""
    with PostgresStore(pg_database.url()) as owner:
        set_up_roles(owner)
    importer = pg_role("df_importer_user", member_of="decisionframe_importer")
    analyst = pg_role("df_analyst_user", member_of="decisionframe_analyst")
    root = tmp_path_factory.mktemp("pg-team")
    duck = make_project(sim_cache, root / "duck")
    folder = make_project(sim_cache, root / "org")
    _use_database(folder, pg_database.url(user=importer))
    Project(duck).import_data()
    (folder / ".decisionframe").mkdir()
    shutil.copy(duck / ".decisionframe" / "key", folder / ".decisionframe" / "key")
    first = Project(folder).import_data()
    return {
        "folder": folder,
        "duck": duck,
        "first": first,
        "analyst_url": pg_database.url(user=analyst),
        "importer": importer,
    }


def _ordered(store, table: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    columns = ", ".join(f'"{c}"' for c, _ in store.table_columns(table))
    return store.frame(f'SELECT * FROM "{table}" ORDER BY {columns}')


def test_same_tables_as_the_duckdb_import(team) -> None:  # type: ignore[no-untyped-def]
    """Same files, same key: every table equal, value for value and type for type."""
    with (
        Project(team["duck"]).open_store(read_only=True) as duck,
        Project(team["folder"]).open_store(read_only=True) as pg,
    ):
        for table in TABLES:
            pd.testing.assert_frame_equal(_ordered(pg, table), _ordered(duck, table))
    status = Project(team["folder"]).status()
    assert {t.table: t.rows for t in status.tables} == {
        t.table: t.rows for t in team["first"].tables
    }
    # Migration 6 ran on the server too: the import log records the day ages were counted
    # to (none here: the simulated export has no date of birth).
    with Project(team["folder"]).open_store(read_only=True) as pg:
        assert ("as_of", "DATE") in [(c, t.upper()) for c, t in pg.table_columns("df_imports")]
        assert pg.rows("SELECT count(*) FROM df_imports WHERE as_of IS NOT NULL")[0][0] == 0


def test_unchanged_sources_write_nothing(team) -> None:  # type: ignore[no-untyped-def]
    assert Project(team["folder"]).import_data().unchanged


def _state(url: str) -> tuple[str, int, int, int]:
    """What one reader sees: the latest batch and each table's rows, in one snapshot."""
    with PostgresStore(url, read_only=True) as reader:
        batch = reader.rows("SELECT batch_id FROM df_imports ORDER BY imported_at DESC LIMIT 1")
        counts = [reader.rows(f"SELECT count(*) FROM {t}")[0][0] for t in TABLES[:3]]
        # (clients, touchpoints, outcomes)
        return (str(batch[0][0]), *counts)  # type: ignore[return-value]


def _keep_outcomes(folder: Path, keep: int) -> None:
    path = folder / "data" / "outcomes.csv"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: keep + 1]), "utf-8")


def test_failed_import_leaves_the_database_as_it_was(team) -> None:  # type: ignore[no-untyped-def]
    before = _state(team["analyst_url"])
    project = Project(team["folder"])
    _keep_outcomes(team["folder"], keep=650)

    def fail(table: str) -> None:
        if table == "outcomes":
            raise RuntimeError("killed mid-load")

    with pytest.raises(RuntimeError):
        project.import_data(after_table=fail)
    assert _state(team["analyst_url"]) == before


def test_a_second_import_is_refused_while_one_runs(team) -> None:  # type: ignore[no-untyped-def]
    project = Project(team["folder"])
    with PostgresStore(project.config.store) as other, other.import_lock():
        with pytest.raises(StoreLockedError, match="another import") as caught:
            project.import_data()
        assert team["importer"] in str(caught.value)  # who holds it


def test_analyst_reads_but_cannot_import(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with PostgresStore(team["analyst_url"], read_only=True) as reader:
        assert reader.rows("SELECT count(*) FROM clients")[0][0] == 400
        with pytest.raises(StoreError, match="decisionframe_importer"):
            reader.execute("DELETE FROM clients")
    folder = tmp_path / "analyst-copy"
    shutil.copytree(team["folder"], folder)
    config = folder / "decisionframe.yaml"
    config.write_text(
        config.read_text("utf-8").replace(
            Project(team["folder"]).config.store, team["analyst_url"]
        ),
        "utf-8",
    )
    _keep_outcomes(folder, keep=640)
    with pytest.raises(StoreError, match="decisionframe_importer"):
        Project(folder).import_data()


def test_reader_sees_old_or_new_never_a_mix(team) -> None:  # type: ignore[no-untyped-def]
    """An analyst reads while another user imports: every snapshot is one whole batch."""
    folder, url = team["folder"], team["analyst_url"]
    old = _state(url)
    # 1. A reader that began before the import keeps the old data to the end, while the
    #    import (same columns: DELETE + COPY) commits underneath it without waiting.
    reader = PostgresStore(url, read_only=True)
    assert reader.rows("SELECT count(*) FROM clients")[0][0] == old[1]
    _keep_outcomes(folder, keep=630)
    Project(folder).import_data()
    new = _state(url)
    assert new[3] == 630
    assert new[0] != old[0]
    assert reader.rows("SELECT count(*) FROM outcomes")[0][0] == old[3]
    assert (
        reader.rows("SELECT batch_id FROM df_imports ORDER BY imported_at DESC LIMIT 1")[0][0]
        == old[0]
    )
    reader.close()
    # 2. Readers polling throughout a slow import see one batch or the other, each whole.
    _keep_outcomes(folder, keep=620)
    seen: list[tuple[str, int, int, int]] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            seen.append(_state(url))

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        Project(folder).import_data(after_table=lambda _t: time.sleep(0.15))
    finally:
        done.set()
        thread.join()
    newest = _state(url)
    assert newest[3] == 620
    assert seen
    assert set(seen) <= {new, newest}, set(seen) - {new, newest}
    assert new in seen


def test_changed_columns_wait_for_the_reader(team) -> None:  # type: ignore[no-untyped-def]
    """A new column means DROP + CREATE, which is not MVCC-safe: the import waits until
    the reader who holds the old table is done, instead of showing it an empty table."""
    folder, url = team["folder"], team["analyst_url"]
    clients = folder / "data" / "clients.csv"
    lines = clients.read_text("utf-8").splitlines()
    clients.write_text(
        "\n".join([lines[0] + ",new_flag"] + [line + ",1" for line in lines[1:]]) + "\n", "utf-8"
    )
    before = _state(url)
    reader = PostgresStore(url, read_only=True)
    assert reader.rows("SELECT count(*) FROM df_imports")[0][0] > 0
    errors: list[BaseException] = []

    def run() -> None:
        try:
            Project(folder).import_data()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=1.5)
    assert thread.is_alive()  # waiting for the reader's lock
    assert reader.rows("SELECT count(*) FROM clients")[0][0] == before[1]
    assert reader.rows("SELECT count(*) FROM outcomes")[0][0] == before[3]
    reader.close()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert not errors
    with PostgresStore(url, read_only=True) as after:
        assert "new_flag" in [c for c, _ in after.table_columns("clients")]
        assert after.rows("SELECT count(*) FROM clients WHERE new_flag = 1")[0][0] == before[1]


def test_grant_statement_quotes_the_user() -> None:
    from psycopg import sql

    text = grant_statement('bob"; DROP TABLE x; --', analyst=True).as_string(None)
    assert text == 'GRANT "decisionframe_analyst" TO "bob""; DROP TABLE x; --"'
    assert isinstance(grant_statement("bob", analyst=False), sql.Composed)
