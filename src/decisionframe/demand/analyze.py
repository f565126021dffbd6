"""`demand`: classify, measure, attribute to internal customers, chart over time."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from decisionframe.config import DemandRules
from decisionframe.controlcharts import ControlChart
from decisionframe.demand import aggregates
from decisionframe.demand.charts import demand_charts
from decisionframe.demand.classify import TextClassifier, classify_demand
from decisionframe.errors import NotEstimableError
from decisionframe.ingest.load import Progress
from decisionframe.store import Store


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]) or out[column].dtype == object:
            out[column] = out[column].astype(str).where(out[column].notna(), None)
    return [
        {str(k): (None if pd.isna(v) else v) for k, v in row.items()}
        for row in out.to_dict(orient="records")
    ]


@dataclass(frozen=True)
class DemandResult:
    """Failure demand at every touchpoint, who causes it, how long needs take, and charts."""

    overall: dict[str, float]
    rules_fired: pd.DataFrame
    by_channel: pd.DataFrame
    by_unit: pd.DataFrame
    by_reason: pd.DataFrame
    by_week: pd.DataFrame
    one_touch: dict[str, float]
    end_to_end: pd.DataFrame
    end_to_end_histogram: pd.DataFrame
    internal_customers: pd.DataFrame
    handoffs: pd.DataFrame
    text_classifier: TextClassifier | None
    charts: tuple[ControlChart, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        contacts, unknown = int(self.overall["contacts"]), int(self.overall["unknown"])
        if unknown == contacts:
            return (
                f"none of {contacts:,} contacts could be classified as value or failure "
                "demand: the data has neither reason text nor need ids"
            )
        top = self.internal_customers
        cause = str(top.iloc[0]["backend_unit"]) if len(top) else "none"
        signals = sum(c.has_signal for c in self.charts)
        one_touch = (
            f"{self.one_touch['rate']:.1%}" if self.one_touch["needs"] else "unknown (no need ids)"
        )
        untold = f" ({unknown:,} could not be classified)" if unknown else ""
        return (
            f"failure demand {self.overall['failure_share']:.1%} of {contacts:,} contacts"
            f"{untold}; one-touch resolution {one_touch}; main back-end cause: {cause}; "
            f"{signals} of {len(self.charts)} charts show a signal"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "rules_fired": _records(self.rules_fired),
            "by_channel": _records(self.by_channel),
            "by_unit": _records(self.by_unit),
            "by_reason": _records(self.by_reason),
            "by_week": _records(self.by_week),
            "one_touch": self.one_touch,
            "end_to_end": _records(self.end_to_end),
            "end_to_end_histogram": _records(self.end_to_end_histogram),
            "internal_customers": _records(self.internal_customers),
            "handoffs": _records(self.handoffs),
            "text_classifier": asdict(self.text_classifier) if self.text_classifier else None,
            "charts": [c.to_dict() for c in self.charts],
        }


def analyze_demand(
    store: Store,
    *,
    rules: DemandRules,
    min_cell_size: int = 11,
    progress: Progress | None = None,
) -> DemandResult:
    """Run the whole demand analysis in the store (all heavy work is SQL).

    ``progress(step, done, total)`` is called before each of the three heavy steps.
    """
    if (
        not store.table_exists("touchpoints")
        or not store.rows("SELECT count(*) FROM touchpoints")[0][0]
    ):
        raise NotEstimableError(
            "no touchpoints loaded. Hint: add a `touchpoints` source and run import."
        )
    report = progress or (lambda step, done, total: None)
    report("classifying every contact", 0, 3)
    classifier = classify_demand(store, rules)
    report("summarizing by day, unit, reason and need", 1, 3)
    aggregates.build_summaries(store)
    report("measures and control charts", 2, 3)
    channel_people = aggregates.people_by(store, "channel")
    people = {d: aggregates.people_by(store, d) for d in ("unit", "waiting_on")}
    internal = aggregates.internal_customers(store)
    internal = aggregates.with_people(
        internal.assign(waiting_on=internal["backend_unit"]), people["waiting_on"], "waiting_on"
    ).drop(columns=["waiting_on"])
    result = DemandResult(
        overall={**aggregates.overall(store), **aggregates.margins(channel_people)},
        rules_fired=aggregates.rules_fired(store),
        by_channel=aggregates.with_people(
            aggregates.failure_share_by(store, "channel"), channel_people, "channel"
        ),
        by_unit=aggregates.with_people(
            aggregates.failure_share_by(store, "unit"), people["unit"], "unit"
        ),
        by_reason=aggregates.failure_share_by(store, "reason", limit=20),
        by_week=aggregates.failure_share_by(store, "week"),
        one_touch=aggregates.one_touch_resolution(store),
        end_to_end=aggregates.end_to_end(store),
        end_to_end_histogram=aggregates.end_to_end_histogram(store),
        internal_customers=internal,
        handoffs=aggregates.handoffs(store),
        text_classifier=classifier,
        charts=tuple(
            demand_charts(store, min_n=min_cell_size, warm_up_days=rules.repeat_window_days)
        ),
    )
    report("done", 3, 3)
    return result
