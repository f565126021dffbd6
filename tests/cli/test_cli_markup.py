"""Values that look like Rich markup print as themselves (issue #13)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from decisionframe.cli import app
from tests.conftest import make_project

runner = CliRunner()


def test_markup_in_a_unit_name_does_not_crash_demand(sim_cache: Path, tmp_path: Path) -> None:
    org = make_project(sim_cache, tmp_path / "org")
    contacts = org / "data" / "contacts.csv"
    contacts.write_text(contacts.read_text().replace('"online_team"', '"[/red]online"'))
    assert runner.invoke(app, ["import", str(org)]).exit_code == 0
    result = runner.invoke(app, ["demand", str(org), "--json", str(tmp_path / "d.json")])
    assert result.exit_code == 0, result.output
    units = json.loads((tmp_path / "d.json").read_text())["by_unit"]
    assert "[/red]online" in {u["unit"] for u in units}


def test_markup_in_the_question_does_not_crash_theory_check(
    sim_cache: Path, tmp_path: Path
) -> None:
    org = make_project(sim_cache, tmp_path / "org")
    theory = org / "theory.yaml"
    theory.write_text(theory.read_text().replace("question: Does", "question: '[/bold] Does"))
    text = theory.read_text()
    theory.write_text(text.replace("stay housed?\n", "stay housed?'\n", 1))
    assert runner.invoke(app, ["import", str(org)]).exit_code == 0
    result = runner.invoke(app, ["theory", "check", str(org)])
    assert result.exit_code == 0, result.output
    assert "[/bold] Does" in result.output


def test_the_cli_styles_without_markup_tags() -> None:
    """The consoles read no markup, so a tag such as "[dim]" in our own text would print as is."""
    import re

    cli_dir = Path(__file__).resolve().parents[2] / "src" / "decisionframe" / "cli"
    tag = re.compile(r"\[/?(dim|bold|red|green|yellow|cyan|italic|b|i)\]")
    found = [
        f"{path.name}:{n}"
        for path in sorted(cli_dir.glob("*.py"))
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if tag.search(line) and not line.lstrip().startswith("#")
    ]
    assert not found, f"Rich markup tags in CLI text (use style=): {found}"
