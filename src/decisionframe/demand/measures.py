"""Demand measures by SQL over the classified touchpoints (``df_demand``)."""

from __future__ import annotations

import pandas as pd

from decisionframe.demand.classify import DEMAND_TABLE
from decisionframe.store import Store, quote

_SHARE = (
    "count(*) AS contacts, count(*) FILTER (WHERE demand = 'failure') AS failure, "
    "count(*) FILTER (WHERE demand = 'unknown') AS unknown, "
    "count(*) FILTER (WHERE demand = 'failure') / count(*) AS failure_share, "
    "coalesce(sum(handle_minutes) FILTER (WHERE demand = 'failure'), 0) AS failure_minutes, "
    "coalesce(sum(cost) FILTER (WHERE demand = 'failure'), 0) AS failure_cost"
)


def rules_fired(store: Store) -> pd.DataFrame:
    return store.frame(
        f"SELECT rule, demand, count(*) AS contacts FROM {DEMAND_TABLE} GROUP BY ALL "
        "ORDER BY contacts DESC"
    )


def failure_share_by(store: Store, dimension: str, *, limit: int | None = None) -> pd.DataFrame:
    """Failure share, count and cost by ``channel``, ``unit``, ``reason`` or ``week``."""
    key = {"week": "CAST(date_trunc('week', started_at) AS DATE)", "reason": "reason_key"}.get(
        dimension, quote(dimension)
    )
    order = "1" if dimension == "week" else "failure DESC"
    cut = f" LIMIT {int(limit)}" if limit else ""
    return store.frame(
        f"SELECT {key} AS {quote(dimension)}, {_SHARE} FROM {DEMAND_TABLE} GROUP BY 1 "
        f"ORDER BY {order}{cut}"
    )


def overall(store: Store) -> dict[str, float]:
    row = store.frame(
        f"SELECT {_SHARE}, coalesce(sum(handle_minutes), 0) AS all_minutes, "
        f"coalesce(sum(cost), 0) AS all_cost FROM {DEMAND_TABLE}"
    ).iloc[0]
    return {str(k): float(v) for k, v in row.items()}


def one_touch_resolution(store: Store) -> dict[str, float]:
    """Share of needs resolved by their first and only contact (needs with an id)."""
    row = store.rows(
        f"SELECT count(*), count(*) FILTER (WHERE contacts = 1 AND resolved_any) FROM ("
        f"SELECT need_id, count(*) AS contacts, bool_or(coalesce(resolved, false)) AS resolved_any "
        f"FROM {DEMAND_TABLE} WHERE need_id IS NOT NULL GROUP BY need_id)"
    )[0]
    needs, one_touch = int(row[0]), int(row[1])
    return {
        "needs": needs,
        "one_touch": one_touch,
        "rate": one_touch / needs if needs else float("nan"),
    }


def end_to_end(store: Store) -> pd.DataFrame:
    """Days from a need's first contact to its resolution: median, 85th and 95th percentile."""
    return store.frame(
        f"""
        WITH needs AS (
            SELECT need_id, min(started_at) AS first_at,
                   min(started_at) FILTER (WHERE resolved) AS resolved_at,
                   count(*) AS contacts, any_value(unit) AS unit
            FROM {DEMAND_TABLE} WHERE need_id IS NOT NULL GROUP BY need_id
        ), spans AS (
            SELECT contacts > 1 AS multi,
                   date_diff('second', first_at, resolved_at) / 86400.0 AS days
            FROM needs
        )
        SELECT CASE WHEN GROUPING(multi) = 1 THEN 'all needs'
                    WHEN multi THEN 'needs with repeat contacts'
                    ELSE 'needs with one contact' END AS needs,
               count(days) AS resolved, count(*) - count(days) AS still_open,
               quantile_cont(days, 0.5) AS median_days, quantile_cont(days, 0.85) AS p85_days,
               quantile_cont(days, 0.95) AS p95_days, avg(days) AS mean_days
        FROM spans GROUP BY ROLLUP (multi) ORDER BY GROUPING(multi) DESC, multi
        """
    )


def end_to_end_histogram(store: Store, bins: int = 30) -> pd.DataFrame:
    """Distribution of days to resolution for a chart (counts per 1-day bin, capped)."""
    return store.frame(
        f"""
        WITH needs AS (
            SELECT date_diff('second', min(started_at), min(started_at) FILTER (WHERE resolved))
                   / 86400.0 AS days
            FROM {DEMAND_TABLE} WHERE need_id IS NOT NULL GROUP BY need_id
        )
        SELECT least(floor(days), {bins}) AS day, count(*) AS needs
        FROM needs WHERE days IS NOT NULL GROUP BY 1 ORDER BY 1
        """
    )


def internal_customers(store: Store) -> pd.DataFrame:
    """Back-end units ranked by the front-line failure demand that waits on them."""
    return store.frame(
        f"""
        SELECT waiting_on AS backend_unit,
               count(*) FILTER (WHERE demand = 'failure') AS failure_contacts,
               coalesce(sum(handle_minutes) FILTER (WHERE demand = 'failure'), 0)
                   AS failure_minutes,
               coalesce(sum(cost) FILTER (WHERE demand = 'failure'), 0) AS failure_cost,
               count(DISTINCT need_id) AS needs_held,
               count(*) FILTER (WHERE demand = 'failure')
                   / nullif(count(DISTINCT need_id), 0) AS failure_contacts_per_need
        FROM {DEMAND_TABLE} WHERE waiting_on IS NOT NULL
        GROUP BY 1 ORDER BY failure_contacts DESC
        """
    )


def handoffs(store: Store) -> pd.DataFrame:
    """Failure contacts that follow a hand-off of the same need between units."""
    return store.frame(
        f"""
        WITH seq AS (
            SELECT need_id, unit, demand,
                   lag(unit) OVER (PARTITION BY need_id ORDER BY started_at, touchpoint_id)
                       AS previous_unit
            FROM {DEMAND_TABLE} WHERE need_id IS NOT NULL
        )
        SELECT previous_unit AS from_unit, unit AS to_unit, count(*) AS failure_contacts
        FROM seq WHERE previous_unit IS NOT NULL AND previous_unit <> unit
             AND demand = 'failure'
        GROUP BY ALL ORDER BY failure_contacts DESC LIMIT 20
        """
    )
