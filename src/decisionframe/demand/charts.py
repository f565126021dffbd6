"""Monthly series of every demand and quality measure, as control charts.

Why months, when the tables report weeks: weekly service data are autocorrelated (the
same clients come back week after week) and two years of weeks give ~100 points, so the
four detection rules would raise false alarms on most charts of a stable process (we
measured 11 of 18 stable simulated charts). Calendar months give ~20 points with far
weaker autocorrelation (0 of 18 false alarms in the same check).

A chart covers the steady period of its series: months at the start (a service ramping up)
and at the end (a run-off) whose volume is under 80% of the median month are left out,
because the process was not yet (or no longer) the same one. Each chart says how many.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from decisionframe.controlcharts import ControlChart, control_chart, with_note, within_budget
from decisionframe.demand.aggregates import first_contact_day, monthly_people, share_series
from decisionframe.store import Store, quote

_PERIOD = "CAST(date_trunc('month', started_at) AS DATE)"


@dataclass(frozen=True)
class Initiative:
    name: str
    started_on: date
    units: tuple[str, ...]  # empty: applies everywhere

    def applies_to(self, unit: str | None) -> bool:
        """Whether the chart of ``unit`` (None: all units together) changed with this.

        An all-units series contains every unit, so an initiative in any of them changes
        it too; points after it are judged against the limits from before it.
        """
        return unit is None or not self.units or unit in self.units


def initiatives(store: Store) -> list[Initiative]:
    if not store.table_exists("initiatives"):
        return []
    found = []
    for name, started, units in store.rows("SELECT name, started_on, units FROM initiatives"):
        parts = tuple(u.strip() for u in str(units or "").replace(";", ",").split(",") if u.strip())
        found.append(Initiative(str(name), started, parts))
    return found


def quality_columns(store: Store) -> list[str]:
    """Numeric attribute columns of touchpoints (ratings such as respect)."""
    if not store.table_exists("df_columns"):
        return []
    return [
        str(r[0])
        for r in store.rows(
            "SELECT column_name FROM df_columns WHERE table_name = 'touchpoints' "
            "AND role = 'attribute' AND logical_type IN ('int', 'float') ORDER BY column_name"
        )
    ]


STEADY_SHARE = 0.8


def _steady(frame: pd.DataFrame, min_n: int) -> tuple[pd.DataFrame, int]:
    """Trim ramp-up and run-off months (volume under 80% of the median month) at both ends."""
    if frame.empty:
        return frame, 0
    floor = max(min_n, STEADY_SHARE * float(frame["n"].median()))
    steady = (frame["n"] >= floor).to_numpy()
    if not steady.any():
        return frame.iloc[0:0], len(frame)
    first = int(steady.argmax())
    last = len(steady) - int(steady[::-1].argmax())
    kept = frame.iloc[first:last]
    # A point is published only if at least min_n distinct clients are behind it (a month
    # of one client's many contacts is that one person), see decisionframe.disclosure.
    enough = kept["n"] >= min_n
    if "people" in kept:
        enough &= kept["people"] >= min_n
    kept = kept[enough].reset_index(drop=True)
    return kept, len(frame) - len(kept)


def _changes(
    months: list[date], unit: str | None, found: list[Initiative]
) -> list[tuple[int, str]]:
    changes = []
    for initiative in found:
        if not initiative.applies_to(unit):
            continue
        started = initiative.started_on
        first_full_month = (
            started
            if started.day == 1
            else (started.replace(day=28) + timedelta(days=4)).replace(day=1)
        )
        index = next((i for i, w in enumerate(months) if w >= first_full_month), None)
        if index is not None and index > 0:
            changes.append((index, f"'{initiative.name}'"))
    return changes


def _chart(
    title: str,
    frame: pd.DataFrame,
    *,
    kind: str,
    unit: str | None,
    found: list[Initiative],
    min_n: int,
    suffix: str = "",
    note: str = "",
    measure: str = "",
) -> ControlChart | None:
    kept, dropped = _steady(frame, min_n)
    if len(kept) < 8:
        return None
    months = [pd.Timestamp(w).date() for w in kept["period"]]
    chart = control_chart(
        title,
        [w.isoformat() for w in months],
        list(kept["value"]),
        kind="p" if kind == "p" else "XmR",
        n=list(kept["n"]),
        changes=_changes(months, unit, found),
        unit=suffix,
        measure=measure,
    )
    if dropped:
        note += f" ({dropped} ramp-up or run-off months left out.)"
    return with_note(chart, note) if note else chart


def _with_monthly_people(series: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    key = ["period", "unit"]
    left = series.assign(period=pd.to_datetime(series["period"]), unit=series["unit"].fillna(""))
    right = people.assign(period=pd.to_datetime(people["period"]), unit=people["unit"].fillna(""))
    merged = left.merge(right, on=key, how="left")
    merged["people"] = merged["people"].fillna(0).astype("int64")
    merged["unit"] = merged["unit"].where(merged["unit"] != "", None)
    return merged


def _without_censored_start(
    share: pd.DataFrame, first_day: date | None, warm_up_days: int
) -> tuple[pd.DataFrame, str]:
    """Drop months that begin within ``warm_up_days`` of the first contact in the data.

    Contacts early in an export cannot see the earlier contacts they repeat (those were
    not exported), so they look like first contacts and the failure share there is too
    low: a data artefact, not a process change, which a chart would flag as a signal.
    """
    if share.empty or first_day is None:
        return share, ""
    periods = pd.to_datetime(share["period"])
    cutoff = pd.Timestamp(first_day) + pd.Timedelta(days=warm_up_days)
    kept = share[periods >= cutoff]
    left_out = periods[periods < cutoff].nunique()
    if not left_out:
        return share, ""
    return kept, (
        f" (The first {left_out} month{'s' if left_out > 1 else ''} left out: contacts there "
        "cannot see the earlier contacts they repeat.)"
    )


def demand_charts(store: Store, *, min_n: int, warm_up_days: int = 30) -> list[ControlChart]:
    """p-charts of monthly failure share and XmR charts of monthly means, overall and per unit.

    ``warm_up_days`` (the repeat window) is how long after the first contact in the data
    repeats cannot yet be recognised; failure-share months starting within it are left out.
    """
    found = initiatives(store)
    charts: list[ControlChart | None] = []
    series = share_series(store, "month")
    series = _with_monthly_people(series, monthly_people(store))
    share, censored = _without_censored_start(series, first_contact_day(store), warm_up_days)
    if not share.empty and not share["classified"].any():
        share = share.iloc[0:0]  # nothing could be classified: a chart of zeros would lie
    charts.append(
        _chart(
            "Failure-demand share, all units",
            share[share["unit"].isna()],
            kind="p",
            unit=None,
            found=found,
            min_n=min_n,
            note=censored,
            measure="failure-demand share",
        )
    )
    for unit in sorted(share["unit"].dropna().unique()):
        charts.append(
            _chart(
                f"Failure-demand share, {unit}",
                share[share["unit"] == unit],
                kind="p",
                unit=str(unit),
                found=found,
                min_n=min_n,
                note=censored,
                measure="failure-demand share",
            )
        )
    for column in ["handle_minutes", *quality_columns(store)]:
        means = store.frame(
            f"SELECT period, unit, count(x) AS n, "
            "count(DISTINCT client_id) FILTER (WHERE x IS NOT NULL) AS people, "
            f"avg(x) AS value FROM (SELECT {_PERIOD} AS period, unit, client_id, "
            f"{quote(column)} AS x FROM touchpoints) m "
            "GROUP BY GROUPING SETS ((period), (period, unit)) ORDER BY period, unit NULLS FIRST"
        )
        charts.append(
            _chart(
                f"Mean {column.replace('_', ' ')}, all units",
                means[means["unit"].isna()],
                kind="XmR",
                unit=None,
                found=found,
                min_n=min_n,
                measure=column,
            )
        )
        for unit in sorted(means["unit"].dropna().unique()):
            charts.append(
                _chart(
                    f"Mean {column.replace('_', ' ')}, {unit}",
                    means[means["unit"] == unit],
                    kind="XmR",
                    unit=str(unit),
                    found=found,
                    min_n=min_n,
                    measure=column,
                )
            )
    # One false-alarm budget over every chart of the report (see controlcharts).
    return within_budget([c for c in charts if c is not None])
