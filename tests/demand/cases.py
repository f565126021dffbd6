"""Hand-made touchpoints with the demand rule each one must get, read by hand from the rules:
every rule fires at least once, a contact with no reason is unknown, and two contacts at the
same instant within one need are ordered by touchpoint id (the tie-break every engine must
share). Used by the DuckDB rule tests and the engine-equivalence tests alike."""

from __future__ import annotations

from decisionframe.config import DemandRules
from decisionframe.store import DuckDBStore

COLUMNS = (
    "touchpoint_id VARCHAR, client_id VARCHAR, started_at TIMESTAMP, channel VARCHAR, "
    "unit VARCHAR, reason VARCHAR, need_id VARCHAR, resolved BOOLEAN, waiting_on VARCHAR, "
    "handle_minutes DOUBLE, cost DOUBLE"
)
RULES = DemandRules(repeat_window_days=30)

ROWS = [
    ("t1", "c1", "2025-01-01 09:00", "phone", "u", "benefit claim", "n1", False, "bp", 10, 5),
    ("t2", "c1", "2025-01-05 09:00", "phone", "v", "benefit claim", "n1", False, None, 10, 5),
    ("t3", "c1", "2025-01-09 09:00", "phone", "u", "Where is my claim?", "n1", False, "bp", 10, 5),
    ("t4", "c1", "2025-01-12 09:00", "phone", "u", "benefit claim", "n1", True, None, 10, 5),
    ("t5", "c1", "2025-01-20 09:00", "phone", "u", "benefit claim", "n1", True, None, 10, 5),
    ("t6", "c2", "2025-01-01 09:00", "web", "u", "repairs request", None, False, None, 3, 1),
    ("t7", "c2", "2025-01-10 09:00", "web", "u", "repairs request", None, True, None, 3, 1),
    ("t8", "c2", "2025-03-10 09:00", "web", "u", "repairs request", None, True, None, 3, 1),
    ("t9", "c3", "2025-01-01 09:00", "email", "u", "Wrong amount", "n9", True, None, 3, 1),
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
# Each touchpoint's rule and the unit it was handed off from.
CODES_SQL = "SELECT touchpoint_id, rule, handoff_from FROM df_demand"


def store_with(rows: list[tuple[object, ...]], *, labels: bool = False) -> DuckDBStore:
    """An in-memory DuckDB store whose touchpoints table holds ``rows``."""
    store = DuckDBStore(":memory:")
    extra = ", demand_label VARCHAR" if labels else ""
    store.execute(f"CREATE TABLE touchpoints ({COLUMNS}{extra})")
    marks = ", ".join("?" for _ in rows[0])
    for row in rows:
        store.execute(f"INSERT INTO touchpoints VALUES ({marks})", list(row))
    return store
