"""A project whose store is PostgreSQL, driven through the CLI: import, demand, analyze and
report work end to end, and give the answers the same project gives on DuckDB."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from decisionframe.cli import app
from tests.conftest import make_project
from tests.postgres import PgDatabase

KEEP = "respect"  # one assumption is enough to drive analyze; the others are plain edges


def _one_assumption(folder: Path) -> None:
    theory = folder / "theory.yaml"
    data = yaml.safe_load(theory.read_text("utf-8"))
    for edge in data["edges"]:
        if edge["from"] != KEEP:
            edge.pop("assumption", None)
    theory.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")


def _close(a: Any, b: Any, where: str = "") -> None:
    """Equal JSON, floats to 1e-9 (sums may add in another order on another engine)."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, int | float), where
        assert isinstance(b, int | float), where
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (
            math.isnan(a) and math.isnan(b)
        ), where
    elif isinstance(a, dict):
        assert isinstance(b, dict), where
        assert sorted(a) == sorted(b), where
        for key in a:
            _close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list), where
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


@pytest.fixture(scope="module")
def folders(pg_database: PgDatabase, sim_cache: Path, tmp_path_factory) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("pg-cli")
    duck = make_project(sim_cache, root / "duck", n=300)
    pg = make_project(sim_cache, root / "pg", n=300)
    config = pg / "decisionframe.yaml"
    text = config.read_text("utf-8")
    config.write_text(
        text.replace("store: .decisionframe/store.duckdb", f"store: {pg_database.url()}"),
        "utf-8",
    )
    for folder in (duck, pg):
        _one_assumption(folder)
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(duck)]).exit_code == 0
    (pg / ".decisionframe").mkdir()  # the same key: the same pseudonyms on both stores
    shutil.copy(duck / ".decisionframe" / "key", pg / ".decisionframe" / "key")
    result = runner.invoke(app, ["import", str(pg)])
    assert result.exit_code == 0, result.output
    return {"duckdb": duck, "postgres": pg}


def _json(command: str, folder: Path, out: Path, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, [command, str(folder), "--json", str(out), *extra])
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return loaded


def test_demand_is_the_same_as_on_duckdb(folders: dict[str, Path], tmp_path: Path) -> None:
    duck = _json("demand", folders["duckdb"], tmp_path / "d.json")
    pg = _json("demand", folders["postgres"], tmp_path / "p.json")
    assert pg["overall"]["contacts"] > 500
    _close(pg, duck)


def test_analyze_and_report_run_on_postgres(folders: dict[str, Path], tmp_path: Path) -> None:
    duck = _json("analyze", folders["duckdb"], tmp_path / "d.json", "--seed", "1")
    pg = _json("analyze", folders["postgres"], tmp_path / "p.json", "--seed", "1")
    assert [e["treatment"] for e in pg["edges"]] == [KEEP]
    # The same frame and seed give the same estimate and interval, whichever store.
    for key in ("estimate", "se", "ci_low", "ci_high"):
        _close(
            pg["edges"][0]["estimate"]["effect"][key],
            duck["edges"][0]["estimate"]["effect"][key],
            key,
        )
    assert pg["edges"][0]["verdict"] == duck["edges"][0]["verdict"]
    result = CliRunner().invoke(app, ["report", str(folders["postgres"])])
    assert result.exit_code == 0, result.output
    html = (folders["postgres"] / "reports" / "report.html").read_text("utf-8")
    assert "Respectful treatment keeps people housed" in html
