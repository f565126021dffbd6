"""Failure-demand share as an initiative measure: per unit and month, from the contacts.

The share of a unit-month's contacts that are failure demand (repeat, chasing and
error-correcting contacts, Seddon), as ``demand`` classifies them (``demand.classify``:
the same rules, the same text classifier, the same configured patterns), so the effect an
initiative is credited with is measured on the numbers the demand report shows. The
denominator is every contact, as in the demand report and its charts; contacts the data
cannot classify count as not failure there too.

Two cuts, both the demand charts' own:
- months starting within the repeat window of the first contact in the data are left out:
  their contacts cannot see the earlier contacts they repeat (those were not exported), so
  the share there is too low, a data artefact an interrupted time series would read as a
  trend;
- a unit-month is used only when at least ``min_n`` distinct clients are behind it
  (``disclosure.protect_points``: a cell's size is people, not contacts), so no published
  effect rests on a small group. Only shares are published, never the counts behind them.
"""

from __future__ import annotations

import pandas as pd

from decisionframe.config import DemandRules
from decisionframe.demand import aggregates
from decisionframe.demand.classify import classify_demand
from decisionframe.disclosure import protect_points
from decisionframe.initiatives.panel import Panel, _wide
from decisionframe.store import Store

MEASURE = "failure_demand_share"


def failure_demand_frame(store: Store, *, rules: DemandRules, min_n: int) -> pd.DataFrame:
    """Columns unit, period, value (the share), one row per publishable unit-month."""
    empty = pd.DataFrame(columns=["unit", "period", "value"])
    if not store.table_exists("touchpoints"):
        return empty
    columns = {c for c, _ in store.table_columns("touchpoints")}
    if "unit" not in columns or not store.rows("SELECT count(*) FROM touchpoints")[0][0]:
        return empty
    classify_demand(store, rules)
    aggregates.build_summaries(store)
    share = aggregates.share_series(store, "month")
    share = share[share["unit"].notna()]
    people = aggregates.monthly_people(store)
    people = people[people["unit"].notna()]
    share = share.assign(period=pd.to_datetime(share["period"]), unit=share["unit"].astype(str))
    people = people.assign(period=pd.to_datetime(people["period"]), unit=people["unit"].astype(str))
    merged = share.merge(people, on=["period", "unit"], how="left")
    merged["people"] = merged["people"].fillna(0).astype("int64")
    first = aggregates.first_contact_day(store)
    if first is not None:
        cutoff = pd.Timestamp(first) + pd.Timedelta(days=int(rules.repeat_window_days))
        merged = merged[merged["period"] >= cutoff]
    keep = protect_points(merged["people"].tolist(), min_cell_size=min_n)
    merged = merged[pd.Series(keep, index=merged.index, dtype=bool) & (merged["classified"] > 0)]
    return merged[["unit", "period", "value"]].reset_index(drop=True)


def failure_demand_panels(store: Store, *, rules: DemandRules, min_n: int) -> list[Panel]:
    """The ``failure_demand_share`` panel (empty list: no contacts with units to classify)."""
    frame = failure_demand_frame(store, rules=rules, min_n=min_n)
    panel = _wide(frame, MEASURE, "touchpoints") if len(frame) else None
    return [panel] if panel is not None else []
