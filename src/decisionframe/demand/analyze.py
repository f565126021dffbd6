"""`demand`: classify, measure, attribute to internal customers, chart over time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd

from decisionframe.config import DemandRules
from decisionframe.controlcharts import ControlChart
from decisionframe.demand import aggregates
from decisionframe.demand.charts import demand_charts
from decisionframe.demand.classify import TextClassifier, classify_demand, web_label_count
from decisionframe.errors import NotEstimableError
from decisionframe.ingest.load import Progress
from decisionframe.results import Frame, Result
from decisionframe.store import Store, nothing_imported


@dataclass(frozen=True, eq=False)
class DemandResult(Result):
    """Failure demand at every touchpoint, who causes it, how long needs take, and charts.

    The tables are DataFrames; saved, they are lists of records, and dates in them come
    back as ISO strings.
    """

    kind: ClassVar[str] = "demand"
    overall: dict[str, float]
    rules_fired: Frame
    by_channel: Frame
    by_unit: Frame
    by_reason: Frame
    by_week: Frame
    one_touch: dict[str, float]
    end_to_end: Frame
    end_to_end_histogram: Frame
    internal_customers: Frame
    handoffs: Frame
    text_classifier: TextClassifier | None
    charts: tuple[ControlChart, ...] = field(default_factory=tuple)
    # Contacts labelled in the web app's queue that this run learnt from (df_labels; the
    # imported demand_label column is counted in text_classifier.labelled only).
    web_labels: int = 0

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

    def to_frame(self) -> pd.DataFrame:
        """Failure demand by channel (value, failure, unknown contacts and the share)."""
        return self.by_channel


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
            "nothing is loaded yet. Hint: run `decisionframe import` first."
            if nothing_imported(store)
            else "no touchpoints loaded. Hint: add a `touchpoints` source and run import."
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
        by_reason=aggregates.with_people(
            aggregates.failure_share_by(store, "reason", limit=20),
            aggregates.people_by_reason(store),
            "reason",
        ),
        by_week=aggregates.failure_share_by(store, "week"),
        one_touch=aggregates.one_touch_resolution(store),
        end_to_end=aggregates.end_to_end(store),
        end_to_end_histogram=aggregates.end_to_end_histogram(store),
        internal_customers=internal,
        handoffs=aggregates.handoffs(store),
        text_classifier=classifier,
        web_labels=classifier.web_labels if classifier is not None else web_label_count(store),
        charts=tuple(
            demand_charts(store, min_n=min_cell_size, warm_up_days=rules.repeat_window_days)
        ),
    )
    report("done", 3, 3)
    return result
