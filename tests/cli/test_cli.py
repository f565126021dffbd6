import json
from pathlib import Path

from typer.testing import CliRunner

from decisionframe.cli import app

runner = CliRunner()


def test_simulate_import_status_through_the_cli(tmp_path: Path) -> None:
    org = tmp_path / "acme"
    result = runner.invoke(app, ["simulate", str(org), "--clients", "300", "--seed", "2"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["import", str(org), "--json", str(tmp_path / "i.json")])
    assert result.exit_code == 0, result.output
    assert "touchpoints" in result.output
    result = runner.invoke(app, ["status", str(org)])
    assert result.exit_code == 0
    assert "clients" in result.output
    assert "300" in result.output
    assert len(json.loads((tmp_path / "i.json").read_text())["tables"]) == 6


def test_bad_data_exits_2_with_a_located_table(tmp_path: Path) -> None:
    org = tmp_path / "acme"
    runner.invoke(app, ["simulate", str(org), "--clients", "200"])
    contacts = org / "data" / "contacts.csv"
    lines = contacts.read_text().splitlines()
    lines[3] = (
        lines[3]
        .replace('"phone"', '"fax"')
        .replace('"web"', '"fax"')
        .replace('"mobile"', '"fax"')
        .replace('"in_person"', '"fax"')
        .replace('"email"', '"fax"')
        .replace('"social"', '"fax"')
    )
    contacts.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["import", str(org)])
    assert result.exit_code == 2
    assert "unknown-channel" in result.output


def test_missing_project_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "decisionframe init" in result.output


def test_init_then_status(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path / "new")]).exit_code == 0
    result = runner.invoke(app, ["status", str(tmp_path / "new")])
    assert "nothing imported" in result.output
