"""One contract over every analysis (DESIGN.md habit 7).

Each verb's result serializes to JSON, says itself in one line, gives the same result
when run again with the same seed, and leaves the organization's data untouched: the
files, and every canonical table in the store (only the run log grows).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from decisionframe.project import Project
from tests.conftest import assert_same_store, make_project, store_snapshot

ANALYSES: dict[str, Callable[[Project], Any]] = {
    "plan": lambda p: p.plan(),
    "analyze": lambda p: p.analyze(seed=3),
    "decide": lambda p: p.decide(seed=3),
    "demand": lambda p: p.demand(),
}


@pytest.fixture(scope="module")
def imported(sim_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Project:
    folder = make_project(sim_cache, tmp_path_factory.mktemp("c") / "org", n=3000, seed=8)
    project = Project(folder)
    project.import_data()
    project.analyze(seed=3)  # decide reads the latest evidence run
    return project


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".decisionframe" not in p.parts
    }


def _result(value: Any) -> Any:
    """A result as data, without when it was made (provenance's ``created_at``).

    Floats are compared to 12 significant digits: the store adds doubles on several
    threads, in whatever order they finish, so sums differ in the last bits between runs.
    """
    if isinstance(value, dict):
        return {k: _result(v) for k, v in value.items() if k != "created_at"}
    if isinstance(value, list | tuple):
        return [_result(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


def _without_run_log(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {name: frame for name, frame in snapshot.items() if name != "df_runs"}


@pytest.mark.parametrize("name", list(ANALYSES))
def test_every_analysis_keeps_the_contract(imported: Project, name: str) -> None:
    run = ANALYSES[name]
    files_before = _files(imported.directory)
    store_before = _without_run_log(store_snapshot(imported.directory))
    first = run(imported)
    second = run(imported)
    payload = json.dumps(_result(first.to_dict()), sort_keys=True)
    assert json.dumps(_result(second.to_dict()), sort_keys=True) == payload, "same seed"
    summary = first.summary()
    assert summary
    assert "\n" not in summary
    assert _files(imported.directory) == files_before
    assert_same_store(store_before, _without_run_log(store_snapshot(imported.directory)))
