"""Classify every touchpoint as value or failure demand, in one SQL pass over the store.

Failure demand is demand caused by a failure to do something, or to do it right, for the
client (Seddon): repeat contacts for a need an earlier contact did not resolve, chasing
progress, correcting errors. Rules, in order (the first that fires wins):

1. progress chasing: the reason text matches a configured chasing pattern;
2. error correction: the reason text matches a configured error pattern;
3. repeat, unresolved need: an earlier contact for the same ``need_id`` did not resolve it;
4. reopened need: an earlier contact for the same need claimed to resolve it;
5. repeat, same client and reason: no ``need_id``, and the same client contacted us for the
   same reason within ``repeat_window_days`` without it being resolved;
6. first contact for a need (value);
7. new request (value): no need id and no unresolved earlier contact for the same reason;
8. unknown: no reason and no need id, the data cannot tell.

Where staff-labelled examples exist (a ``demand_label`` column of 'value'/'failure' on some
touchpoints), a TF-IDF + logistic regression classifier of the reason text is trained on
them and decides rows left as rules 7 and 8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from decisionframe.config import DemandRules
from decisionframe.store import Store

DEMAND_TABLE = "df_demand"
LABEL_COLUMN = "demand_label"
WEAK_RULES = ("new request", "unknown")


def _pattern(words: list[str]) -> str:
    escaped = "|".join(re.escape(w.lower()) for w in words if w.strip())
    return escaped.replace("'", "''") or "a^"


def classification_sql(rules: DemandRules, *, has_label: bool) -> str:
    """The CREATE TABLE statement for the per-touchpoint classification."""
    window = int(rules.repeat_window_days)
    label = f"{LABEL_COLUMN}" if has_label else "CAST(NULL AS VARCHAR)"
    # The text rules run once per distinct reason (a few hundred at most), not once per
    # touchpoint: regular expressions over ten million strings would dominate the query.
    return f"""
CREATE OR REPLACE TEMP TABLE {DEMAND_TABLE} AS
WITH reasons AS (
    SELECT reason, reason_key, CASE
        WHEN regexp_matches(reason_key, '{_pattern(rules.progress_chasing)}')
            THEN 'progress chasing'
        WHEN regexp_matches(reason_key, '{_pattern(rules.error_correction)}')
            THEN 'error correction' END AS text_rule
    FROM (SELECT reason, lower(trim(reason)) AS reason_key
          FROM (SELECT DISTINCT reason FROM touchpoints WHERE reason IS NOT NULL))
), t AS NOT MATERIALIZED (
    -- Inlined where used: materializing ten million rows costs more than joining again.
    SELECT p.touchpoint_id, p.client_id, p.started_at, p.channel, p.unit, p.need_id,
           p.resolved, p.waiting_on, p.handle_minutes, p.cost, r.reason_key, r.text_rule,
           lower(trim(CAST({label} AS VARCHAR))) AS staff_label
    FROM touchpoints p LEFT JOIN reasons r ON p.reason = r.reason
), need_rows AS (
    -- A contact with a need id looks back along its need only.
    SELECT *,
        lag(resolved) OVER need_order AS prev_resolved,
        lag(started_at) OVER need_order AS prev_at
    FROM t WHERE need_id IS NOT NULL
    WINDOW need_order AS (PARTITION BY need_id ORDER BY started_at, touchpoint_id)
), open_groups AS (
    SELECT DISTINCT client_id, reason_key FROM t WHERE need_id IS NULL
), other_rows AS (
    -- A contact without one looks back at any contact of the same client and reason, so
    -- only the (client, reason) groups that hold such a contact need ordering.
    SELECT * FROM (
        SELECT *,
            lag(resolved) OVER reason_order AS prev_resolved,
            lag(started_at) OVER reason_order AS prev_at
        FROM t SEMI JOIN open_groups g
            ON t.client_id = g.client_id AND t.reason_key IS NOT DISTINCT FROM g.reason_key
        WINDOW reason_order AS (
            PARTITION BY t.client_id, t.reason_key ORDER BY started_at, touchpoint_id)
    ) WHERE need_id IS NULL
), w AS (
    -- Two small sorts instead of two sorts of the whole table: the windows dominate.
    SELECT * FROM need_rows UNION ALL SELECT * FROM other_rows
), r AS (
    SELECT *, CASE
        WHEN text_rule IS NOT NULL THEN text_rule
        WHEN need_id IS NOT NULL AND prev_at IS NOT NULL
             AND NOT coalesce(prev_resolved, false) THEN 'repeat: unresolved need'
        WHEN need_id IS NOT NULL AND prev_at IS NOT NULL THEN 'reopened need'
        WHEN need_id IS NULL AND reason_key IS NOT NULL AND prev_at IS NOT NULL
             AND prev_at >= started_at - INTERVAL {window} DAY
             AND NOT coalesce(prev_resolved, false) THEN 'repeat: same client and reason'
        WHEN need_id IS NOT NULL THEN 'first contact for need'
        WHEN reason_key IS NOT NULL THEN 'new request'
        ELSE 'unknown' END AS rule
    FROM w
)
SELECT touchpoint_id, client_id, started_at, channel, unit, reason_key, need_id,
       resolved, waiting_on, handle_minutes, cost, staff_label, rule,
       CASE WHEN rule IN ('first contact for need', 'new request') THEN 'value'
            WHEN rule = 'unknown' THEN 'unknown' ELSE 'failure' END AS demand
FROM r
"""


@dataclass(frozen=True)
class TextClassifier:
    """Cross-validated accuracy of the reason-text classifier and how many rows it decided."""

    trained_on: int
    cv_accuracy: float
    decided: int


def _train_text_classifier(store: Store) -> TextClassifier | None:
    labelled = store.frame(
        f"SELECT coalesce(reason_key, '') AS text, staff_label FROM {DEMAND_TABLE} "
        "WHERE staff_label IN ('value', 'failure')"
    )
    if len(labelled) < 30 or labelled["staff_label"].nunique() < 2:
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=1), LogisticRegression(max_iter=1000)
    )
    folds = min(5, int(labelled["staff_label"].value_counts().min()))
    accuracy = (
        float(cross_val_score(model, labelled["text"], labelled["staff_label"], cv=folds).mean())
        if folds >= 2
        else float("nan")
    )
    model.fit(labelled["text"], labelled["staff_label"])
    weak = store.frame(
        f"SELECT DISTINCT coalesce(reason_key, '') AS text FROM {DEMAND_TABLE} "
        f"WHERE rule IN {WEAK_RULES}"
    )
    decided = 0
    if len(weak):
        weak["predicted"] = model.predict(weak["text"])
        store.register_frame("df_text_predictions", weak)
        decided = int(
            store.rows(
                f"SELECT count(*) FROM {DEMAND_TABLE} d JOIN df_text_predictions p "
                f"ON coalesce(d.reason_key, '') = p.text WHERE d.rule IN {WEAK_RULES}"
            )[0][0]
        )
        store.execute(
            f"UPDATE {DEMAND_TABLE} SET demand = p.predicted, rule = 'text classifier' "
            f"FROM df_text_predictions p WHERE coalesce({DEMAND_TABLE}.reason_key, '') = p.text "
            f"AND {DEMAND_TABLE}.rule IN {WEAK_RULES}"
        )
        store.unregister("df_text_predictions")
    return TextClassifier(len(labelled), accuracy, decided)


def classify_demand(store: Store, rules: DemandRules) -> TextClassifier | None:
    """Build the temporary ``df_demand`` table; train the text classifier if labels exist."""
    columns = {name for name, _ in store.table_columns("touchpoints")}
    has_label = LABEL_COLUMN in columns
    store.execute(classification_sql(rules, has_label=has_label))
    return _train_text_classifier(store) if has_label else None
