"""The same answers on every engine: demand classification, rule counts, cube, weekly shares.

The DuckDB SQL is the one definition; PostgreSQL and Spark run it through
``dialects.to_dialect``, over the same rows copied into a PostgreSQL database (COPY, as an
import does) and exported to Parquet. Each engine is checked against the rules read by hand (not
only against DuckDB), then the summaries are compared across engines.

Spark costs seconds a statement even on twelve rows, so its share here is what nothing else
shows: each contact's rule by hand (the tie-break, which no count can show) and the analysis
frames. Every summary on Spark is compared with DuckDB's once, in test_spark_engine's run of
the whole `demand` analysis. All Spark tests share one xdist group, so one JVM.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from decisionframe.demand import aggregates, classify_demand
from decisionframe.store import DuckDBStore, Store
from tests.demand.cases import CODES_SQL, EXPECTED, ROWS, RULES, store_with
from tests.engines.conftest import copy_to

# Spark's tests run on the worker that holds the one Spark session (tests/conftest.py groups).
SPARK = pytest.param("spark", marks=pytest.mark.xdist_group("spark"))


def _open(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    duck = store_with(ROWS)
    if engine == "duckdb":
        return duck
    try:
        return copy_to(engine, duck, ["touchpoints"], tmp_path, request)
    finally:
        duck.close()


def _answers(store: Store) -> dict[str, Any]:
    classify_demand(store, RULES)
    aggregates.build_summaries(store)
    cube = store.frame(
        "SELECT CAST(day AS VARCHAR) AS day, channel, unit, reason_key, waiting_on, "
        "handoff_from, rule, demand, contacts, minutes, cost FROM df_demand_cube"
    )
    keys = ["day", "channel", "unit", "reason_key", "waiting_on", "handoff_from", "rule"]
    weekly = aggregates.share_series(store, "week")
    weekly["period"] = pd.to_datetime(weekly["period"]).dt.strftime("%Y-%m-%d")
    return {
        "codes": sorted(store.rows(CODES_SQL)),
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
    store: DuckDBStore = store_with(ROWS)
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


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
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


def test_classification_on_spark_follows_the_rules_by_hand(
    spark: Any, reference: dict[str, Any], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = _open("spark", tmp_path, request)
    try:
        classify_demand(store, RULES)
        codes = sorted(store.rows(CODES_SQL))
    finally:
        store.close()
    assert {tid: rule for tid, rule, _ in codes} == EXPECTED
    assert codes == reference["codes"]


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


@pytest.mark.parametrize("engine", ["postgres", SPARK])
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
