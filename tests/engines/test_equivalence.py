"""The same answers on every engine: demand classification, rule counts, cube, weekly shares.

The DuckDB SQL is the one definition; PostgreSQL and Spark run it through
``dialects.to_dialect``, over the same rows copied into a PostgreSQL database (COPY, as an
import does) and exported to Parquet. Each engine is checked against the rules read by hand (not
only against DuckDB), then the summaries are compared across engines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from decisionframe.config import DemandRules
from decisionframe.demand import aggregates, classify_demand
from decisionframe.store import DuckDBStore, Store
from tests.demand.test_demand import _store_with
from tests.engines.conftest import copy_to

ROWS = [
    ("t1", "c1", "2025-01-01 09:00", "phone", "u", "benefit claim", "n1", False, "bp", 10, 5),
    ("t2", "c1", "2025-01-05 09:00", "phone", "v", "benefit claim", "n1", False, None, 10, 5),
    ("t3", "c1", "2025-01-09 09:00", "phone", "u", "Where is my claim?", "n1", False, "bp", 10, 5),
    ("t4", "c1", "2025-01-12 09:00", "phone", "u", "benefit claim", "n1", True, None, 10, 5),
    ("t5", "c1", "2025-01-20 09:00", "phone", "u", "benefit claim", "n1", True, None, 10, 5),
    ("t6", "c2", "2025-01-01 09:00", "web", "u", "repairs request", None, False, None, 3, 1),
    ("t7", "c2", "2025-01-10 09:00", "web", "u", "repairs request", None, True, None, 3, 1),
    ("t8", "c2", "2025-03-10 09:00", "web", "u", "repairs request", None, True, None, 3, 1),
    (
        "t9",
        "c3",
        "2025-01-01 09:00",
        "email",
        "u",
        "Wrong amount in letter",
        "n9",
        True,
        None,
        3,
        1,
    ),
    ("t10", "c4", "2025-01-01 09:00", "email", "u", None, None, None, None, 3, 1),
    # a tie in time within one need: the touchpoint id decides, on every engine
    ("t11", "c5", "2025-02-01 09:00", "web", "v", "benefit claim", "n5", False, None, 3, 1),
    ("t12", "c5", "2025-02-01 09:00", "web", "u", "benefit claim", "n5", False, None, 3, 1),
]
EXPECTED = {
    "t1": "first contact for need",
    "t2": "repeat: unresolved need",
    "t3": "progress chasing",
    "t4": "repeat: unresolved need",
    "t5": "reopened need",
    "t6": "new request",
    "t7": "repeat: same client and reason",
    "t8": "new request",
    "t9": "error correction",
    "t10": "unknown",
    "t11": "first contact for need",
    "t12": "repeat: unresolved need",
}
ENGINES = ("duckdb", "postgres", "spark")


def _open(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    duck = _store_with(ROWS)
    if engine == "duckdb":
        return duck
    try:
        return copy_to(engine, duck, ["touchpoints"], tmp_path, request)
    finally:
        duck.close()


def _answers(store: Store) -> dict[str, Any]:
    classify_demand(store, DemandRules(repeat_window_days=30))
    aggregates.build_summaries(store)
    cube = store.frame(
        "SELECT CAST(day AS VARCHAR) AS day, channel, unit, reason_key, waiting_on, "
        "handoff_from, rule, demand, contacts, minutes, cost FROM df_demand_cube"
    )
    keys = ["day", "channel", "unit", "reason_key", "waiting_on", "handoff_from", "rule"]
    weekly = aggregates.share_series(store, "week")
    weekly["period"] = pd.to_datetime(weekly["period"]).dt.strftime("%Y-%m-%d")
    return {
        "codes": sorted(store.rows("SELECT touchpoint_id, rule, handoff_from FROM df_demand")),
        "rules": aggregates.rules_fired(store).astype({"contacts": "int64"}),
        "cube": cube.sort_values(keys, na_position="first").reset_index(drop=True),
        "weekly": weekly.astype({"n": "int64", "classified": "int64"}),
        "people": aggregates.people_by(store, "unit"),
        "end_to_end": aggregates.end_to_end(store).astype(
            {"resolved": "int64", "still_open": "int64"}
        ),
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    store: DuckDBStore = _store_with(ROWS)
    return _answers(store)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    for column in a.columns:
        left, right = a[column], b[column]
        if pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right):
            pd.testing.assert_series_equal(
                left.astype(float), right.astype(float), check_names=False, rtol=1e-9
            )
        else:
            assert left.astype(object).where(left.notna(), None).tolist() == (
                right.astype(object).where(right.notna(), None).tolist()
            ), column


@pytest.mark.parametrize("engine", ENGINES)
def test_classification_and_summaries_are_the_same_on_every_engine(
    engine: str, reference: dict[str, Any], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = _open(engine, tmp_path, request)
    try:
        got = _answers(store)
    finally:
        store.close()
    assert {tid: rule for tid, rule, _ in got["codes"]} == EXPECTED
    assert got["codes"] == reference["codes"]
    for name in ("rules", "cube", "weekly", "people", "end_to_end"):
        _same(got[name], reference[name])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated organization, imported into DuckDB once for the module."""
    from decisionframe.project import Project
    from tests.conftest import make_project

    root = tmp_path_factory.mktemp("engines-project")
    folder = make_project(root / "cache", root / "org", n=200)
    Project(folder).import_data()
    return folder


FRAME_TABLES = ["clients", "touchpoints", "outcomes"]


def _frame(store: Store, folder: Path) -> pd.DataFrame:
    """Every measured node of the theory (means, shares, first/last, outcomes at a day)."""
    from decisionframe.frames import client_frame
    from decisionframe.theory import load_theory
    from decisionframe.theory.bindings import bindings

    theory = load_theory(folder / "theory.yaml")
    nodes = sorted(n for n, b in bindings(theory).items() if b.theme is None)
    assert len(nodes) >= 5
    return client_frame(store, theory, nodes)


@pytest.mark.parametrize("engine", [e for e in ENGINES if e != "duckdb"])
def test_analysis_frames_are_the_same_on_every_engine(
    engine: str, project: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from decisionframe.project import Project

    with Project(project).open_store(read_only=True) as duck:
        expected = _frame(duck, project)
        store = copy_to(engine, duck, FRAME_TABLES, tmp_path, request)
    try:
        got = _frame(store, project)
    finally:
        store.close()
    assert len(expected) == 200
    assert expected.drop(columns="client_id").notna().any().all()
    _same(got, expected)
