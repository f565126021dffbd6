"""The simulator is the fixture: it must be deterministic and plant what truth.json says."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from decisionframe.errors import DecisionframeError
from decisionframe.simulate import SCENARIOS, build_world, simulate_project


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    simulate_project(tmp_path / "a", n_clients=300, seed=7)
    simulate_project(tmp_path / "b", n_clients=300, seed=7)
    simulate_project(tmp_path / "c", n_clients=300, seed=8)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a")["contacts.csv"] != _digest(tmp_path / "c")["contacts.csv"]


def test_project_folder_is_complete(tmp_path: Path) -> None:
    simulate_project(tmp_path / "org", n_clients=200, seed=1)
    names = {p.name for p in (tmp_path / "org").rglob("*")}
    assert {"decisionframe.yaml", "theory.yaml", "truth.json", "contacts.csv"} <= names
    truth = json.loads((tmp_path / "org" / "truth.json").read_text())
    for edge in truth["edges"]:
        assert {"ATE", "ATT", "ATC", "adjustment_set"} <= set(edge)


def test_refuses_to_overwrite_and_unknown_scenario(tmp_path: Path) -> None:
    simulate_project(tmp_path / "org", n_clients=100, seed=1)
    with pytest.raises(DecisionframeError, match="overwrite"):
        simulate_project(tmp_path / "org", n_clients=100, seed=1)
    with pytest.raises(DecisionframeError, match="service-matters"):
        simulate_project(tmp_path / "x", scenario="nope")


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def world(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return build_world(n_clients=20000, seed=11, scenario=SCENARIOS[request.param])


def test_truth_matches_scenario_parameters(world) -> None:  # type: ignore[no-untyped-def]
    scenario = SCENARIOS[world.truth["scenario"]]
    edges = {e["from"]: e for e in world.truth["edges"]}
    # the complexity mix is 15/25/30/20/10%: the average of a per-complexity multiplier
    multiplier = (
        float(np.dot(scenario.service_by_complexity, [0.15, 0.25, 0.3, 0.2, 0.1]))
        if scenario.service_by_complexity is not None
        else 1.0
    )
    assert edges["respect"]["ATE"] == pytest.approx(scenario.respect_effect * multiplier, abs=3e-3)
    assert edges["explained_next_steps"]["ATE"] == pytest.approx(
        scenario.explained_effect * multiplier, abs=3e-3
    )
    assert edges["wait_minutes"]["ATE"] == pytest.approx(0.0, abs=1e-3)
    follow = edges["followup"]
    if scenario.followup_extra_hard > 0:
        # follow-up is targeted at hard cases, where it works better: ATT > ATE > ATC
        assert follow["ATT"] > follow["ATE"] > follow["ATC"] > 0
    else:
        assert follow["ATT"] == pytest.approx(follow["ATC"], abs=2e-3)


def test_truth_holds_the_decisions_true_best_plan(world) -> None:  # type: ignore[no-untyped-def]
    decision = world.truth["decision"]
    best_uniform = max(u["outcomes"] for u in decision["uniform_plans"])
    assert decision["best_targeted_outcomes"] >= best_uniform - 1e-6
    if world.truth["scenario"] == "service-matters-for-some":
        enhanced = {
            p["segment"] for p in decision["best_targeted_plan"] if p["option"] == "enhanced"
        }
        assert enhanced <= {"4", "5"}
        assert decision["best_targeted_outcomes"] > 1.3 * best_uniform


def test_confounding_makes_naive_comparison_biased(world) -> None:  # type: ignore[no-untyped-def]
    """Harder cases get less respect and worse outcomes: the naive slope overstates."""
    clients = world.tables["clients"].set_index("client_id")
    contacts = world.tables["touchpoints"]
    respect = contacts.groupby("client_id")["respect"].mean()
    outcomes = world.tables["outcomes"]
    at_180 = outcomes.groupby("client_id")["value"].last()
    joined = clients.join(respect).join(at_180).dropna(subset=["respect", "value"])
    naive = np.polyfit(joined["respect"], joined["value"], 1)[0]
    truth = next(e for e in world.truth["edges"] if e["from"] == "respect")["ATE"]
    assert naive > truth + 0.04
    corr = np.corrcoef(joined["case_complexity"], joined["respect"])[0, 1]
    assert corr < -0.2


def test_planted_failure_demand_and_backend_cause(world) -> None:  # type: ignore[no-untyped-def]
    demand = world.truth["demand"]
    assert 0.3 < demand["failure_share"] < 0.7
    assert demand["main_backend_cause"] == "benefits_processing"
    contacts = world.tables["touchpoints"]
    assert contacts["need_id"].isna().mean() > 0.02
    assert contacts["respect"].isna().mean() > 0.2
    assert set(contacts["channel"]) == {"in_person", "phone", "web", "mobile", "email", "social"}


def test_initiative_raises_respect_in_its_unit_only(world) -> None:  # type: ignore[no-untyped-def]
    t = world.tables["touchpoints"]
    after = t["started_at"] >= "2025-07-01"
    north = t["unit"] == "north_office"
    south = t["unit"] == "south_office"
    gain_north = t[north & after]["respect"].mean() - t[north & ~after]["respect"].mean()
    gain_south = t[south & after]["respect"].mean() - t[south & ~after]["respect"].mean()
    assert gain_north > 0.4
    assert abs(gain_south) < 0.15


def test_new_process_prevents_failure_demand_from_its_date_only() -> None:
    """The same world with and without the process change: identical contacts before the
    date (the change draws from its own generator), fewer failure contacts after it, and
    truth.json's effect on the monthly share is what the two worlds' shares differ by."""
    from dataclasses import replace

    import pandas as pd

    scenario = SCENARIOS["new-process"]
    changed = build_world(n_clients=3000, seed=2, scenario=scenario)
    same = build_world(n_clients=3000, seed=2, scenario=replace(scenario, failure_prevented=0))
    assert scenario.process_change_on is not None
    day = pd.Timestamp(scenario.process_change_on)
    a, b = changed.tables["touchpoints"], same.tables["touchpoints"]
    before_a = set(a.loc[a["started_at"] < day, "touchpoint_id"])
    assert before_a == set(b.loc[b["started_at"] < day, "touchpoint_id"])
    after_a = set(a.loc[a["started_at"] >= day, "touchpoint_id"])
    after_b = set(b.loc[b["started_at"] >= day, "touchpoint_id"])
    assert after_a < after_b  # only contacts were taken away, and some were
    truth = changed.truth["initiatives"][0]
    assert truth["initiative_id"] == "P1"
    assert truth["measure"] == "failure_demand_share"
    # A quarter of the failure demand gone at a share s: s - 0.75 s / (1 - 0.25 s).
    s = truth["share_before"]
    assert truth["effect"] == pytest.approx(0.75 * s / (1 - 0.25 * s) - s, abs=0.01)
    assert same.truth["initiatives"][0]["effect"] == 0.0
    log = changed.tables["initiatives"].set_index("initiative_id")
    assert log.loc["P1", "units"] == ""
    assert log.loc["P1", "expected"] == "decrease"
    assert (
        "initiatives"
        not in build_world(n_clients=300, seed=2, scenario=SCENARIOS["service-matters"]).truth
    )


def test_clients_is_refused_for_a_series_scenario_not_ignored(tmp_path: Path) -> None:
    """`--clients 300 --scenario staggered-rollout` wrote 12 offices' series and said
    nothing: the user believed they had simulated 300 clients."""
    from typer.testing import CliRunner

    from decisionframe.cli import app

    result = CliRunner().invoke(
        app,
        ["simulate", str(tmp_path / "s"), "--scenario", "staggered-rollout", "--clients", "300"],
    )
    assert result.exit_code == 2, result.output
    assert "--clients does not apply to scenario 'staggered-rollout'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s" / "decisionframe.yaml").exists()
    result = CliRunner().invoke(
        app, ["simulate", str(tmp_path / "s"), "--scenario", "staggered-rollout"]
    )
    assert result.exit_code == 0, result.output
