"""Shared fixtures: simulated organizations are the test fixtures (DESIGN.md habit 6)."""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

# Rich fixes a console's width at creation when COLUMNS is set then (as it can be in a
# pytest-xdist worker); unset, it reads COLUMNS at each print, so a test's
# `env={"COLUMNS": "200"}` takes effect. Before anything imports decisionframe.cli.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)
# One OpenMP thread per test process (the Makefile sets it too): two pytest-xdist workers on
# two cores, each spinning an OpenMP team in scikit-learn's boosting, oversubscribe the
# machine many times over. Read when the OpenMP runtime loads, so before scikit-learn.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from decisionframe.project import Project
from decisionframe.simulate import simulate_project

# pg_database / pg_role: a fresh PostgreSQL database per test module (tests/postgres.py).
pytest_plugins = ["tests.postgres"]

_CACHE: dict[tuple[str, int, int], Path] = {}

# `make test` runs pytest on two workers (pytest-xdist, --dist loadgroup). A session fixture
# is built once per worker, so the tests that share an expensive one are kept on one worker
# (one group per fixture, or per parameter of a parametrized fixture). Every PostgreSQL test
# is in one group: the group roles (decisionframe_importer, ...) are cluster-wide, and two
# workers creating them at once would race. Everything else is grouped by its module, so a
# module-scoped fixture is built once too.
_SHARED_FIXTURES = ("pipeline", "analyzed", "spark")
_POSTGRES_FIXTURES = ("pg_database", "pg_role")


def xdist_group_of(item: pytest.Item) -> str:
    """The group an (unmarked) test runs in under `--dist loadgroup`."""
    names = getattr(item, "fixturenames", ())
    if any(name in names for name in _POSTGRES_FIXTURES):
        return "postgres"
    for name in _SHARED_FIXTURES:
        if name in names:
            callspec = getattr(item, "callspec", None)
            param = callspec.params.get(name) if callspec is not None else None
            return name if param is None else f"{name}-{param}"
    return item.nodeid.split("::")[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(xdist_group_of(item)))


@pytest.fixture(scope="session")
def sim_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sim-cache")


def make_project(
    cache: Path, target: Path, *, scenario: str = "service-matters", n: int = 400, seed: int = 3
) -> Path:
    """A fresh copy of a simulated project folder (simulated once per session)."""
    key = (scenario, n, seed)
    if key not in _CACHE:
        source = cache / f"{scenario}-{n}-{seed}"
        simulate_project(source, n_clients=n, seed=seed, scenario=scenario)
        _CACHE[key] = source
    shutil.copytree(_CACHE[key], target, ignore=shutil.ignore_patterns(".decisionframe"))
    return target


@pytest.fixture
def project_dir(sim_cache: Path, tmp_path: Path) -> Path:
    return make_project(sim_cache, tmp_path / "org")


def append_contacts(folder: Path, changes: Iterable[dict[str, str]]) -> None:
    """Plant contacts in a simulated project's contacts.csv before import: each a copy of the
    file's first contact with ``changes`` applied (a new touchpoint_id among them), appended."""
    path = folder / "data" / "contacts.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        template = next(csv.DictReader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(template), lineterminator="\n")
        writer.writerows({**template, **change} for change in changes)


def store_snapshot(directory: Path) -> dict[str, pd.DataFrame]:
    """Every table in the store, for before/after comparisons."""
    project = Project(directory)
    if not project.store_path.exists():
        return {}
    with project.open_store(read_only=True) as store:
        names = [
            r[0]
            for r in store.rows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "ORDER BY 1"
            )
        ]
        return {name: store.frame(f'SELECT * FROM "{name}"') for name in names}


def assert_same_store(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    assert sorted(before) == sorted(after)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[name], check_like=False)


ANALYZED_CLIENTS = 40000


@pytest.fixture(scope="session", params=["service-matters", "service-does-not-matter"])
def analyzed(
    request: pytest.FixtureRequest, sim_cache: Path, tmp_path_factory: pytest.TempPathFactory
):  # type: ignore[no-untyped-def]
    """A simulated organization per scenario, imported and analyzed (shared: it is slow)."""
    import json

    folder = make_project(
        sim_cache,
        tmp_path_factory.mktemp("a") / "org",
        scenario=request.param,
        n=ANALYZED_CLIENTS,
        seed=4,
    )
    project = Project(folder)
    project.import_data()
    result = project.analyze(seed=1)
    truth = json.loads((folder / "truth.json").read_text())
    return project, result, truth


# Every command after `simulate`: (words before the folder, options after it, kind of --json).
PIPELINE: tuple[tuple[list[str], list[str], str], ...] = (
    (["import"], [], "import"),
    (["status"], [], "status"),
    (["theory", "check"], [], "theory-check"),
    (["plan"], [], "plan"),
    (["analyze"], ["--seed", "3"], "analyze"),
    (["decide"], ["--seed", "3", "--draws", "4000"], "decide"),
    (["demand"], [], "demand"),
    (["voice"], [], "voice"),
    (["profiles"], [], "profiles"),
    (["initiatives"], [], "initiatives"),
    (["report"], [], "report"),
)


@dataclass(frozen=True)
class Pipeline:
    folder: Path
    outputs: dict[str, tuple[str, dict[str, Any]]]  # kind -> (terminal output, --json data)


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """One small simulated organization taken through every command with --json, as a user
    would (Typer's runner). Tests that change it work on a copy."""
    from decisionframe.cli import app

    runner = CliRunner()
    base = tmp_path_factory.mktemp("pipeline")
    folder, outputs = base / "org", {}
    steps = [(["simulate"], ["--clients", "1500", "--seed", "8"], "simulate"), *PIPELINE]
    for words, options, kind in steps:
        out = base / f"{kind}.json"
        ran = runner.invoke(
            app, [*words, str(folder), *options, "--json", str(out)], env={"COLUMNS": "200"}
        )
        assert ran.exit_code == 0, f"{words}: {ran.output}"
        outputs[kind] = (ran.output, json.loads(out.read_text()))
    return Pipeline(folder, outputs)
