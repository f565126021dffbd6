"""Failure-demand share as an initiative measure, on the contact-level simulator.

`new-process`: a process change in every unit on 2025-10-01 after which a quarter of the
failure demand no longer happens; truth.json holds its effect on the monthly share. The
same world with nothing prevented is the stable case.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from decisionframe.config import DemandRules
from decisionframe.initiatives import InitiativeEffect
from decisionframe.initiatives.failure_demand import failure_demand_panels
from decisionframe.project import Project
from decisionframe.simulate import SCENARIOS, simulate_project
from decisionframe.store import DuckDBStore

CLIENTS = 3000


def _effect(directory: Path) -> tuple[InitiativeEffect, dict]:
    project = Project(directory)
    project.import_data()
    result = project.initiatives(seed=0)
    truth = json.loads((directory / "truth.json").read_text())
    found = [
        e
        for e in result.initiatives
        if e.initiative_id == "P1" and e.measure == "failure_demand_share"
    ]
    assert len(found) == 1
    # The training (I1) names its own measure: it is not judged on failure demand.
    assert not [
        e
        for e in result.initiatives
        if e.initiative_id == "I1" and e.measure == "failure_demand_share"
    ]
    return found[0], truth


def test_new_process_recovers_the_planted_fall_in_failure_demand(tmp_path: Path) -> None:
    simulate_project(tmp_path / "org", n_clients=CLIENTS, seed=5, scenario="new-process")
    effect, truth = _effect(tmp_path / "org")
    planted = next(t for t in truth["initiatives"] if t["initiative_id"] == "P1")
    assert planted["effect"] < -0.05  # a quarter of a share near one half
    assert effect.design == "its"  # every unit at once, none to compare with
    assert effect.ci_low is not None
    assert effect.ci_high is not None
    assert effect.ci_low <= planted["effect"] <= effect.ci_high
    assert effect.verdict == "worked"
    assert effect.hoped == "decrease"
    assert effect.months_after == 6


def test_stable_organization_shows_no_fall_in_failure_demand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same log, the same date, nothing prevented: no 'worked', zero in the interval."""
    monkeypatch.setitem(
        SCENARIOS, "new-process", replace(SCENARIOS["new-process"], failure_prevented=0.0)
    )
    simulate_project(tmp_path / "org", n_clients=CLIENTS, seed=5, scenario="new-process")
    effect, truth = _effect(tmp_path / "org")
    planted = next(t for t in truth["initiatives"] if t["initiative_id"] == "P1")
    assert planted["effect"] == 0.0
    assert effect.ci_low is not None
    assert effect.ci_high is not None
    assert effect.ci_low <= 0.0 <= effect.ci_high
    assert effect.verdict in ("no detectable effect", "inconclusive")


def test_contacts_without_units_give_no_failure_demand_measure() -> None:
    """No unit column: the measure is left out, not a traceback."""
    store = DuckDBStore(":memory:")
    store.execute(
        "CREATE TABLE touchpoints AS SELECT 'T1' AS touchpoint_id, 'C1' AS client_id, "
        "TIMESTAMP '2025-01-01 10:00:00' AS started_at"
    )
    assert failure_demand_panels(store, rules=DemandRules(), min_n=11) == []
    store.close()
