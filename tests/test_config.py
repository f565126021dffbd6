from pathlib import Path

import pytest

from decisionframe.config import load_config
from decisionframe.errors import ConfigError
from decisionframe.project import init_project


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "decisionframe.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_init_scaffold_is_a_valid_config(tmp_path: Path) -> None:
    created = init_project(tmp_path / "org")
    assert "decisionframe.yaml" in created
    config = load_config(tmp_path / "org")
    assert config.privacy.min_cell_size == 11
    assert "client_id" in config.privacy.pseudonymize


def test_unknown_key_names_file_line_key_and_suggests(tmp_path: Path) -> None:
    _write(tmp_path, "name: X\nprivacy:\n  min_cel_size: 5\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    [problem] = info.value.problems
    assert problem.file.endswith("decisionframe.yaml")
    assert problem.line == 3
    assert problem.column == "privacy.min_cel_size"
    assert "min_cell_size" in problem.hint


def test_bad_value_and_missing_key_are_all_reported(tmp_path: Path) -> None:
    _write(tmp_path, "privacy:\n  min_cell_size: 1\nsources:\n  clients: {path: data/c.txt}\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    found = {(p.column, p.line) for p in info.value.problems}
    assert ("name", None) in {(c, None) for c, _ in found}
    assert ("privacy.min_cell_size", 2) in found
    assert ("sources.clients.path", 4) in found
    assert all(p.hint for p in info.value.problems)


def test_unknown_table_in_sources(tmp_path: Path) -> None:
    _write(tmp_path, "name: X\nsources:\n  contacts: {path: data/c.csv}\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert any("touchpoints" in p.hint for p in info.value.problems)


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    _write(tmp_path, "name: X\nsources:\n  clients: {path: data/c.csv\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.problems[0].rule == "yaml-syntax"
    assert info.value.problems[0].line is not None
