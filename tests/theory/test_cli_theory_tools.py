"""`theory check` prints the named diagnostics; `theory implications` and `theory dagitty`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from decisionframe.cli import app
from decisionframe.theory.dagitty import parse_dagitty


def test_theory_commands(project_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(project_dir)]).exit_code == 0
    check = runner.invoke(app, ["theory", "check", str(project_dir)])
    assert check.exit_code == 0, check.output
    assert "adjusting for 'trust' would block part of the effect" in " ".join(check.output.split())
    out = tmp_path / "implications.json"
    implied = runner.invoke(app, ["theory", "implications", str(project_dir), "--json", str(out)])
    assert implied.exit_code == 0, implied.output
    assert "implications tested" in implied.output
    assert '"kind": "implications"' in out.read_text()
    dag = runner.invoke(app, ["theory", "dagitty", str(project_dir)])
    assert dag.exit_code == 0
    assert ("respect", "housed_180") in parse_dagitty(dag.output).edges
