"""Classify every touchpoint as value or failure demand, in SQL inside the store.

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
touchpoints, or labels given in the web app's labelling queue, ``df_labels``), a TF-IDF +
logistic regression classifier of the reason text is trained on them and decides the rows
the rules could only call "new request": they become rule 9 or 10, "text classifier".
Rows with no reason text stay unknown: no classifier can read text that is not there.

How it is stored, and why: the look-back windows are the whole cost, and a window drags
every column it is given through its sort (carrying the measure columns through made it
twice as slow). So the windows see only what they need (row id, keys, time, resolved,
unit) and produce one small code per touchpoint, kept with its row id in
``df_demand_rules``. ``df_demand`` is a view joining the codes back to the touchpoints by
row id; the measures read a cube built once from the same join (see ``aggregates``), so no
wide copy of ten million rows is ever made. The row id is DuckDB's; another store would
use its own (PostgreSQL's ctid) or a surrogate key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from decisionframe.config import DemandRules
from decisionframe.store import Store

if TYPE_CHECKING:  # scikit-learn is imported only when staff labels exist
    from sklearn.pipeline import Pipeline

DEMAND_TABLE = "df_demand"
RULES_TABLE = "df_demand_rules"
PREDICTIONS_TABLE = "df_demand_text_predictions"
LABEL_COLUMN = "demand_label"

# Code -> (rule, demand). Codes are stored per touchpoint; names live here only. Codes
# run 1..n without gaps: SQL lists are 1-based and ``rule_sql`` indexes one by the code.
RULES: dict[int, tuple[str, str]] = {
    1: ("progress chasing", "failure"),
    2: ("error correction", "failure"),
    3: ("repeat: unresolved need", "failure"),
    4: ("reopened need", "failure"),
    5: ("repeat: same client and reason", "failure"),
    6: ("first contact for need", "value"),
    7: ("new request", "value"),
    8: ("unknown", "unknown"),
    9: ("text classifier", "value"),
    10: ("text classifier", "failure"),
}
_TEXT_DECIDED = (9, 10)


class ClassificationError(RuntimeError):
    """Not every touchpoint got exactly one code (a bug, not bad data)."""


def _pattern(words: list[str]) -> str:
    return "|".join(re.escape(w.lower()) for w in words if w.strip()) or "a^"


def classification_params(rules: DemandRules) -> list[str]:
    """The values for ``classification_sql``'s two ``?`` (configured words are never spliced
    into SQL): the progress-chasing and the error-correction pattern."""
    return [_pattern(rules.progress_chasing), _pattern(rules.error_correction)]


def _reasons_sql(rules: DemandRules, *, with_predictions: bool) -> str:
    """One row per distinct reason: its key, text rule and (if trained) the predicted class.

    The text rules run once per distinct reason (a few hundred at most), not once per
    touchpoint: regular expressions over ten million strings would dominate the query.
    """
    predicted, source = "CAST(NULL AS VARCHAR)", ""
    if with_predictions:
        predicted = "p.predicted"
        source = f"LEFT JOIN {PREDICTIONS_TABLE} p ON p.text = reason_key"
    return f"""
    SELECT reason, reason_key,
        -- One code per reason key: " Claim " and "claim" are the same reason.
        (dense_rank() OVER (ORDER BY reason_key))::UINTEGER AS reason_code,
        (CASE WHEN regexp_matches(reason_key, CAST(? AS VARCHAR)) THEN 1
              WHEN regexp_matches(reason_key, CAST(? AS VARCHAR)) THEN 2
         END)::UTINYINT AS text_rule,
        (CASE {predicted} WHEN 'value' THEN 9 WHEN 'failure' THEN 10 END)::UTINYINT
            AS text_prediction
    FROM (SELECT reason, lower(trim(reason)) AS reason_key
          FROM (SELECT DISTINCT reason FROM touchpoints WHERE reason IS NOT NULL) d) k
    {source}
    """


def classification_sql(rules: DemandRules, *, with_predictions: bool = False) -> str:
    """The CREATE TABLE statement for the per-touchpoint rule codes (row id, code, hand-off).

    Ties in time within a need or (client, reason) are broken by touchpoint id, so the
    result does not depend on the order rows were loaded in.
    """
    window = int(rules.repeat_window_days)
    weak = "coalesce(text_prediction, {code})"
    return f"""
CREATE OR REPLACE TEMP TABLE {RULES_TABLE} AS
WITH reasons AS ({_reasons_sql(rules, with_predictions=with_predictions)}
), need_rows AS (
    -- A contact with a need id looks back along its need only.
    -- The same pass notes hand-offs: the need's previous contact was with another unit.
    SELECT rid, (CASE WHEN text_rule IS NOT NULL THEN text_rule
                      WHEN prev_at IS NULL THEN 6
                      WHEN NOT coalesce(prev_resolved, false) THEN 3 ELSE 4 END)::UTINYINT
               AS code,
           CASE WHEN prev_unit <> unit THEN prev_unit END AS handoff_from
    FROM (
        SELECT p.rowid AS rid, r.text_rule, p.unit,
               lag(p.resolved) OVER need_order AS prev_resolved,
               lag(p.started_at) OVER need_order AS prev_at,
               lag(p.unit) OVER need_order AS prev_unit
        FROM touchpoints p LEFT JOIN reasons r ON p.reason = r.reason
        WHERE p.need_id IS NOT NULL
        WINDOW need_order AS (PARTITION BY p.need_id ORDER BY p.started_at, p.touchpoint_id)
    ) w
), t AS NOT MATERIALIZED (
    SELECT p.rowid AS rid, p.touchpoint_id, p.client_id, p.need_id, p.started_at,
           p.resolved, coalesce(r.reason_code, 0) AS reason_code, r.text_rule,
           r.text_prediction
    FROM touchpoints p LEFT JOIN reasons r ON p.reason = r.reason
), open_groups AS (
    SELECT DISTINCT client_id, reason_code FROM t WHERE need_id IS NULL
), other_rows AS (
    -- A contact without a need id looks back at any contact of the same client and
    -- reason, so only the (client, reason) groups that hold such a contact are ordered.
    SELECT rid, (CASE
        WHEN text_rule IS NOT NULL THEN text_rule
        WHEN reason_code > 0 AND prev_at >= started_at - INTERVAL {window} DAY
             AND NOT coalesce(prev_resolved, false) THEN 5
        WHEN reason_code > 0 THEN {weak.format(code=7)}
        ELSE 8 END)::UTINYINT AS code, CAST(NULL AS VARCHAR) AS handoff_from
    FROM (
        SELECT t.rid, t.need_id, t.started_at, t.reason_code, t.text_rule, t.text_prediction,
               lag(t.resolved) OVER reason_order AS prev_resolved,
               lag(t.started_at) OVER reason_order AS prev_at
        FROM t SEMI JOIN open_groups g
            ON t.client_id = g.client_id AND t.reason_code = g.reason_code
        WINDOW reason_order AS (
            PARTITION BY t.client_id, t.reason_code ORDER BY t.started_at, t.touchpoint_id)
    ) w
    WHERE need_id IS NULL
)
SELECT * FROM need_rows UNION ALL SELECT * FROM other_rows
"""


def _sql_case(code: str, names: dict[int, str]) -> str:
    # A CASE, not a list indexed by the code: lists are 1-based in DuckDB and 0-based in
    # Spark. The names are this module's constants, never data.
    whens = " ".join(f"WHEN {c} THEN '{name}'" for c, name in sorted(names.items()))
    return f"(CASE {code} {whens} END)"


def rule_sql(code: str) -> str:
    """SQL naming the rule of a code column."""
    return _sql_case(code, {c: rule for c, (rule, _) in RULES.items()})


def demand_sql(code: str) -> str:
    """SQL giving the demand class ('value', 'failure', 'unknown') of a code column."""
    return _sql_case(code, {c: demand for c, (_, demand) in RULES.items()})


def _view_sql() -> str:
    """``df_demand``: the touchpoints with their rule and demand class, contact by contact.

    The measures do not read it (they read the cube); it is there for reading single
    contacts in the same session: the tests, and anyone's own SQL after ``classify_demand``.
    """
    return f"""
CREATE OR REPLACE TEMP VIEW {DEMAND_TABLE} AS
SELECT t.touchpoint_id, t.client_id, t.started_at, t.channel, t.unit,
       lower(trim(t.reason)) AS reason_key, t.need_id, t.resolved, t.waiting_on,
       t.handle_minutes, t.cost, r.code, r.handoff_from,
       {rule_sql("r.code")} AS rule, {demand_sql("r.code")} AS demand
FROM touchpoints t JOIN {RULES_TABLE} r ON r.rid = t.rowid
"""


def _check_complete(store: Store) -> None:
    """Every touchpoint gets exactly one code: rows with and without a need id, disjoint."""
    codes, touchpoints = store.rows(
        f"SELECT (SELECT count(*) FROM {RULES_TABLE}), (SELECT count(*) FROM touchpoints)"
    )[0]
    if codes != touchpoints:
        raise ClassificationError(
            f"{codes} demand codes for {touchpoints} touchpoints. This is a bug in "
            "decisionframe, not in your data: please report it with your DuckDB version."
        )


@dataclass(frozen=True)
class TextClassifier:
    """The reason-text classifier trained on staff labels, and how far to trust it.

    ``labelled`` touchpoints carry a staff label, ``trained_on`` of them were used;
    ``web_labels`` of the labelled were labelled in the web app's queue (``df_labels``);
    ``cv_accuracy`` is the classifier's cross-validated accuracy on those;
    ``rules_agreement`` is how often the rules (before the classifier) agree with staff
    on the same touchpoints, so the two can be compared; ``decided`` counts touchpoints
    whose class the classifier set.
    """

    labelled: int
    trained_on: int
    cv_accuracy: float
    rules_agreement: float
    decided: int
    web_labels: int = 0  # saved runs from before the web app have none


MAX_TRAINING_LABELS = 5_000
MIN_TRAINING_LABELS = 30


def web_labels(store: Store) -> pd.DataFrame:
    """Contacts labelled in the web app's queue, one class each (the labellers' majority;
    see ``labels.records.contact_consensus``): columns item_id, label."""
    from decisionframe.labels.records import CONTACT, contact_consensus, latest_labels

    return contact_consensus(latest_labels(store, CONTACT))


def _labelled(store: Store, *, imported: bool) -> tuple[pd.DataFrame, int, int]:
    """Staff-labelled touchpoints with reason text (at most 5,000), how many there are, and
    how many of them were labelled in the web app.

    Two sources: the imported ``demand_label`` column (``imported``) and the labels given
    in the web app's queue (``df_labels``). Where both label a contact the web label wins:
    it is newer and was given by a person looking at that contact.

    Reason texts are short and repeat a lot: 5,000 examples teach the classifier what it
    can learn (on the simulator its cross-validated accuracy stayed between 75% and 77%
    from 1,000 to 6,000 examples), while cross-validating on 200,000 (a 2% audit of ten
    million contacts) would take longer than the whole rest of the classification. The
    sample is the same on every run and on every engine (ordered by the MD5 of the touchpoint
    id: engines' own ``hash`` functions differ); web labels come first, since staff gave
    them to the contacts the classifier was least sure of.
    """
    column = f"lower(trim(CAST({LABEL_COLUMN} AS VARCHAR)))" if imported else "NULL"
    web = web_labels(store)
    if not imported and not len(web):
        return pd.DataFrame(columns=["rid", "text", "label", "from_web"]), 0, 0
    join, label, from_web = "", f"CAST({column} AS VARCHAR)", "false"
    if len(web):
        store.register_frame("df_web_labels_frame", web)
        join = "LEFT JOIN df_web_labels_frame w ON w.item_id = CAST(t.touchpoint_id AS VARCHAR)"
        label, from_web = f"coalesce(w.label, {label})", "w.label IS NOT NULL"
    source = (
        f"SELECT t.rowid AS rid, t.touchpoint_id, lower(trim(t.reason)) AS text, "
        f"{label} AS label, {from_web} AS from_web FROM touchpoints t {join} "
        "WHERE t.reason IS NOT NULL"
    )
    where = "WHERE label IN ('value', 'failure')"
    try:
        total, web_total = store.rows(
            f"SELECT count(*), coalesce(sum(from_web::INT), 0) FROM ({source}) s {where}"
        )[0]
        sample = store.frame(
            f"SELECT rid, text, label, from_web FROM ({source}) s {where} "
            "ORDER BY from_web DESC, md5(CAST(touchpoint_id AS VARCHAR)), touchpoint_id "
            f"LIMIT {MAX_TRAINING_LABELS}"
        )
    finally:
        if len(web):
            store.unregister("df_web_labels_frame")
    return sample, int(total), int(web_total)


def web_label_count(store: Store) -> int:
    """How many contacts with reason text carry a class from the web app's queue: what the
    next demand run can learn from them (the run's ``web_labels``)."""
    columns = {name for name, _ in store.table_columns("touchpoints")}
    return _labelled(store, imported=LABEL_COLUMN in columns)[2]


def training_labels(store: Store) -> pd.DataFrame:
    """What the text classifier learns from (imported and web labels, at most 5,000):
    columns rid, text, label, from_web. The labelling queue fits the same model on it."""
    columns = {name for name, _ in store.table_columns("touchpoints")}
    return _labelled(store, imported=LABEL_COLUMN in columns)[0]


def can_train(labelled: pd.DataFrame) -> bool:
    """At least 30 labelled reasons, of both classes: fewer cannot train the classifier."""
    return len(labelled) >= MIN_TRAINING_LABELS and labelled["label"].nunique() >= 2


def text_pipeline() -> Pipeline:
    """The reason-text classifier, unfitted: TF-IDF of words and word pairs + logistic
    regression (the same model in the demand run and in the labelling queue)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=1), LogisticRegression(max_iter=1000)
    )


def _fit_text_classifier(labelled: pd.DataFrame) -> tuple[Pipeline, float] | None:
    """TF-IDF + logistic regression on the reason text; None when labels cannot train it."""
    if not can_train(labelled):
        return None
    from sklearn.model_selection import cross_val_score

    model = text_pipeline()
    folds = min(5, int(labelled["label"].value_counts().min()))
    accuracy = (
        float(cross_val_score(model, labelled["text"], labelled["label"], cv=folds).mean())
        if folds >= 2
        else float("nan")
    )
    model.fit(labelled["text"], labelled["label"])
    return model, accuracy


def _register_predictions(store: Store, model: Pipeline) -> None:
    texts = store.frame(
        "SELECT DISTINCT lower(trim(reason)) AS text FROM touchpoints WHERE reason IS NOT NULL"
    )
    texts["predicted"] = model.predict(texts["text"])
    store.execute(f"DROP TABLE IF EXISTS {PREDICTIONS_TABLE}")
    store.register_frame("df_predictions_frame", texts)
    store.execute(f"CREATE TEMP TABLE {PREDICTIONS_TABLE} AS SELECT * FROM df_predictions_frame")
    store.unregister("df_predictions_frame")


def _rules_agreement(store: Store, labelled: pd.DataFrame) -> float:
    """Share of staff-labelled touchpoints where the rules alone give the staff's class.

    The classifier only overrides "new request" (value), so that is what the rules alone
    said wherever it decided.
    """
    store.register_frame("df_labelled_frame", labelled[["rid", "label"]])
    row = store.rows(
        f"SELECT avg((CASE WHEN r.code IN {_TEXT_DECIDED} THEN 'value' "
        f"ELSE {demand_sql('r.code')} END = l.label)::INT) "
        f"FROM df_labelled_frame l JOIN {RULES_TABLE} r ON r.rid = l.rid"
    )[0]
    store.unregister("df_labelled_frame")
    return float(row[0]) if row[0] is not None else float("nan")


def classify_demand(
    store: Store, rules: DemandRules, *, learn_from_labels: bool = True
) -> TextClassifier | None:
    """Build ``df_demand`` (a view) over per-touchpoint rule codes.

    Trains the reason-text classifier first when staff labels exist (and
    ``learn_from_labels``), so its predictions take part in the one classification pass
    instead of patching it afterwards.
    """
    columns = {name for name, _ in store.table_columns("touchpoints")}
    fitted = None
    labelled, total_labelled, web_total = pd.DataFrame(), 0, 0
    if learn_from_labels:
        labelled, total_labelled, web_total = _labelled(store, imported=LABEL_COLUMN in columns)
        fitted = _fit_text_classifier(labelled)
        if fitted is not None:
            _register_predictions(store, fitted[0])
    store.execute(
        classification_sql(rules, with_predictions=fitted is not None),
        classification_params(rules),
    )
    _check_complete(store)
    store.execute(_view_sql())
    if fitted is None:
        return None
    decided = int(
        store.rows(f"SELECT count(*) FROM {RULES_TABLE} WHERE code IN {_TEXT_DECIDED}")[0][0]
    )
    return TextClassifier(
        total_labelled,
        len(labelled),
        fitted[1],
        _rules_agreement(store, labelled),
        decided,
        web_total,
    )
