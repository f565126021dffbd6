"""The one translation path: DuckDB SQL to PostgreSQL (for psycopg) and Spark."""

from __future__ import annotations

from decisionframe.store.dialects import to_dialect


def test_percent_signs_doubled_once_and_only_with_parameters() -> None:
    """psycopg reads % in a statement sent with parameters: a LIKE pattern and the modulo
    operator are doubled exactly once (not '%%%%'); without parameters nothing changes."""
    sql = "SELECT a % 2 FROM t WHERE b LIKE '%x' AND c = ?"
    (with_params,) = to_dialect(sql, "postgres", with_params=True)
    assert with_params == "SELECT a %% 2 FROM t WHERE b LIKE '%%x' AND c = %s"
    (without,) = to_dialect("SELECT a % 2 FROM t WHERE b LIKE '%x'", "postgres")
    assert without == "SELECT a % 2 FROM t WHERE b LIKE '%x'"


def test_replaced_temp_table_is_a_drop_then_a_create_on_postgres() -> None:
    drop, create = to_dialect("CREATE OR REPLACE TEMP TABLE x AS SELECT 1 AS a", "postgres")
    assert drop == "DROP TABLE IF EXISTS x"
    assert create.startswith("CREATE TEMPORARY TABLE x AS")


def test_duckdb_text_is_untouched_and_rowid_is_the_touchpoint_id_elsewhere() -> None:
    sql = "SELECT rowid FROM touchpoints"
    assert to_dialect(sql, "duckdb") == (sql,)
    assert to_dialect(sql, "postgres") == ("SELECT touchpoint_id FROM touchpoints",)
    assert to_dialect(sql, "spark") == ("SELECT touchpoint_id FROM touchpoints",)


def test_division_is_double_on_spark_as_on_duckdb() -> None:
    """DuckDB's / is DOUBLE division; Spark's DECIMAL division by 86400.0 rounds."""
    (spark,) = to_dialect("SELECT a / 86400.0 FROM t", "spark")
    assert spark == "SELECT CAST(a AS DOUBLE) / CAST(86400.0 AS DOUBLE) FROM t"
