"""Writing staff labels and reading them back: the newest per person, the consensus.

Every label is one row of ``df_labels`` (kind, item id, label, reason, who, when) and one
audit-log row, written in one transaction: a label without its audit entry cannot exist.
Labels are never updated in place; a person who changes their mind adds a row and their
newest row counts, so the history of who said what stays readable.

A contact's label is 'value', 'failure' or 'unsure' with a reason chosen from a fixed list
(``CONTACT_TAGS``: the digit keys of the queue), never free text, so nothing typed by staff
can carry a name into the store or the audit log. A comment's label is its theme ids
joined by ';' (sorted), or 'none'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from decisionframe.accounts import audit
from decisionframe.errors import DecisionframeError
from decisionframe.store.base import Store

LABELS_TABLE = "df_labels"
CONTACT, COMMENT = "contact", "comment"
KINDS = (CONTACT, COMMENT)
NO_THEME = "none"

# Digit key -> (class, reason). The reasons follow the demand rules (classify.RULES), so a
# label can be read against what the rules said; 0 is for "I cannot tell from this".
CONTACT_TAGS: dict[str, tuple[str, str]] = {
    "1": ("value", "new request or first contact for a need"),
    "2": ("value", "other value demand"),
    "3": ("failure", "progress chasing"),
    "4": ("failure", "error correction"),
    "5": ("failure", "repeat: not resolved before"),
    "6": ("failure", "other failure demand"),
    "0": ("unsure", "cannot tell"),
}
DEMAND_CLASSES = ("value", "failure")


@dataclass(frozen=True)
class Label:
    kind: str
    item_id: str
    label: str
    reason: str | None
    username: str
    labelled_at: datetime


def contact_tag(tag: str) -> tuple[str, str]:
    """(class, reason) of a digit key; a clear error for any other key."""
    if tag not in CONTACT_TAGS:
        keys = ", ".join(sorted(CONTACT_TAGS))
        raise DecisionframeError(f"unknown contact tag. Hint: use one of the keys {keys}.")
    return CONTACT_TAGS[tag]


def comment_label(themes: Iterable[str], known: Iterable[str]) -> str:
    """The stored form of a comment's themes: sorted ids joined by ';', or 'none'."""
    allowed = set(known)
    chosen = {t.strip() for t in themes if t.strip()}
    if chosen - allowed - {NO_THEME}:
        raise DecisionframeError(
            "unknown theme. Hint: tag with the themes listed on the page (their digit keys)."
        )
    chosen.discard(NO_THEME)
    return ";".join(sorted(chosen)) if chosen else NO_THEME


def item_exists(store: Store, kind: str, item_id: str) -> bool:
    """Whether the store holds this touchpoint or comment (labels name real items only)."""
    table, column = ("touchpoints", "touchpoint_id")
    if kind == COMMENT:
        table, column = "feedback", "feedback_id"
    if not store.table_exists(table):
        return False
    sql = f"SELECT count(*) FROM {table} WHERE CAST({column} AS VARCHAR) = ?"
    return bool(store.rows(sql, [item_id])[0][0])


def add_label(
    store: Store, *, kind: str, item_id: str, label: str, reason: str | None, username: str
) -> Label:
    """Store one label and its audit-log row together."""
    if kind not in KINDS:
        raise DecisionframeError("unknown item kind. Hint: 'contact' or 'comment'.")
    if not item_exists(store, kind, item_id):
        raise DecisionframeError(
            f"no such {kind} in the store. Hint: reload the queue (the data may have been "
            "re-imported)."
        )
    now = datetime.now(UTC)
    with store.transaction():
        store.execute(
            f"INSERT INTO {LABELS_TABLE} VALUES (?, ?, ?, ?, ?, ?)",
            [kind, item_id, label, reason, username, now],
        )
        audit(
            store,
            username,
            "label.add",
            {"kind": kind, "item_id": item_id, "label": label, "reason": reason},
        )
    return Label(kind, item_id, label, reason, username, now)


_LATEST = f"""
SELECT item_id, username, label, reason, labelled_at FROM (
    SELECT item_id, username, label, reason, labelled_at,
           row_number() OVER (PARTITION BY item_id, username
                              ORDER BY labelled_at DESC) AS newest
    FROM {LABELS_TABLE} WHERE item_kind = ?
) l WHERE newest = 1 ORDER BY item_id, username
"""

_COLUMNS = ["item_id", "username", "label", "reason", "labelled_at"]


def latest_labels(store: Store, kind: str) -> pd.DataFrame:
    """Each person's newest label of each item of ``kind`` (empty without labels)."""
    if not store.table_exists(LABELS_TABLE):
        return pd.DataFrame(columns=_COLUMNS)
    frame = store.frame(_LATEST, [kind])
    return frame if len(frame) else pd.DataFrame(columns=_COLUMNS)


def label_count(store: Store) -> int:
    """All label rows ever given (a cache key: any new label changes it)."""
    if not store.table_exists(LABELS_TABLE):
        return 0
    return int(store.rows(f"SELECT count(*) FROM {LABELS_TABLE}")[0][0])


def contact_consensus(latest: pd.DataFrame) -> pd.DataFrame:
    """One class per contact staff labelled: the majority of each person's newest
    'value'/'failure' ('unsure' casts no vote); a tie gives no class (columns item_id,
    label; only contacts with a class)."""
    votes = latest[latest["label"].isin(DEMAND_CLASSES)]
    if not len(votes):
        return pd.DataFrame({"item_id": pd.Series(dtype=str), "label": pd.Series(dtype=str)})
    counts = votes.groupby(["item_id", "label"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(DEMAND_CLASSES), fill_value=0)
    value, failure = counts["value"], counts["failure"]
    decided = counts[value != failure]
    label = (decided["failure"] > decided["value"]).map({True: "failure", False: "value"})
    return pd.DataFrame({"item_id": decided.index.astype(str), "label": label.to_numpy()})


def comment_consensus(latest: pd.DataFrame) -> pd.DataFrame:
    """One theme set per comment staff labelled: the themes at least half of its labellers
    gave ('none' when no theme reaches half); columns item_id, label."""
    rows = []
    for item_id, group in latest.groupby("item_id", sort=True):
        raters = len(group)
        given: dict[str, int] = {}
        for value in group["label"]:
            for theme in str(value).split(";"):
                if theme and theme != NO_THEME:
                    given[theme] = given.get(theme, 0) + 1
        kept = sorted(t for t, n in given.items() if 2 * n >= raters)
        rows.append((str(item_id), ";".join(kept) if kept else NO_THEME))
    return pd.DataFrame(rows, columns=["item_id", "label"])
