"""Demand analysis: hand-made cases, and recovery of what the simulator planted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decisionframe.config import DemandRules
from decisionframe.demand import classify_demand
from decisionframe.project import Project
from decisionframe.store import DuckDBStore
from tests.conftest import make_project


def _store_with(rows: list[tuple[object, ...]]) -> DuckDBStore:
    store = DuckDBStore(":memory:")
    store.execute(
        "CREATE TABLE touchpoints (touchpoint_id VARCHAR, client_id VARCHAR, "
        "started_at TIMESTAMP, channel VARCHAR, unit VARCHAR, reason VARCHAR, need_id VARCHAR, "
        "resolved BOOLEAN, waiting_on VARCHAR, handle_minutes DOUBLE, cost DOUBLE)"
    )
    for row in rows:
        store.execute("INSERT INTO touchpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(row))
    return store


def test_each_rule_by_hand() -> None:
    rows = [
        ("t1", "c1", "2025-01-01 09:00", "phone", "u", "benefit claim", "n1", False, "bp", 10, 5),
        ("t2", "c1", "2025-01-05 09:00", "phone", "u", "benefit claim", "n1", False, None, 10, 5),
        (
            "t3",
            "c1",
            "2025-01-09 09:00",
            "phone",
            "u",
            "Where is my claim?",
            "n1",
            False,
            "bp",
            10,
            5,
        ),
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
    ]
    store = _store_with(rows)
    classify_demand(store, DemandRules(repeat_window_days=30))
    got = dict(store.rows("SELECT touchpoint_id, rule FROM df_demand"))
    assert got == {
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
    }


@pytest.fixture(scope="module")
def demand_result(sim_cache: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = make_project(sim_cache, tmp_path_factory.mktemp("d") / "org", n=20000, seed=6)
    project = Project(folder)
    project.import_data()
    truth = json.loads((folder / "truth.json").read_text())
    return project.demand(), truth


def test_planted_failure_share_is_recovered(demand_result) -> None:  # type: ignore[no-untyped-def]
    result, truth = demand_result
    assert abs(result.overall["failure_share"] - truth["demand"]["failure_share"]) < 0.02
    by_channel = result.by_channel.set_index("channel")["failure_share"]
    for channel, share in truth["demand"]["failure_share_by_channel"].items():
        assert abs(by_channel[channel] - share) < 0.02, channel


def test_main_backend_cause_ranks_first(demand_result) -> None:  # type: ignore[no-untyped-def]
    result, truth = demand_result
    assert (
        result.internal_customers.iloc[0]["backend_unit"] == truth["demand"]["main_backend_cause"]
    )


def test_initiative_is_a_signal_and_untouched_units_are_noise(demand_result) -> None:  # type: ignore[no-untyped-def]
    result, truth = demand_result
    charts = {c.title: c for c in result.charts}
    unit = truth["initiative"]["unit"]
    assert charts[f"Mean respect, {unit}"].has_signal
    assert "Since 'Respect and dignity training'" in charts[f"Mean respect, {unit}"].reading
    for other in ("south_office", "contact_centre", "online_team"):
        assert not charts[f"Mean respect, {other}"].has_signal, other


def test_end_to_end_is_a_distribution_and_json_works(demand_result) -> None:  # type: ignore[no-untyped-def]
    result, _ = demand_result
    row = result.end_to_end.iloc[0]
    assert row["median_days"] <= row["p85_days"] <= row["p95_days"]
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["charts"]
    assert 0 < result.one_touch["rate"] < 1
