"""Panels: a measure as a units-by-months matrix, and initiatives as start months per unit.

Every measure an initiative can move becomes one ``Panel``: from the canonical ``series``
table (a KPI export) and, where the organization's contacts are loaded, from touchpoints
(service-quality ratings, one-touch resolution, end-to-end time) and outcomes (outcome
rates by enrolment cohort). Initiatives rows sharing an ``initiative_id`` are one roll-out;
each row's units start on its ``started_on`` (no units: everywhere at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from decisionframe.store import Store, quote

Direction = Literal["increase", "decrease"]

# The direction in which the organization's own measures get better.
KNOWN_BETTER: dict[str, Direction] = {
    "failure_share": "decrease",
    "failure_demand_share": "decrease",
    "one_touch_rate": "increase",
    "one_touch_resolution": "increase",
    "end_to_end_days": "decrease",
    "days_to_resolve": "decrease",
    "wait_minutes": "decrease",
}


@dataclass(frozen=True)
class MeasureWords:
    """How a measure and its changes are named for a reader.

    ``unit`` is ``share`` (a rate or proportion in [0, 1]: changes are written in percentage
    points and bounded, see ``designs.feasible``), ``days``, ``minutes`` or ``""`` (the
    measure's own scale, unknown to us). ``noun`` names what a share counts, so a change
    reads '9.4 percentage points more needs resolved at the first contact'.
    """

    label: str
    unit: str
    noun: str | None = None


KNOWN_WORDS: dict[str, MeasureWords] = {
    "failure_share": MeasureWords(
        "failure demand share", "share", "contacts that were failure demand"
    ),
    "failure_demand_share": MeasureWords(
        "failure demand share", "share", "contacts that were failure demand"
    ),
    "one_touch_rate": MeasureWords(
        "one-touch resolution", "share", "needs resolved at the first contact"
    ),
    "one_touch_resolution": MeasureWords(
        "one-touch resolution", "share", "needs resolved at the first contact"
    ),
    "end_to_end_days": MeasureWords("end-to-end time (days)", "days"),
    "days_to_resolve": MeasureWords("days to resolve", "days"),
    "wait_minutes": MeasureWords("waiting time (minutes)", "minutes"),
}


def measure_words(measure: str, values: np.ndarray | None = None) -> MeasureWords:
    """The measure's words: known measures by name; any other is a share when every value
    lies in [0, 1] (a monthly mean bounded by 0 and 1 is a rate: one-time resolution, an
    outcome reached, letters understood), else on its own scale."""
    known = KNOWN_WORDS.get(measure)
    if known is not None:
        return known
    label = measure.replace("_", " ")
    finite = values[np.isfinite(values)] if values is not None else np.array([])
    share = finite.size > 0 and bool(finite.min() >= 0.0 and finite.max() <= 1.0)
    return MeasureWords(label, "share" if share else "")


@dataclass(frozen=True)
class Panel:
    """One measure: ``values[unit, month]`` for units with every month of the window."""

    measure: str
    units: tuple[str, ...]
    periods: tuple[date, ...]
    values: np.ndarray  # shape (units, periods)
    source: str  # "series" | "touchpoints" | "outcomes"
    dropped_units: int = 0  # units left out for missing months

    @property
    def words(self) -> MeasureWords:
        return measure_words(self.measure, self.values)

    def sd(self) -> float:
        return float(np.nanstd(self.values, ddof=1)) if self.values.size > 1 else 0.0


@dataclass(frozen=True)
class Wave:
    started_on: date
    units: tuple[str, ...]  # empty: every unit


@dataclass(frozen=True)
class Initiative:
    initiative_id: str
    name: str
    waves: tuple[Wave, ...]
    measures: tuple[str, ...]  # empty: every measure
    expected: dict[str, Direction]

    def targets(self, measure: str) -> bool:
        return not self.measures or measure in self.measures

    def hoped(self, measure: str) -> Direction | None:
        return self.expected.get(measure) or KNOWN_BETTER.get(measure)

    def start_index(self, panel: Panel) -> np.ndarray:
        """First treated month index per panel unit (``len(periods)``: never, in the window).

        A start on a month's first day treats that month; a mid-month start treats the next
        month, so the month it started in counts as before (it was mostly before).
        """
        horizon = len(panel.periods)
        start = np.full(len(panel.units), horizon)
        months = np.array([p.toordinal() for p in panel.periods])
        for wave in self.waves:
            first = _first_full_month(wave.started_on).toordinal()
            index = int(np.searchsorted(months, first))
            for u, unit in enumerate(panel.units):
                if not wave.units or unit in wave.units:
                    start[u] = min(start[u], index)
        return start


def _first_full_month(day: date) -> date:
    if day.day == 1:
        return day
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _split(text: object) -> tuple[str, ...]:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ()
    return tuple(p.strip() for p in str(text).replace(";", ",").split(",") if p.strip())


def read_initiatives(store: Store) -> list[Initiative]:
    """Initiatives, one per id, in the order of their first start."""
    if not store.table_exists("initiatives"):
        return []
    columns = {c.lower() for c, _ in store.table_columns("initiatives")}
    extra = [c for c in ("measures", "expected") if c in columns]
    select = ", ".join(["initiative_id", "name", "started_on", "units", *extra])
    frame = store.frame(f"SELECT {select} FROM initiatives ORDER BY started_on, initiative_id")
    found: dict[str, Initiative] = {}
    for row in frame.to_dict("records"):
        key = str(row["initiative_id"])
        measures = _split(row.get("measures"))
        hopes = _split(row.get("expected"))
        expected: dict[str, Direction] = {}
        for measure, hope in zip(measures, hopes, strict=False):
            if hope.lower() in ("increase", "decrease"):
                expected[measure] = "increase" if hope.lower() == "increase" else "decrease"
        wave = Wave(pd.Timestamp(row["started_on"]).date(), _split(row.get("units")))
        if key in found:
            old = found[key]
            found[key] = Initiative(
                key,
                old.name,
                (*old.waves, wave),
                tuple(dict.fromkeys((*old.measures, *measures))) if old.measures else (),
                {**old.expected, **expected},
            )
        else:
            found[key] = Initiative(key, str(row["name"]), (wave,), measures, expected)
    return list(found.values())


def _wide(frame: pd.DataFrame, measure: str, source: str) -> Panel | None:
    """Monthly matrix; units missing any month of the common window are left out."""
    if frame.empty:
        return None
    frame = frame.assign(period=pd.to_datetime(frame["period"]).dt.to_period("M").dt.start_time)
    wide = frame.pivot_table(index="unit", columns="period", values="value", aggfunc="mean")
    wide = wide.sort_index(axis=1)
    full = wide.dropna(axis=0)
    if len(full) == 0 or wide.shape[1] < 6:
        return None
    return Panel(
        measure,
        tuple(str(u) for u in full.index),
        tuple(pd.Timestamp(p).date() for p in full.columns),
        full.to_numpy(dtype=float),
        source,
        dropped_units=len(wide) - len(full),
    )


def series_panels(store: Store) -> list[Panel]:
    if not store.table_exists("series"):
        return []
    frame = store.frame("SELECT unit, period, measure, value FROM series")
    panels = [
        _wide(group[["unit", "period", "value"]], str(measure), "series")
        for measure, group in frame.groupby("measure", sort=True)
    ]
    return [p for p in panels if p is not None]


def touchpoint_panels(store: Store, *, min_n: int) -> list[Panel]:
    """Monthly unit means of touchpoint ratings, one-touch resolution and end-to-end days.

    A unit-month is used only with at least ``min_n`` distinct clients behind it (the
    disclosure layer's rule: a cell's size is people, not contacts or needs; one client's
    many contacts are a cell of one), so no published effect rests on a small group.
    """
    if not store.table_exists("touchpoints"):
        return []
    columns = {c for c, _ in store.table_columns("touchpoints")}
    if "unit" not in columns:
        return []
    panels: list[Panel | None] = []
    ratings = []
    if store.table_exists("df_columns"):
        ratings = [
            str(r[0])
            for r in store.rows(
                "SELECT column_name FROM df_columns WHERE table_name = 'touchpoints' "
                "AND role = 'attribute' AND logical_type IN ('int', 'float') "
                "ORDER BY column_name"
            )
        ]
    for column in ratings:
        frame = store.frame(
            f"SELECT unit, CAST(date_trunc('month', started_at) AS DATE) AS period, "
            f"avg({quote(column)}) AS value FROM touchpoints WHERE unit IS NOT NULL "
            f"GROUP BY 1, 2 HAVING count(DISTINCT client_id) FILTER "
            f"(WHERE {quote(column)} IS NOT NULL) >= ?",
            [min_n],
        )
        panels.append(_wide(frame, column, "touchpoints"))
    if {"need_id", "resolved"} <= columns:
        # A need's unit is its first contact's (ties in time broken by touchpoint id).
        needs = (
            "WITH ranked AS (SELECT need_id, unit, client_id, started_at, resolved, "
            "row_number() OVER (PARTITION BY need_id ORDER BY started_at, touchpoint_id) AS rn "
            "FROM touchpoints "
            "WHERE need_id IS NOT NULL), needs AS (SELECT need_id, "
            "max(CASE WHEN rn = 1 THEN unit END) AS unit, "
            "max(CASE WHEN rn = 1 THEN client_id END) AS client_id, min(started_at) AS first_at, "
            "count(*) AS contacts, min(started_at) FILTER (WHERE resolved) AS resolved_at "
            "FROM ranked GROUP BY need_id) "
        )
        one_touch = store.frame(
            needs + "SELECT unit, CAST(date_trunc('month', first_at) AS DATE) AS period, "
            "avg(CASE WHEN contacts = 1 AND resolved_at IS NOT NULL THEN 1 ELSE 0 END) "
            "AS value FROM needs WHERE unit IS NOT NULL GROUP BY 1, 2 "
            "HAVING count(DISTINCT client_id) >= ?",
            [min_n],
        )
        panels.append(_wide(one_touch, "one_touch_rate", "touchpoints"))
        days = store.frame(
            needs + "SELECT unit, CAST(date_trunc('month', first_at) AS DATE) AS period, "
            "median(date_diff('second', first_at, resolved_at) / 86400.0) AS value "
            "FROM needs WHERE unit IS NOT NULL AND resolved_at IS NOT NULL "
            "GROUP BY 1, 2 HAVING count(DISTINCT client_id) >= ?",
            [min_n],
        )
        panels.append(_wide(days, "end_to_end_days", "touchpoints"))
    return [p for p in panels if p is not None]


def outcome_panels(store: Store, *, min_n: int) -> list[Panel]:
    """Outcome rates by enrolment-month cohort and the unit of each client's first contact."""
    needed = ("clients", "outcomes", "touchpoints")
    if not all(store.table_exists(t) for t in needed):
        return []
    client_columns = {c for c, _ in store.table_columns("clients")}
    touch_columns = {c for c, _ in store.table_columns("touchpoints")}
    if "enrolled_on" not in client_columns or "unit" not in touch_columns:
        return []
    # A client's unit is their first contact's, their outcome the latest measured; ties
    # broken by touchpoint id and by the larger value, so no engine's row order decides.
    frame = store.frame(
        "WITH first_unit AS (SELECT client_id, unit FROM (SELECT client_id, unit, "
        "row_number() OVER (PARTITION BY client_id ORDER BY started_at, touchpoint_id) AS rn "
        "FROM touchpoints) f WHERE rn = 1), last_value AS (SELECT client_id, outcome, value "
        "FROM (SELECT client_id, outcome, value, row_number() OVER (PARTITION BY client_id, "
        "outcome ORDER BY measured_on DESC NULLS LAST, value DESC NULLS LAST) AS rn "
        "FROM outcomes) v WHERE rn = 1) "
        "SELECT o.outcome, f.unit, CAST(date_trunc('month', c.enrolled_on) AS DATE) AS period, "
        "avg(o.value) AS value FROM last_value o JOIN clients c USING (client_id) "
        "JOIN first_unit f USING (client_id) WHERE f.unit IS NOT NULL "
        "GROUP BY 1, 2, 3 HAVING count(DISTINCT o.client_id) >= ?",
        [min_n],
    )
    panels = [
        _wide(group[["unit", "period", "value"]], f"{outcome} (by enrolment month)", "outcomes")
        for outcome, group in frame.groupby("outcome", sort=True)
    ]
    return [p for p in panels if p is not None]
