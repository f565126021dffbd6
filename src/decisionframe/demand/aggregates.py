"""Demand measures, computed from two small summaries built once per run.

Every measure used to be its own pass over ten million classified touchpoints. Now one
pass builds ``df_demand_cube``: contacts, cost and handling minutes for each combination
of day, channel, unit, reason, back-end unit waited on, hand-off and rule (a few hundred
thousand rows at most), and one pass builds ``df_needs``: one row per need. Shares by any
dimension, week or month, rules fired and internal customers are then small aggregations
of the cube; one-touch resolution and end-to-end times come from the needs table.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from decisionframe.demand.classify import RULES_TABLE, demand_sql, rule_sql
from decisionframe.store import Store, quote

CUBE_TABLE = "df_demand_cube"
NEEDS_TABLE = "df_needs"
PEOPLE_TABLE = "df_demand_people"

# Sums of counts are cast back to BIGINT: DuckDB widens them to HUGEINT, which pandas
# would turn into floats ("14,952.0 contacts").
_SHARE = (
    "sum(contacts)::BIGINT AS contacts, "
    "coalesce(sum(contacts) FILTER (WHERE demand = 'failure'), 0)::BIGINT AS failure, "
    "coalesce(sum(contacts) FILTER (WHERE demand = 'unknown'), 0)::BIGINT AS unknown, "
    "coalesce(sum(contacts) FILTER (WHERE demand = 'failure'), 0) / sum(contacts) "
    "AS failure_share, "
    "coalesce(sum(minutes) FILTER (WHERE demand = 'failure'), 0) AS failure_minutes, "
    "coalesce(sum(cost) FILTER (WHERE demand = 'failure'), 0) AS failure_cost"
)
_DIMENSIONS = {
    "week": "CAST(date_trunc('week', day) AS DATE)",
    "month": "CAST(date_trunc('month', day) AS DATE)",
    "reason": "reason_key",
    "channel": "channel",
    "unit": "unit",
    "waiting_on": "waiting_on",
}


def build_summaries(store: Store) -> None:
    """Build the cube, the needs table and the people counts (after ``classify_demand``)."""
    build_cube(store)
    build_needs(store)
    build_people(store)


_PEOPLE_SETS = {
    # name -> (grouping set, key expression); demand classes are counted within each
    "channel": ("t.channel", "t.channel"),
    "unit": ("t.unit", "t.unit"),
    "waiting_on": ("t.waiting_on", "t.waiting_on"),
    "month": ("t.unit, month", "CAST(date_trunc('month', t.started_at) AS DATE)"),
}


def build_people(store: Store) -> None:
    """Distinct clients behind every published cell: by channel, unit and waited-on unit,
    each split by demand class with margins, and per month (overall and per unit).

    A published cell's size is the number of distinct people behind it (one client's 168
    contacts are a cell of one; see ``decisionframe.disclosure``). Distinct counts do not
    add up, so they cannot come from the cube: this is one more pass over the touchpoints.
    """
    sets = ["(demand)", "()", "(month)", "(unit, month)"]
    for name in ("channel", "unit", "waiting_on"):
        sets += [f"({name}, demand)", f"({name})"]
    # Month and class are computed in a subquery, not named by alias in GROUPING SETS:
    # not every engine resolves output aliases there.
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {PEOPLE_TABLE} AS
        SELECT channel, unit, waiting_on, month, demand,
               GROUPING(channel, unit, waiting_on, month, demand) AS grouping_id,
               count(DISTINCT client_id) AS clients
        FROM (
            SELECT t.client_id, t.channel, t.unit, t.waiting_on,
                   CAST(date_trunc('month', t.started_at) AS DATE) AS month,
                   {demand_sql("r.code")} AS demand
            FROM touchpoints t JOIN {RULES_TABLE} r ON r.rid = t.rowid
        ) c
        GROUP BY GROUPING SETS ({", ".join(sets)})
        """
    )


ALL_KEY, NOT_RECORDED = "__all__", "__none__"


def with_people(frame: pd.DataFrame, people: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """``frame`` (one row per value of ``dimension``) with its people columns joined on."""
    keys = frame[dimension].astype(object).where(frame[dimension].notna(), NOT_RECORDED)
    joined = pd.DataFrame({"key": keys.astype(str)}).merge(
        people.assign(key=people["key"].astype(str)), on="key", how="left"
    )
    out = frame.copy()
    for column in ("clients", "value_clients", "failure_clients", "unknown_clients"):
        out[column] = joined[column].fillna(0).astype("int64").to_numpy()
    return out


def margins(people: pd.DataFrame) -> dict[str, int]:
    """The all-values row of ``people_by``: distinct clients overall and per class."""
    row = people[people["key"] == ALL_KEY]
    columns = ("clients", "value_clients", "failure_clients", "unknown_clients")
    return {c: int(row[c].iloc[0]) if len(row) else 0 for c in columns}


# GROUPING(channel, unit, waiting_on, month, demand): a bit is 1 where the column is
# rolled up. Bits from the left: channel 16, unit 8, waiting_on 4, month 2, demand 1.
_ALL = 31


def people_by(store: Store, dimension: str) -> pd.DataFrame:
    """Distinct clients per value of ``dimension`` (channel, unit or waiting_on): columns
    ``clients`` (all), ``value_clients``, ``failure_clients``, ``unknown_clients``; the row
    whose key is the margin marker ``__all__`` holds the totals over every value."""
    bit = {"channel": 16, "unit": 8, "waiting_on": 4}[dimension]
    by_class, total = _ALL - bit - 1, _ALL - bit
    frame = store.frame(
        f"SELECT {quote(dimension)} AS key, grouping_id, demand, clients FROM {PEOPLE_TABLE} "
        "WHERE grouping_id IN (?, ?, 30, 31)",
        [by_class, total],
    )
    key = frame["key"].astype(object).where(frame["key"].notna(), NOT_RECORDED)
    frame["key"] = key.where(frame["grouping_id"] < 30, ALL_KEY)
    frame["column"] = frame["demand"].astype(object).map(lambda d: f"{d}_clients")
    frame.loc[frame["grouping_id"].isin([total, 31]), "column"] = "clients"
    wide = frame.pivot_table(
        index="key", columns="column", values="clients", aggfunc="sum", dropna=False
    )
    for column in ("clients", "value_clients", "failure_clients", "unknown_clients"):
        if column not in wide:
            wide[column] = 0
    return wide.fillna(0).astype("int64").reset_index()


def people_by_reason(store: Store) -> pd.DataFrame:
    """Distinct clients per reason (as the cube keys it: trimmed, lower case), overall and
    per demand class, in the shape of ``people_by`` (``key``; the margin row ``__all__``).

    Reason texts are typed by staff and can name a person, so a published reason must have
    enough distinct people behind it (``decisionframe.publish`` groups the rest as
    'other'); contacts cannot tell that. One more pass over the classified touchpoints.
    """
    classes = ("value", "failure", "unknown")
    demand = demand_sql("r.code")
    per_class = ", ".join(
        f"count(DISTINCT CASE WHEN {demand} = '{c}' THEN t.client_id END) AS {c}_clients"
        for c in classes
    )
    body = (
        f"count(DISTINCT t.client_id) AS clients, {per_class} "
        f"FROM touchpoints t JOIN {RULES_TABLE} r ON r.rid = t.rowid"
    )
    frame = store.frame(
        f"SELECT coalesce(lower(trim(t.reason)), ?) AS key, {body} GROUP BY 1 "
        f"UNION ALL SELECT ? AS key, {body}",
        [NOT_RECORDED, ALL_KEY],
    )
    for column in ("clients", "value_clients", "failure_clients", "unknown_clients"):
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame


def monthly_people(store: Store) -> pd.DataFrame:
    """Distinct clients per month, overall (unit NULL) and per unit."""
    return store.frame(
        f"SELECT month AS period, unit, clients AS people FROM {PEOPLE_TABLE} "
        "WHERE grouping_id IN (29, 21) ORDER BY period"
    )


def build_cube(store: Store) -> None:
    """Contacts, minutes and cost per day, channel, unit, reason, waited-on unit and rule.

    Groups raw values and codes first and names them after, on the few hundred thousand
    grouped rows: naming ten million rows (reason keys, rule names) costs more than the
    grouping itself.
    """
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {CUBE_TABLE} AS
        WITH raw AS (
            SELECT CAST(t.started_at AS DATE) AS day, t.channel, t.unit, t.reason,
                   t.waiting_on, r.handoff_from, r.code, count(*) AS contacts,
                   sum(t.handle_minutes) AS minutes, sum(t.cost) AS cost
            FROM touchpoints t JOIN {RULES_TABLE} r ON r.rid = t.rowid
            GROUP BY 1, 2, 3, 4, 5, 6, 7
        )
        SELECT day, channel, unit, lower(trim(reason)) AS reason_key, waiting_on,
               handoff_from, {rule_sql("code")} AS rule, {demand_sql("code")} AS demand,
               sum(contacts)::BIGINT AS contacts, sum(minutes) AS minutes, sum(cost) AS cost
        FROM raw GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        """
    )


def build_needs(store: Store) -> None:
    """One row per need: contacts, first contact, first resolving contact.

    Read from the touchpoints themselves: needs need no classification.
    """
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {NEEDS_TABLE} AS
        SELECT need_id, min(client_id) AS client_id, count(*) AS contacts,
               min(started_at) AS first_at,
               min(started_at) FILTER (WHERE resolved) AS resolved_at
        FROM touchpoints WHERE need_id IS NOT NULL GROUP BY need_id
        """
    )


def rules_fired(store: Store) -> pd.DataFrame:
    """Contacts and distinct clients per rule (each rule has one code and one class).

    The clients are what a published cell's size is (one client's many contacts under a
    rare rule are a cell of one, #13), so this reads the touchpoints, not the cube; codes
    are grouped first and named after, as in ``build_cube``.
    """
    return store.frame(
        f"""
        WITH raw AS (
            SELECT r.code, count(*) AS contacts, count(DISTINCT t.client_id) AS clients
            FROM touchpoints t JOIN {RULES_TABLE} r ON r.rid = t.rowid GROUP BY 1
        )
        SELECT {rule_sql("code")} AS rule, {demand_sql("code")} AS demand,
               contacts::BIGINT AS contacts, clients::BIGINT AS clients
        FROM raw ORDER BY contacts DESC, rule, demand
        """
    )


def failure_share_by(store: Store, dimension: str, *, limit: int | None = None) -> pd.DataFrame:
    """Failure share, count and cost by one of the cube's dimensions (see ``_DIMENSIONS``)."""
    if dimension not in _DIMENSIONS:
        raise ValueError(
            f"cannot break failure demand down by {dimension!r}; "
            f"choose one of {', '.join(sorted(_DIMENSIONS))}"
        )
    key = _DIMENSIONS[dimension]
    order = "1" if dimension in ("week", "month") else "failure DESC, 1"
    cut = f" LIMIT {int(limit)}" if limit else ""
    return store.frame(
        f"SELECT {key} AS {quote(dimension)}, {_SHARE} FROM {CUBE_TABLE} GROUP BY 1 "
        f"ORDER BY {order}{cut}"
    )


def overall(store: Store) -> dict[str, float]:
    row = store.frame(
        f"SELECT {_SHARE}, coalesce(sum(minutes), 0) AS all_minutes, "
        f"coalesce(sum(cost), 0) AS all_cost, "
        # cells with any recorded cost: 0 means the data has no contact costs (missing,
        # which the report says, rather than a cost of 0)
        f"count(cost) AS costed_cells FROM {CUBE_TABLE}"
    ).iloc[0]
    return {str(k): float(v) for k, v in row.items()}


def one_touch_resolution(store: Store) -> dict[str, float]:
    """Share of needs resolved by their first and only contact (needs with an id)."""
    row = store.rows(
        f"SELECT count(*), count(*) FILTER (WHERE contacts = 1 AND resolved_at IS NOT NULL) "
        f"FROM {NEEDS_TABLE}"
    )[0]
    needs, one_touch = int(row[0]), int(row[1])
    return {
        "needs": needs,
        "one_touch": one_touch,
        "rate": one_touch / needs if needs else float("nan"),
    }


def end_to_end(store: Store) -> pd.DataFrame:
    """Days from a need's first contact to its resolution: median, 85th and 95th percentile.

    With the distinct clients behind each count (resolved, still open, all), the margin row
    included, since a client with several needs can be in more than one cell: the
    published table is sized by them (#13).
    """
    return store.frame(
        f"""
        WITH spans AS (
            SELECT contacts > 1 AS multi, client_id,
                   date_diff('second', first_at, resolved_at) / 86400.0 AS days
            FROM {NEEDS_TABLE}
        )
        SELECT CASE WHEN GROUPING(multi) = 1 THEN 'all needs'
                    WHEN multi THEN 'needs with repeat contacts'
                    ELSE 'needs with one contact' END AS needs,
               count(days) AS resolved, count(*) - count(days) AS still_open,
               count(DISTINCT CASE WHEN days IS NOT NULL THEN client_id END)
                   AS resolved_clients,
               count(DISTINCT CASE WHEN days IS NULL THEN client_id END) AS open_clients,
               count(DISTINCT client_id) AS clients,
               quantile_cont(days, 0.5) AS median_days, quantile_cont(days, 0.85) AS p85_days,
               quantile_cont(days, 0.95) AS p95_days, avg(days) AS mean_days
        FROM spans GROUP BY ROLLUP (multi) ORDER BY GROUPING(multi) DESC, multi
        """
    )


def end_to_end_histogram(store: Store, bins: int = 30) -> pd.DataFrame:
    """Distribution of days to resolution for a chart (counts per 1-day bin, capped)."""
    return store.frame(
        f"""
        SELECT least(floor(date_diff('second', first_at, resolved_at) / 86400.0), {bins})
                   AS day,
               count(*) AS needs, count(DISTINCT client_id) AS clients
        FROM {NEEDS_TABLE} WHERE resolved_at IS NOT NULL GROUP BY 1 ORDER BY 1
        """
    )


def internal_customers(store: Store) -> pd.DataFrame:
    """Back-end units ranked by the front-line failure demand that waits on them."""
    return store.frame(
        f"""
        WITH failure AS (
            SELECT waiting_on,
                   coalesce(sum(contacts) FILTER (WHERE demand = 'failure'), 0)::BIGINT
                       AS failure_contacts,
                   coalesce(sum(minutes) FILTER (WHERE demand = 'failure'), 0)
                       AS failure_minutes,
                   coalesce(sum(cost) FILTER (WHERE demand = 'failure'), 0) AS failure_cost
            FROM {CUBE_TABLE} WHERE waiting_on IS NOT NULL GROUP BY 1
        ), held AS (
            SELECT waiting_on, count(DISTINCT need_id) AS needs_held
            FROM touchpoints WHERE waiting_on IS NOT NULL GROUP BY 1
        )
        SELECT f.waiting_on AS backend_unit, f.failure_contacts, f.failure_minutes,
               f.failure_cost, coalesce(h.needs_held, 0) AS needs_held,
               f.failure_contacts / nullif(h.needs_held, 0) AS failure_contacts_per_need
        FROM failure f LEFT JOIN held h USING (waiting_on)
        ORDER BY f.failure_contacts DESC, backend_unit
        """
    )


def handoffs(store: Store) -> pd.DataFrame:
    """Failure contacts that follow a hand-off of the same need between units, and the
    distinct clients behind each pair (the published cell's size, #13)."""
    return store.frame(
        f"""
        SELECT r.handoff_from AS from_unit, t.unit AS to_unit,
               count(*)::BIGINT AS failure_contacts,
               count(DISTINCT t.client_id)::BIGINT AS clients
        FROM touchpoints t JOIN {RULES_TABLE} r ON r.rid = t.rowid
        WHERE r.handoff_from IS NOT NULL AND {demand_sql("r.code")} = 'failure'
        GROUP BY 1, 2 ORDER BY failure_contacts DESC, from_unit, to_unit LIMIT 20
        """
    )


def first_contact_day(store: Store) -> date | None:
    """The day of the earliest contact in the data (where the export's history begins)."""
    day = store.rows(f"SELECT min(day) FROM {CUBE_TABLE}")[0][0]
    return day if isinstance(day, date) else None


def share_series(store: Store, period: str) -> pd.DataFrame:
    """Failure share per ``period`` ('week' or 'month'), overall (unit NULL) and per unit."""
    key = _DIMENSIONS[period]
    return store.frame(
        "SELECT period, unit, sum(contacts)::BIGINT AS n, "
        "coalesce(sum(contacts) FILTER (WHERE demand <> 'unknown'), 0)::BIGINT AS classified, "
        "coalesce(sum(contacts) FILTER (WHERE demand = 'failure'), 0) / sum(contacts) "
        f"AS value FROM (SELECT {key} AS period, unit, demand, contacts FROM {CUBE_TABLE}) c "
        "GROUP BY GROUPING SETS ((period), (period, unit)) ORDER BY period, unit NULLS FIRST"
    )
