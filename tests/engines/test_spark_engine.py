"""`engine: spark` in decisionframe.yaml: validated, and `demand` through Spark gives the
answers it gives on the DuckDB store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from decisionframe.config import load_config
from decisionframe.errors import ConfigError
from decisionframe.project import Project
from tests.cli.test_postgres_project import _close
from tests.conftest import make_project


def _with(folder: Path, extra: str) -> Path:
    config = folder / "decisionframe.yaml"
    config.write_text(config.read_text("utf-8") + extra, "utf-8")
    return config


@pytest.mark.parametrize(
    "master", ["local[2]", "local[*]", "spark://head.example.org:7077", "yarn"]
)
def test_master_urls_are_accepted(tmp_path: Path, master: str) -> None:
    folder = make_project(tmp_path / "cache", tmp_path / "org", n=50)
    _with(folder, f"engine: spark\nspark_master: {master!r}\n")
    config = load_config(folder)
    assert (config.engine, config.spark_master) == ("spark", master)


@pytest.mark.parametrize("bad", ["engine: sparkk\n", "engine: spark\nspark_master: 'http://x'\n"])
def test_bad_engine_settings_are_refused(tmp_path: Path, bad: str) -> None:
    folder = make_project(tmp_path / "cache", tmp_path / "org", n=50)
    _with(folder, bad)
    with pytest.raises(ConfigError):
        load_config(folder)


def _plain(result: Any) -> Any:
    return json.loads(json.dumps(result.to_dict(), default=str))


def test_demand_on_spark_equals_demand_on_duckdb(spark: Any, tmp_path: Path) -> None:
    """The whole demand analysis, every summary and chart, through ``engine: spark`` (the
    suite's one session, local[2]): the one place each Spark statement of it is checked."""
    folder = make_project(tmp_path / "cache", tmp_path / "org", n=200)
    Project(folder).import_data()
    on_duckdb = _plain(Project(folder).demand())
    _with(folder, "engine: spark\nspark_master: 'local[2]'\n")
    on_spark = _plain(Project(folder).demand())
    assert on_spark["overall"]["contacts"] > 300
    _close(on_spark, on_duckdb)
