from pathlib import Path

from decisionframe.store import DuckDBStore
from decisionframe.store.migrations import MIGRATIONS, Migration


def test_migrations_are_recorded_and_run_once(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with DuckDBStore(path) as store:
        assert store.applied_migrations() == [m.version for m in MIGRATIONS]
        assert store.migrate() == []
    extra = (*MIGRATIONS, Migration(99, "test", ("CREATE TABLE df_test (x INTEGER)",)))
    with DuckDBStore(path) as store:
        assert store.migrate(extra) == [99]
        assert store.table_exists("df_test")


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.execute("CREATE TABLE t (x INTEGER)")
        try:
            with store.transaction():
                store.execute("INSERT INTO t VALUES (1)")
                raise ValueError("boom")
        except ValueError:
            pass
        assert store.rows("SELECT count(*) FROM t") == [(0,)]
