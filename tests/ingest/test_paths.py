"""Paths stay inside the project folder (issue #13)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from decisionframe.errors import ConfigError, ImportValidationError
from decisionframe.project import Project


def _edit(project_dir: Path, old: str, new: str) -> None:
    config = project_dir / "decisionframe.yaml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new))


def test_a_store_outside_the_project_is_refused(project_dir: Path, tmp_path: Path) -> None:
    _edit(project_dir, "store: .decisionframe/store.duckdb", "store: ../victim/store.duckdb")
    with pytest.raises(ConfigError) as info:
        Project(project_dir).import_data()
    assert info.value.problems[0].rule == "path-outside-project"
    assert not (tmp_path / "victim").exists()


@pytest.mark.parametrize("where", ["../outside.csv", "ABSOLUTE"])
def test_sources_outside_the_project_are_refused(project_dir: Path, where: str) -> None:
    outside = project_dir.parent / "outside.csv"
    shutil.copy(project_dir / "data" / "costs.csv", outside)
    name = str(outside) if where == "ABSOLUTE" else where
    _edit(project_dir, "path: data/costs.csv", f"path: {name}")
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    assert [p.rule for p in info.value.problems] == ["path-outside-project"]


def test_a_symlink_out_of_data_is_refused(project_dir: Path) -> None:
    outside = project_dir.parent / "secret.csv"
    shutil.copy(project_dir / "data" / "costs.csv", outside)
    (project_dir / "data" / "costs.csv").unlink()
    (project_dir / "data" / "costs.csv").symlink_to(outside)
    with pytest.raises(ImportValidationError) as info:
        Project(project_dir).import_data()
    assert [p.rule for p in info.value.problems] == ["path-outside-project"]


def test_allowed_outside_paths_record_the_real_path(project_dir: Path) -> None:
    outside = project_dir.parent / "secret.csv"
    shutil.copy(project_dir / "data" / "costs.csv", outside)
    (project_dir / "data" / "costs.csv").unlink()
    (project_dir / "data" / "costs.csv").symlink_to(outside)
    (project_dir / "decisionframe.yaml").write_text(
        (project_dir / "decisionframe.yaml").read_text() + "allow_outside_project: true\n"
    )
    result = Project(project_dir).import_data()
    [costs] = [t for t in result.tables if t.table == "costs"]
    assert str(outside.resolve()) in str(costs.source_path)


def test_a_theory_outside_the_project_is_refused(project_dir: Path) -> None:
    """`theory: ../victim/theory.yaml` was read by `theory check` and by the editor, which
    showed it to viewers and wrote an analyst's save over it."""
    victim = project_dir.parent / "victim"
    victim.mkdir()
    shutil.copy(project_dir / "theory.yaml", victim / "theory.yaml")
    before = (victim / "theory.yaml").read_bytes()
    (project_dir / "decisionframe.yaml").write_text(
        (project_dir / "decisionframe.yaml").read_text() + "theory: ../victim/theory.yaml\n"
    )
    from decisionframe.theory.editing import editor_state, save

    project = Project(project_dir)
    for attempt in (
        project.theory_check,
        lambda: editor_state(project),
        lambda: save(project, {"nodes": []}, positions={}, author="a", message=""),
    ):
        with pytest.raises(ConfigError) as info:
            attempt()
        assert info.value.problems[0].rule == "path-outside-project"
    assert (victim / "theory.yaml").read_bytes() == before


def test_a_state_folder_linked_out_of_the_project_is_refused(project_dir: Path) -> None:
    """A `.decisionframe` symlinked elsewhere (store configured at the top of the folder)
    sent the key, the quarantine list and pending runs out of the project."""
    elsewhere = project_dir.parent / "elsewhere"
    elsewhere.mkdir()
    (project_dir / ".decisionframe").symlink_to(elsewhere, target_is_directory=True)
    _edit(project_dir, "store: .decisionframe/store.duckdb", "store: store.duckdb")
    with pytest.raises(ConfigError) as info:
        Project(project_dir).import_data()
    assert info.value.problems[0].rule == "path-outside-project"
    assert list(elsewhere.iterdir()) == []


def test_the_default_report_folder_stays_inside(project_dir: Path) -> None:
    elsewhere = project_dir.parent / "published-elsewhere"
    elsewhere.mkdir()
    (project_dir / "reports").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ConfigError):
        _ = Project(project_dir).reports_dir
