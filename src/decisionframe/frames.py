"""Per-client analysis frames, built by SQL in the store from the theory's measure bindings.

One row per client. Each client's clock starts at ``enrolled_on`` (or the first contact
when enrolment is unknown): touchpoint measures aggregate contacts within ``within_days``
of that anchor, outcome measures take the value measured closest to ``at_day`` days after
it (within ``OUTCOME_TOLERANCE_DAYS``), or the only/latest value when no day is given
(two values on the same day: the larger, so that no engine's row order decides).
Missing values are never filled: rows are dropped and the drops are counted by reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from decisionframe.errors import NotEstimableError
from decisionframe.store import Store, quote
from decisionframe.theory.bindings import Binding, bindings
from decisionframe.theory.model import Theory

OUTCOME_TOLERANCE_DAYS = 30

_AGGREGATES = {
    "mean": "avg(CAST({c} AS DOUBLE))",
    "sum": "sum(CAST({c} AS DOUBLE))",
    "count": "count({c})",
    "min": "min({c})",
    "max": "max({c})",
    "share_true": "avg(CASE WHEN {c} THEN 1.0 WHEN NOT {c} THEN 0.0 END)",
}
# first/last: the value of the earliest/latest contact in the window, ties in time broken by
# touchpoint id (a window with a full order, not arg_min: that has no tie-break and is not
# in every engine).
_ORDERED = {"first": "ASC", "last": "DESC"}


@dataclass(frozen=True)
class AnalysisFrame:
    """Complete rows for the requested nodes, and how many clients were dropped and why."""

    data: pd.DataFrame
    n_clients: int
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def n_used(self) -> int:
        return len(self.data)

    def summary(self) -> str:
        drops = "; ".join(f"{k}: {v:,}" for k, v in self.dropped.items() if v) or "none"
        return f"{self.n_used:,} of {self.n_clients:,} clients used; dropped {drops}"


def _anchor_cte(has_touchpoints: bool) -> str:
    if not has_touchpoints:
        return "anchor AS (SELECT client_id, enrolled_on AS anchor_day FROM clients)"
    return (
        "anchor AS (SELECT c.client_id, COALESCE(c.enrolled_on, f.first_day) AS anchor_day "
        "FROM clients c LEFT JOIN (SELECT client_id, CAST(min(started_at) AS DATE) AS first_day "
        "FROM touchpoints GROUP BY client_id) f USING (client_id))"
    )


def _touchpoint_cte(name: str, b: Binding) -> str:
    column = f"t.{quote(b.column or '')}"
    window = ""
    if b.within_days is not None:
        window = f"AND t.started_at < a.anchor_day + INTERVAL {int(b.within_days)} DAY"
    source = (
        f"FROM touchpoints t JOIN anchor a USING (client_id) "
        f"WHERE t.started_at >= a.anchor_day {window}"
    )
    if b.aggregate in _ORDERED:
        way = _ORDERED[b.aggregate]
        return (
            f"{name} AS (SELECT client_id, v FROM (SELECT t.client_id, {column} AS v, "
            f"row_number() OVER (PARTITION BY t.client_id ORDER BY t.started_at {way}, "
            f"t.touchpoint_id {way}) AS rn {source} AND {column} IS NOT NULL) o WHERE rn = 1)"
        )
    value = _AGGREGATES[b.aggregate].format(c=column)
    return f"{name} AS (SELECT t.client_id, {value} AS v {source} GROUP BY t.client_id)"


_THEME_AGGREGATES = {
    "any": "max(hit)",
    "max": "max(hit)",
    "mean": "avg(hit)",
    "share_true": "avg(hit)",
    "sum": "sum(hit)",
    "count": "sum(hit)",
}


def _theme_cte(name: str, b: Binding) -> tuple[str, list[object]]:
    """Per client: whether (``any``), how often (``sum``) or in what share of comments
    (``mean``) a feedback theme was voiced within ``within_days`` of the anchor. Clients
    who left no comment in the window are missing, not zero: silence is not evidence."""
    from decisionframe.voice.analyze import THEMES_TABLE

    value = _THEME_AGGREGATES.get(b.aggregate)
    if value is None:
        raise NotEstimableError(
            f"aggregate '{b.aggregate}' of theme node '{b.node}' is not for themes. Hint: "
            f"use one of {', '.join(_THEME_AGGREGATES)}."
        )
    window = ""
    if b.within_days is not None:
        window = f"AND f.given_on < a.anchor_day + INTERVAL {int(b.within_days)} DAY"
    sql = (
        f"{name} AS (SELECT client_id, CAST({value} AS DOUBLE) AS v FROM (SELECT f.client_id, "
        "CASE WHEN h.feedback_id IS NULL THEN 0.0 ELSE 1.0 END AS hit FROM feedback f "
        "JOIN anchor a USING (client_id) LEFT JOIN (SELECT DISTINCT feedback_id FROM "
        f"{THEMES_TABLE} WHERE theme = ?) h ON h.feedback_id = CAST(f.feedback_id AS VARCHAR) "
        f"WHERE CAST(f.given_on AS DATE) >= a.anchor_day {window}) hits GROUP BY client_id)"
    )
    return sql, [b.theme]


def check_themes(store: Store, theory: Theory) -> None:
    """Theme measures need `voice` to have run and to know the theme."""
    from decisionframe.voice.analyze import THEMES_TABLE

    wanted = {b.node: b.theme for b in bindings(theory).values() if b.theme}
    if not wanted:
        return
    if not store.table_exists(THEMES_TABLE):
        raise NotEstimableError(
            "theme measures need the feedback's themes. Hint: run `decisionframe voice` first."
        )
    known = {str(r[0]) for r in store.rows(f"SELECT DISTINCT theme FROM {THEMES_TABLE}")}
    for node, theme in wanted.items():
        if theme not in known:
            raise NotEstimableError(
                f"node '{node}' is measured by theme '{theme}', which `voice` did not find. "
                "Hint: name it under `voice: themes:` in decisionframe.yaml (guided themes keep "
                "their id) or use a theme id from `decisionframe voice --json`."
            )


def _outcome_cte(name: str, b: Binding) -> tuple[str, list[object]]:
    if b.at_day is None:
        order = "o.measured_on DESC NULLS LAST, o.value DESC NULLS LAST"
        where = ""
    else:
        distance = (
            f"abs(date_diff('day', a.anchor_day + INTERVAL {int(b.at_day)} DAY, o.measured_on))"
        )
        order = f"{distance}, o.measured_on DESC, o.value DESC NULLS LAST"
        where = f"AND {distance} <= {OUTCOME_TOLERANCE_DAYS}"
    sql = (
        f"{name} AS (SELECT client_id, v FROM (SELECT o.client_id, o.value AS v, row_number() "
        f"OVER (PARTITION BY o.client_id ORDER BY {order}) AS rn FROM outcomes o JOIN anchor a "
        f"USING (client_id) WHERE o.outcome = ? {where}) r WHERE rn = 1)"
    )
    return sql, [b.outcome]


def client_frame(store: Store, theory: Theory, nodes: Sequence[str]) -> pd.DataFrame:
    """One row per client with a column per requested (measured) node; NaN where missing."""
    bound = bindings(theory)
    unmeasured = [n for n in nodes if n not in bound]
    if unmeasured:
        raise NotEstimableError(
            f"{', '.join(unmeasured)} has no measure. Hint: add `measure:` to the node in "
            "theory.yaml, or run `decisionframe plan` for what to collect."
        )
    ctes = [_anchor_cte(store.table_exists("touchpoints"))]
    params: list[object] = []
    selects, joins = ["a.client_id"], []
    for index, node in enumerate(nodes):
        b = bound[node]
        if b.table == "clients":
            selects.append(f"c.{quote(b.column or node)} AS {quote(node)}")
            continue
        cte = f"m{index}"
        if b.table == "outcomes":
            sql, extra = _outcome_cte(cte, b)
            ctes.append(sql)
            params += extra
        elif b.theme is not None:
            sql, extra = _theme_cte(cte, b)
            ctes.append(sql)
            params += extra
        else:
            ctes.append(_touchpoint_cte(cte, b))
        selects.append(f"{cte}.v AS {quote(node)}")
        joins.append(f"LEFT JOIN {cte} USING (client_id)")
    sql = (
        f"WITH {', '.join(ctes)} SELECT {', '.join(selects)} FROM anchor a "
        f"JOIN clients c USING (client_id) {' '.join(joins)} ORDER BY a.client_id"
    )
    return store.frame(sql, params)


def build_frame(
    store: Store,
    theory: Theory,
    *,
    outcome: str,
    treatment: str,
    covariates: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> AnalysisFrame:
    """Complete-case frame for one effect; drops are attributed in order of importance.

    ``extra`` columns (for example segments) are carried along but never cause a drop.
    """
    nodes = list(dict.fromkeys([outcome, treatment, *covariates, *extra]))
    raw = client_frame(store, theory, nodes)
    dropped: dict[str, int] = {}
    keep = pd.Series(True, index=raw.index)
    reasons = [
        (outcome, f"no outcome yet ({outcome})"),
        (treatment, f"missing treatment ({treatment})"),
    ]
    reasons += [(c, f"missing covariate ({c})") for c in covariates]
    for column, reason in reasons:
        missing = keep & raw[column].isna()
        dropped[reason] = int(missing.sum())
        keep &= ~missing
    return AnalysisFrame(raw[keep].reset_index(drop=True), len(raw), dropped)
