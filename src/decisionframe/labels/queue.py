"""Which items to label next: the ones the system is least sure of, first.

"Uncertain" means: the probability that a contact is failure demand (or that a comment
carries a theme) is close to one half. It is measured as binary entropy in bits,
H(p) = -p log2 p - (1-p) log2 (1-p): 1 bit at p = 0.5 (a coin toss), 0 when sure.

Contacts. What decides a contact's class decides its p:
- the rules' default call "new request", once the text classifier can train (30 labelled
  reasons of both classes, imported or given here): the classifier's predicted
  probability of failure for the contact's reason text (the model the demand run fits);
- any other rule, and every rule before a classifier can train ("rules only"): the share
  of staff-labelled contacts of that rule that staff called failure, Laplace-smoothed
  ((failures + 1) / (labelled + 2)), so a rule staff never checked counts as a coin toss.
Contacts with the same reason text look alike to the classifier, so the queue shows one
contact per reason text (most uncertain first) before it shows a second of any.

Comments: the voice run's strength of each theme it gave the comment (a probability for a
guided theme, the theme's share of the comment for a discovered one); a comment's
uncertainty is that of its least certain theme. Comments the voice run gave no theme (or
all comments, before any voice run) come after, in a fixed pseudo-random order.

Everyone's queue has the same order, so items get labelled by more than one person and
agreement can be measured; an item leaves your queue once you labelled it. Only
pseudonyms and scrubbed text leave this module: reason and comment texts go through the
voice scrubber, client ids are shown only where the import pseudonymized them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from decisionframe.config import DemandRules, VoiceConfig
from decisionframe.labels.records import COMMENT, CONTACT, LABELS_TABLE
from decisionframe.store.base import Store
from decisionframe.voice.scrub import scrub_all

PSEUDONYM_CHARS = 10  # of a client pseudonym shown: enough to tell clients apart on a page
MAX_THEME_KEYS = 9  # digits 1..9


@dataclass(frozen=True)
class ContactItem:
    item_id: str
    client: str | None  # the client's pseudonym, shortened; None where not pseudonymized
    day: str
    channel: str | None
    unit: str | None
    reason: str | None  # scrubbed
    has_need: bool
    resolved: bool | None
    waiting_on: str | None
    rule: str  # what the rules (and classifier) call it now
    p_failure: float
    uncertainty: float  # bits
    basis: str  # 'classifier' | 'rule'
    others: int  # people other than you who labelled it


@dataclass(frozen=True)
class CommentItem:
    item_id: str
    client: str | None
    day: str | None
    score: float | None
    text: str  # scrubbed
    themes_found: tuple[str, ...]  # the voice run's theme ids for it
    uncertainty: float
    others: int


@dataclass(frozen=True)
class ThemeKey:
    key: str  # the digit
    id: str
    label: str


@dataclass(frozen=True)
class MyLabel:
    item_id: str
    text: str | None  # scrubbed
    label: str
    reason: str | None
    labelled_at: datetime


def _rows(frame: pd.DataFrame) -> list[Any]:
    """The frame's rows as objects with one attribute per column."""
    return [SimpleNamespace(**{str(k): v for k, v in r.items()}) for r in frame.to_dict("records")]


def entropy(p: float) -> float:
    """Binary entropy in bits (0 at p = 0 or 1, 1 at p = 0.5)."""
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def _pseudonymized(store: Store, table: str, column: str) -> bool:
    if not store.table_exists("df_columns"):
        return False
    rows = store.rows(
        "SELECT count(*) FROM df_columns WHERE table_name = ? AND column_name = ? "
        "AND pseudonymized",
        [table, column],
    )
    return bool(rows[0][0])


def _short(value: Any, shown: bool) -> str | None:
    if not shown or value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)[:PSEUDONYM_CHARS]


def _has(store: Store, table: str) -> set[str]:
    if not store.table_exists(table):
        return set()
    return {name for name, _ in store.table_columns(table)}


# Both take (kind, username) as parameters.
_MINE = f"SELECT DISTINCT item_id FROM {LABELS_TABLE} WHERE item_kind = ? AND username = ?"
_OTHERS = (
    f"SELECT item_id, count(DISTINCT username) AS others FROM {LABELS_TABLE} "
    "WHERE item_kind = ? AND username <> ? GROUP BY item_id"
)


def rule_probabilities(store: Store, labelled: pd.DataFrame) -> pd.DataFrame:
    """Per rule code: the Laplace-smoothed share of staff-labelled contacts staff called
    failure (needs the rule codes of ``classify_demand``); columns code, p, labelled."""
    from decisionframe.demand.classify import RULES, RULES_TABLE

    counts = pd.DataFrame({"code": list(RULES), "failures": 0, "labelled": 0})
    if len(labelled):
        store.register_frame("df_queue_labels", labelled[["rid", "label"]])
        seen = store.frame(
            f"SELECT r.code, sum((l.label = 'failure')::INT) AS failures, count(*) AS labelled "
            f"FROM df_queue_labels l JOIN {RULES_TABLE} r ON r.rid = l.rid GROUP BY r.code"
        )
        store.unregister("df_queue_labels")
        counts = counts.drop(columns=["failures", "labelled"]).merge(seen, on="code", how="left")
        counts = counts.fillna(0)
    counts["p"] = (counts["failures"] + 1) / (counts["labelled"] + 2)
    return counts[["code", "p", "labelled"]].astype({"code": "int64", "labelled": "int64"})


def text_probabilities(store: Store, labelled: pd.DataFrame) -> pd.DataFrame | None:
    """P(failure) per distinct reason text from the demand run's text classifier, fitted
    on the same labels; None while the labels cannot train it."""
    from decisionframe.demand.classify import can_train, text_pipeline

    if not can_train(labelled):
        return None
    model = text_pipeline().fit(labelled["text"], labelled["label"])
    texts = store.frame(
        "SELECT DISTINCT lower(trim(reason)) AS reason_key FROM touchpoints "
        "WHERE reason IS NOT NULL"
    )
    failure = list(model.classes_).index("failure")
    texts["p"] = model.predict_proba(texts["reason_key"])[:, failure]
    return texts


_ENTROPY = "-(q * log2(q) + (1 - q) * log2(1 - q))"


@dataclass(frozen=True)
class ContactScores:
    """Every contact's p(failure) and what it rests on (``basis``), before anyone's own
    labels are taken out: the slow part of the queue (a classification pass over every
    touchpoint and, once labels can train it, a text classifier fit).

    ``version`` says what the scores were computed from (see ``scores_version``): the web
    app keeps the last scores and recomputes them only when the version changes, so paging
    through the queue does not re-classify every contact on every request.
    """

    version: str
    frame: pd.DataFrame  # touchpoint_id, client_id, started_at, ..., code, reason_key, p, basis
    classifier: bool  # whether the text classifier took part (False: rules only)


def scores_version(store: Store, rules: DemandRules) -> str:
    """What contact scores depend on, cheaply read: the imports (count and newest), the
    demand rules, and the labels (count and newest). A new import, a rules edit or a new
    label changes it."""
    import hashlib
    import json

    parts: list[Any] = [rules.model_dump(mode="json")]
    for table, stamp in (("df_imports", "imported_at"), (LABELS_TABLE, "labelled_at")):
        if store.table_exists(table):
            parts.append(store.rows(f"SELECT count(*), max({stamp}) FROM {table}")[0])
        else:
            parts.append(None)
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def contact_scores(store: Store, rules: DemandRules) -> ContactScores | None:
    """Score every contact (see the module docstring); None without touchpoints."""
    from decisionframe.demand.classify import classify_demand, training_labels

    if not store.table_exists("touchpoints"):
        return None
    version = scores_version(store, rules)
    classify_demand(store, rules, learn_from_labels=False)
    labelled = training_labels(store)
    store.register_frame("df_queue_rules", rule_probabilities(store, labelled))
    by_text = text_probabilities(store, labelled)
    text_join, text_p = "", "CAST(NULL AS DOUBLE)"
    if by_text is not None:
        store.register_frame("df_queue_text", by_text[["reason_key", "p"]])
        text_join = "LEFT JOIN df_queue_text x ON x.reason_key = d.reason_key"
        text_p = "x.p"
    sql = f"""
    SELECT d.touchpoint_id, CAST(d.touchpoint_id AS VARCHAR) AS item_id,
           md5(CAST(d.touchpoint_id AS VARCHAR)) AS order_key, d.client_id, d.started_at,
           d.channel, d.unit, d.need_id, d.resolved, d.waiting_on, d.code, d.reason_key,
           coalesce(CASE WHEN d.code = 7 THEN {text_p} END, r.p) AS p,
           CASE WHEN d.code = 7 AND {text_p} IS NOT NULL THEN 'classifier' ELSE 'rule' END
               AS basis
    FROM df_demand d JOIN df_queue_rules r ON r.code = d.code {text_join}
    """
    try:
        frame = store.frame(sql)
    finally:
        store.unregister("df_queue_rules")
        if by_text is not None:
            store.unregister("df_queue_text")
    q = frame["p"].astype(float).clip(1e-12, 1 - 1e-12)
    frame["uncertainty"] = -(q * np.log2(q) + (1 - q) * np.log2(1 - q))
    # Sorted once by the pseudo-random key: each request then numbers a reason's contacts
    # in this order with one cumcount, without sorting again.
    frame = frame.sort_values(["order_key", "item_id"], kind="stable", ignore_index=True)
    frame["reason_group"] = pd.factorize(frame["reason_key"], use_na_sentinel=False)[0]
    return ContactScores(version, frame, by_text is not None)


def contact_queue(
    store: Store,
    rules: DemandRules,
    *,
    username: str,
    limit: int = 25,
    scores: ContactScores | None = None,
) -> tuple[list[ContactItem], bool]:
    """The next contacts for ``username`` to label, most uncertain first, and whether the
    text classifier took part (False: rules only). ``scores`` from ``contact_scores`` are
    used when given (the caller checks their version); otherwise computed here."""
    from decisionframe.demand.classify import RULES

    if scores is None:
        scores = contact_scores(store, rules)
    if scores is None:
        return [], False
    # Ranked in pandas over the kept scores: nothing but the 'limit' contacts shown goes
    # back to the store (on PostgreSQL a registered frame is a COPY, too slow per request).
    # Rows are in pseudo-random key order already, so position is the tie-break and a
    # reason's n-th contact is a cumcount over integer group codes: numeric sorts only.
    mine = {str(r[0]) for r in store.rows(_MINE, [CONTACT, username])}
    kept = np.flatnonzero(~scores.frame["item_id"].isin(mine).to_numpy())
    groups = scores.frame["reason_group"].to_numpy()[kept]
    nth = pd.Series(groups).groupby(groups, sort=False).cumcount().to_numpy()
    uncertainty = scores.frame["uncertainty"].to_numpy()[kept]
    order = np.lexsort((kept, -uncertainty, nth))[: int(limit)]
    top = scores.frame.iloc[kept[order]]
    store.register_frame("df_queue_top", top[["touchpoint_id", "item_id"]])
    try:
        extra = store.frame(
            f"SELECT k.item_id, t.reason, coalesce(o.others, 0) AS others "
            f"FROM df_queue_top k JOIN touchpoints t ON t.touchpoint_id = k.touchpoint_id "
            f"LEFT JOIN ({_OTHERS}) o ON o.item_id = k.item_id",
            [CONTACT, username],
        )
    finally:
        store.unregister("df_queue_top")
    frame = top.merge(extra, on="item_id", how="left", validate="one_to_one")
    shown = _pseudonymized(store, "touchpoints", "client_id")
    reasons = scrub_all(["" if pd.isna(r) else str(r) for r in frame["reason"]])
    items = []
    for row, reason in zip(_rows(frame), reasons, strict=True):
        code = int(row.code)
        if row.basis == "classifier":
            rule = "text classifier: " + ("failure" if row.p >= 0.5 else "value")
        else:
            rule = f"{RULES[code][0]} ({RULES[code][1]})"
        items.append(
            ContactItem(
                item_id=str(row.touchpoint_id),
                client=_short(row.client_id, shown),
                day=pd.Timestamp(row.started_at).strftime("%Y-%m-%d"),
                channel=None if pd.isna(row.channel) else str(row.channel),
                unit=None if pd.isna(row.unit) else str(row.unit),
                reason=reason or None,
                has_need=not pd.isna(row.need_id),
                resolved=None if pd.isna(row.resolved) else bool(row.resolved),
                waiting_on=None if pd.isna(row.waiting_on) else str(row.waiting_on),
                rule=rule,
                p_failure=round(float(row.p), 3),
                uncertainty=round(float(row.uncertainty), 3),
                basis=str(row.basis),
                others=int(row.others),
            )
        )
    return items, scores.classifier


def theme_keys(config: VoiceConfig, latest_voice: Any | None) -> list[ThemeKey]:
    """The themes to tag with, digits 1..9: the last voice run's (largest first), else the
    guided themes of decisionframe.yaml."""
    found: list[tuple[str, str]] = []
    if latest_voice is not None:
        found = [(t.id, t.label) for t in latest_voice.themes]
    if not found:
        found = [(key, t.label or key.replace("_", " ")) for key, t in config.themes.items()]
    return [
        ThemeKey(str(i + 1), theme_id, label)
        for i, (theme_id, label) in enumerate(found[:MAX_THEME_KEYS])
    ]


def comment_queue(store: Store, *, username: str, limit: int = 25) -> list[CommentItem]:
    """The next comments for ``username`` to tag with themes, least certain first."""
    columns = _has(store, "feedback")
    if not {"feedback_id", "text"} <= columns:
        return []
    client = "CAST(f.client_id AS VARCHAR)" if "client_id" in columns else "NULL"
    day = "CAST(f.given_on AS DATE)" if "given_on" in columns else "NULL"
    score = "TRY_CAST(f.score AS DOUBLE)" if "score" in columns else "NULL"
    themes = "NULL"
    join = ""
    if store.table_exists("df_voice_themes"):
        themes = "v.themes"
        join = f"""LEFT JOIN (
            SELECT feedback_id, max({_ENTROPY}) AS u, string_agg(theme, ';' ORDER BY theme)
                   AS themes
            FROM (SELECT feedback_id, theme,
                         greatest(least(strength, 1 - 1e-12), 1e-12) AS q
                  FROM df_voice_themes) s
            GROUP BY feedback_id
        ) v ON v.feedback_id = CAST(f.feedback_id AS VARCHAR)"""
    uncertainty = "coalesce(v.u, 0.0)" if join else "0.0"
    sql = f"""
    SELECT CAST(f.feedback_id AS VARCHAR) AS item_id, CAST(f.text AS VARCHAR) AS text,
           {client} AS client_id, {day} AS day, {score} AS score, {themes} AS themes,
           {uncertainty} AS uncertainty, coalesce(o.others, 0) AS others
    FROM feedback f {join}
    LEFT JOIN ({_OTHERS}) o ON o.item_id = CAST(f.feedback_id AS VARCHAR)
    WHERE f.text IS NOT NULL AND trim(CAST(f.text AS VARCHAR)) <> ''
      AND CAST(f.feedback_id AS VARCHAR) NOT IN ({_MINE})
    ORDER BY uncertainty DESC, md5(CAST(f.feedback_id AS VARCHAR)), f.feedback_id
    LIMIT ?
    """
    frame = store.frame(sql, [COMMENT, username, COMMENT, username, int(limit)])
    shown = _pseudonymized(store, "feedback", "client_id")
    texts = scrub_all([str(t) for t in frame["text"]])
    return [
        CommentItem(
            item_id=str(row.item_id),
            client=_short(row.client_id, shown),
            day=None if pd.isna(row.day) else pd.Timestamp(row.day).strftime("%Y-%m-%d"),
            score=None if pd.isna(row.score) else float(row.score),
            text=text,
            themes_found=tuple(str(row.themes).split(";")) if isinstance(row.themes, str) else (),
            uncertainty=round(float(row.uncertainty), 3),
            others=int(row.others),
        )
        for row, text in zip(_rows(frame), texts, strict=True)
    ]


def my_labels(store: Store, *, kind: str, username: str, limit: int = 20) -> list[MyLabel]:
    """Your newest labels of ``kind`` (newest first), with the item's scrubbed text."""
    if not store.table_exists(LABELS_TABLE):
        return []
    if kind == CONTACT:
        table, key, text = "touchpoints", "touchpoint_id", "reason"
    else:
        table, key, text = "feedback", "feedback_id", "text"
    if not store.table_exists(table):
        return []
    frame = store.frame(
        f"""SELECT l.item_id, CAST(i.{text} AS VARCHAR) AS text, l.label, l.reason,
                   l.labelled_at
        FROM (SELECT *, row_number() OVER (PARTITION BY item_id ORDER BY labelled_at DESC)
                        AS newest
              FROM {LABELS_TABLE} WHERE item_kind = ? AND username = ?) l
        LEFT JOIN {table} i ON CAST(i.{key} AS VARCHAR) = l.item_id
        WHERE l.newest = 1 ORDER BY l.labelled_at DESC LIMIT ?""",
        [kind, username, int(limit)],
    )
    texts = scrub_all([str(t) if isinstance(t, str) else "" for t in frame["text"]])
    return [
        MyLabel(
            str(row.item_id),
            text or None,
            str(row.label),
            None if pd.isna(row.reason) else str(row.reason),
            pd.Timestamp(row.labelled_at).to_pydatetime(),
        )
        for row, text in zip(_rows(frame), texts, strict=True)
    ]


def known_theme_ids(keys: Sequence[ThemeKey]) -> list[str]:
    return [k.id for k in keys]
