"""Initiative panels from contacts: a unit-month counts only with enough distinct clients."""

from __future__ import annotations

from decisionframe.initiatives.panel import touchpoint_panels
from decisionframe.store import DuckDBStore

_COLUMNS = (
    "touchpoint_id VARCHAR, client_id VARCHAR, started_at TIMESTAMP, unit VARCHAR, "
    "need_id VARCHAR, resolved BOOLEAN"
)


def test_a_month_of_one_clients_many_needs_is_a_cell_of_one() -> None:
    # Units a and b, six months, 22 needs a month (11 resolved at once). In b's fourth
    # month all 22 needs are one client's: 22 needs but one person, below min_cell_size
    # 11, so b (missing that month) is left out; counted as needs it would have stayed.
    store = DuckDBStore(":memory:")
    store.execute(f"CREATE TABLE touchpoints ({_COLUMNS})")
    for unit in ("a", "b"):
        for month in range(1, 7):
            for k in range(22):
                client = "solo" if (unit, month) == ("b", 4) else f"{unit}{month}-{k}"
                need = f"{unit}{month}-{k}"
                store.execute(
                    "INSERT INTO touchpoints VALUES (?, ?, ?, ?, ?, ?)",
                    [f"t{need}", client, f"2025-{month:02d}-0{1 + k % 9} 09:00", unit, need,
                     k % 2 == 0],
                )  # fmt: skip
    panels = {p.measure: p for p in touchpoint_panels(store, min_n=11)}
    for measure in ("one_touch_rate", "end_to_end_days"):
        assert panels[measure].units == ("a",), measure
        assert panels[measure].dropped_units == 1
    assert abs(panels["one_touch_rate"].values[0, 0] - 0.5) < 1e-12
