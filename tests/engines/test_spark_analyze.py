"""`engine: spark`: `analyze` builds its per-client frames on Spark and gets the estimates,
intervals and verdicts it gets when DuckDB builds them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from decisionframe.cli import app
from decisionframe.store.spark_store import SparkStore
from tests.cli.test_postgres_project import KEEP, _close, _one_assumption
from tests.conftest import make_project


def _analyze(folder: Path, out: Path) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["analyze", str(folder), "--json", str(out), "--seed", "1"])
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return loaded


def test_analyze_on_spark_reads_its_frames_there_and_agrees_with_duckdb(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `spark` (the suite's one session, local[2]) in the signature puts this test in the
    # Spark tests' xdist group, so on the worker whose JVM is already up.
    duck = make_project(tmp_path / "cache", tmp_path / "duck", n=300)
    _one_assumption(duck)
    assert CliRunner().invoke(app, ["import", str(duck)]).exit_code == 0
    spark = tmp_path / "spark"
    shutil.copytree(duck, spark)  # the same store: the same pseudonyms and rows
    config = spark / "decisionframe.yaml"
    config.write_text(
        config.read_text("utf-8") + "engine: spark\nspark_master: 'local[2]'\n", "utf-8"
    )

    frames: list[int] = []
    original = SparkStore.frame

    def counted(self: SparkStore, sql: str, params: Any = None) -> Any:
        got = original(self, sql, params)
        frames.append(len(got))
        return got

    monkeypatch.setattr(SparkStore, "frame", counted)
    on_spark = _analyze(spark, tmp_path / "s.json")
    assert frames, "no frame was built on Spark"
    assert max(frames) == 300  # the estimation frame: every client
    monkeypatch.undo()
    on_duckdb = _analyze(duck, tmp_path / "d.json")

    assert [e["treatment"] for e in on_spark["edges"]] == [KEEP]
    for key in ("estimate", "se", "ci_low", "ci_high"):
        _close(
            on_spark["edges"][0]["estimate"]["effect"][key],
            on_duckdb["edges"][0]["estimate"]["effect"][key],
            key,
        )
    assert on_spark["edges"][0]["verdict"] == on_duckdb["edges"][0]["verdict"]
