"""The schema reference: generated from the code, committed as docs/schema.md, complete."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from decisionframe.cli import app
from decisionframe.config import ProjectConfig, load_config
from decisionframe.project import init_project
from decisionframe.reference import keys_of, schema_markdown
from decisionframe.store import CANONICAL
from decisionframe.theory.model import Theory

ROOT = Path(__file__).resolve().parents[1]


def test_docs_schema_md_is_the_generated_reference() -> None:
    committed = (ROOT / "docs" / "schema.md").read_text("utf-8")
    assert committed == schema_markdown(), "run `decisionframe schema > docs/schema.md`"


def test_every_table_column_and_key_is_explained() -> None:
    text = schema_markdown()
    for spec in CANONICAL.values():
        assert f"### {spec.name}" in text
    for key, _type, _default, meaning in keys_of(ProjectConfig) + keys_of(Theory):
        assert meaning, f"{key} has no meaning: add a description or a MEANINGS entry"
    for key in ("per", "min_effect", "capacity", "at_day", "within_days", "date_format"):
        assert f".{key} |" in text


def test_schema_command_prints_it_and_readme_links_docs() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert "## theory.yaml" in result.output
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "docs/schema.md" in readme
    assert "../shared" not in readme


def test_init_writes_templates_that_parse_with_a_commented_decision(tmp_path: Path) -> None:
    init_project(tmp_path / "org")
    config = load_config(tmp_path / "org")
    assert "clients" in config.sources
    theory = (tmp_path / "org" / "theory.yaml").read_text("utf-8")
    assert "# decision:" in theory
    assert "date_format" in (tmp_path / "org" / "decisionframe.yaml").read_text("utf-8")
