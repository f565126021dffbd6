"""The demand tables as published (#13): rules fired, hand-offs and end-to-end times are
sized by DISTINCT clients, and no hidden cell can be solved from the printed totals (the
test's own LP attacker, ``tests.test_disclosure._solvable``)."""

from __future__ import annotations

from typing import Any

from decisionframe.demand.published import end_to_end_rows, handoff_rows, rules_rows
from tests.test_disclosure import _solvable

K = 11


def _rules() -> list[dict[str, Any]]:
    return [
        {"rule": "new request", "demand": "value", "contacts": 900, "clients": 300},
        {"rule": "repeat: unresolved need", "demand": "failure", "contacts": 400, "clients": 150},
        # one client's 168 contacts: a cell of one, however many contacts
        {"rule": "reopened need", "demand": "failure", "contacts": 168, "clients": 1},
        {"rule": "progress chasing", "demand": "failure", "contacts": 60, "clients": 40},
    ]


def test_one_clients_many_contacts_under_a_rule_are_hidden() -> None:
    rows = rules_rows(_rules(), all_clients=320, min_cell_size=K)
    by_rule = {r["rule"]: r["contacts"] for r in rows}
    assert by_rule["reopened need"] is None
    # the total (all contacts) is printed elsewhere: a second rule is hidden with it
    assert sum(v is None for v in by_rule.values()) >= 2


def test_a_hidden_rule_cannot_be_recovered_from_the_total() -> None:
    rows = rules_rows(_rules(), all_clients=320, min_cell_size=K)
    total = sum(r["contacts"] for r in _rules())
    published = [[r["contacts"], r["contacts"]] for r in rows] + [[total, total]]
    assert not _solvable(published)


def test_rules_of_an_older_run_without_clients_are_hidden() -> None:
    old = [{k: v for k, v in r.items() if k != "clients"} for r in _rules()]
    assert all(r["contacts"] is None for r in rules_rows(old, all_clients=None, min_cell_size=K))


def test_a_hand_off_of_one_client_is_hidden_with_a_complement() -> None:
    handoffs = [
        {"from_unit": "desk", "to_unit": "calls", "failure_contacts": 300, "clients": 120},
        {"from_unit": "calls", "to_unit": "annex", "failure_contacts": 90, "clients": 1},
        {"from_unit": "annex", "to_unit": "desk", "failure_contacts": 85, "clients": 40},
        {"from_unit": "desk", "to_unit": "annex", "failure_contacts": 70, "clients": 30},
    ]
    rows = handoff_rows(handoffs, min_cell_size=K)
    shown = [r["failure_contacts"] for r in rows]
    assert shown[1] is None
    assert sum(v is None for v in shown) >= 2
    total = sum(h["failure_contacts"] for h in handoffs)
    assert not _solvable([[*shown, total]])


def _e2e(open_clients: int) -> list[dict[str, Any]]:
    times = {"median_days": 3.0, "p85_days": 9.0, "p95_days": 14.0, "mean_days": 4.0}
    return [
        {"needs": "all needs", "resolved": 700, "still_open": 75, "resolved_clients": 400,
         "open_clients": 30 + open_clients, "clients": 420, **times},
        {"needs": "needs with one contact", "resolved": 500, "still_open": 40,
         "resolved_clients": 300, "open_clients": 30, "clients": 320, **times},
        # one client's 35 open needs, each with repeat contacts
        {"needs": "needs with repeat contacts", "resolved": 200, "still_open": 35,
         "resolved_clients": 150, "open_clients": open_clients, "clients": 151, **times},
    ]  # fmt: skip


def test_one_clients_open_needs_are_hidden_and_not_recoverable() -> None:
    rows = end_to_end_rows(_e2e(open_clients=1), min_cell_size=K)
    assert [r["needs"] for r in rows] == [
        "all needs",
        "needs with one contact",
        "needs with repeat contacts",
    ]
    assert rows[2]["still_open"] is None
    # the attacker knows every printed count and that rows and columns add up
    published = [
        [rows[1]["resolved"], rows[1]["still_open"], None],
        [rows[2]["resolved"], rows[2]["still_open"], None],
        [rows[0]["resolved"], rows[0]["still_open"], 775],  # all needs: printed or summed
    ]
    assert not _solvable(published)
    hidden = sum(v is None for r in published for v in r[:2])
    assert hidden >= 2


def test_end_to_end_times_follow_their_resolved_count() -> None:
    rows = end_to_end_rows(_e2e(open_clients=12), min_cell_size=K)
    assert all(r["resolved"] is not None and r["median_days"] == 3.0 for r in rows)
    small = _e2e(open_clients=12)
    small[2].update(resolved_clients=3)
    rows = end_to_end_rows(small, min_cell_size=K)
    assert rows[2]["resolved"] is None
    assert rows[2]["median_days"] is None
    assert rows[2]["p95_days"] is None
