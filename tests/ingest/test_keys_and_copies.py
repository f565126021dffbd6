"""Pseudonymization that holds (issue #13): no raw copy of an identifier under another
name, no guessable key, no silent new key over old pseudonyms."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from decisionframe.errors import ImportValidationError, ProjectError
from decisionframe.ingest.pseudonymize import KeyFileWarning
from decisionframe.project import Project


def test_a_repeated_client_id_header_is_refused(project_dir: Path) -> None:
    path = project_dir / "data" / "clients.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += ',"client_id"'
    lines[1:] = [f'{line},"RAW-{i}"' for i, line in enumerate(lines[1:])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    assert [p.rule for p in info.value.problems] == ["unprotected-identifier"]
    assert "RAW-" not in str(info.value)


@pytest.mark.parametrize("value", ["00", "a", "password", "0" * 63])
def test_weak_keys_are_refused(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DECISIONFRAME_KEY", value)
    with pytest.raises(ProjectError, match="256 bits"):
        Project(project_dir).import_data()


def test_a_non_secret_variable_is_refused(project_dir: Path) -> None:
    config = project_dir / "decisionframe.yaml"
    config.write_text(config.read_text().replace("privacy:\n", "privacy:\n  key_env: HOME\n"))
    assert os.environ.get("HOME")
    with pytest.raises(ProjectError, match="HOME"):
        Project(project_dir).import_data()


def test_a_strong_key_from_the_environment_works(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECISIONFRAME_KEY", "ab" * 32)
    Project(project_dir).import_data()
    assert not (project_dir / ".decisionframe" / "key").exists()


def test_a_missing_key_is_not_silently_replaced(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    key = project_dir / ".decisionframe" / "key"
    assert len(key.read_text().strip()) == 64
    key.unlink()
    (project_dir / "data" / "costs.csv").write_text('"option","cost_per_client"\n"standard",1\n')
    with pytest.raises(ProjectError, match="missing"):
        project.import_data()
    assert not key.exists()


def test_a_readable_key_file_is_warned_about(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    key = project_dir / ".decisionframe" / "key"
    key.chmod(0o644)
    with pytest.warns(KeyFileWarning):
        project.key()
