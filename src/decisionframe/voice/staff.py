"""Staff theme labels: agreement with the themes found, and a classifier per staff theme.

Staff tag some comments with themes, in a ``theme_label`` feedback column (ids separated
by ``;``, ``none`` for a comment with no theme) or in the web labelling queue
(``df_labels``, item kind ``comment``). Both become one plain labels frame
(``item_id``, ``theme``, ``labeller``), the only input ``learn_staff_themes`` takes, so
either source (or both) can feed it.

For every staff theme with at least ``MIN_EXAMPLES`` tagged and untagged comments, as
``demand`` does for value/failure labels:

- the rules' agreement with staff: F1 and accuracy of the themes found (seeds, NMF) on
  the tagged comments (None when no rule finds that theme);
- a TF-IDF (words and character n-grams) + logistic regression classifier trained on the
  staff tags alone, with its cross-validated F1 and accuracy (stratified k-fold);
- the classifier assigns the theme to the comments staff did not tag when its
  cross-validated F1 beats the rules' F1 (a theme no rule finds becomes a ``staff``
  theme); otherwise the rules keep it. Either way staff labels win on the comments staff
  tagged: there the theme is what they said.

Where several labellers tagged the same comment, a theme counts when at least half of
them gave it, and ``labeller_agreement`` is the share of such comments on which they all
agreed about the theme (None when no comment has two labellers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from decisionframe.store import Store
from decisionframe.voice.themes import TOP_TERMS, ThemeModel

MIN_EXAMPLES = 10  # positives and negatives each
NO_THEME = "none"
LABELS_COLUMNS = ("item_id", "theme", "labeller")


@dataclass(frozen=True)
class StaffAgreement:
    theme: str
    labelled: int  # comments staff tagged (with any theme or none)
    tagged: int  # of which carry this theme
    themes_f1: float | None  # the themes found vs staff (None: staff theme not found)
    themes_accuracy: float | None
    classifier_f1: float | None  # cross-validated, trained on staff tags
    classifier_accuracy: float | None = None
    assigned_by: str = "rules"  # who assigns the theme to untagged comments: rules|classifier
    labellers: int = 1
    labeller_agreement: float | None = None


def labels_from_column(frame: pd.DataFrame, *, labeller: str = "feedback column") -> pd.DataFrame:
    """The labels frame from a ``staff_label`` column of ';'-separated theme ids."""
    if "staff_label" not in frame:
        return pd.DataFrame(columns=list(LABELS_COLUMNS))
    tagged = frame.loc[frame["staff_label"].notna(), ["feedback_id", "staff_label"]]
    rows = [
        (str(item), part.strip().lower(), labeller)
        for item, value in zip(tagged["feedback_id"], tagged["staff_label"], strict=True)
        for part in str(value).split(";")
        if part.strip()
    ]
    return pd.DataFrame(rows, columns=list(LABELS_COLUMNS))


def labels_from_store(store: Store) -> pd.DataFrame:
    """The labels frame from the web queue's ``df_labels`` (comment items): each
    labeller's latest label per comment, split into its ';'-separated themes."""
    if not store.table_exists("df_labels"):
        return pd.DataFrame(columns=list(LABELS_COLUMNS))
    latest = store.frame(
        "SELECT item_id, label, username FROM ("
        " SELECT CAST(item_id AS VARCHAR) AS item_id, label, username, row_number() OVER ("
        "  PARTITION BY item_id, username ORDER BY labelled_at DESC) AS newest"
        " FROM df_labels WHERE item_kind = 'comment') WHERE newest = 1"
    )
    rows = [
        (str(item), part.strip().lower(), str(user))
        for item, label, user in latest.itertuples(index=False)
        for part in str(label).split(";")
        if part.strip()
    ]
    return pd.DataFrame(rows, columns=list(LABELS_COLUMNS))


def _f1(truth: np.ndarray, guess: np.ndarray) -> float:
    tp = float((truth & guess).sum())
    denominator = float(truth.sum() + guess.sum())
    return 2 * tp / denominator if denominator else 1.0


@dataclass(frozen=True)
class _Tags:
    rows: np.ndarray  # index of each labelled comment in the model's rows
    themes: tuple[str, ...]
    truth: np.ndarray  # labelled comments x themes, bool (majority of labellers)
    agreement: tuple[float | None, ...]
    labellers: int


def _tags(item_ids: Sequence[str], labels: pd.DataFrame) -> _Tags | None:
    position = {str(v): i for i, v in enumerate(item_ids)}
    frame = labels.assign(item_id=labels["item_id"].astype(str))
    frame = frame[frame["item_id"].isin(position)]
    if frame.empty:
        return None
    themes = tuple(sorted(set(frame["theme"]) - {NO_THEME}))
    items = sorted(set(frame["item_id"]), key=lambda i: position[i])
    row_of = {item: r for r, item in enumerate(items)}
    labellers = sorted(set(frame["labeller"].astype(str)))
    col_of = {name: c for c, name in enumerate(labellers)}
    gave = np.zeros((len(items), len(labellers), len(themes)), dtype=bool)
    seen = np.zeros((len(items), len(labellers)), dtype=bool)
    theme_col = {t: j for j, t in enumerate(themes)}
    for item, theme, who in frame[list(LABELS_COLUMNS)].itertuples(index=False):
        r, c = row_of[item], col_of[str(who)]
        seen[r, c] = True
        if theme in theme_col:
            gave[r, c, theme_col[theme]] = True
    votes = gave.sum(axis=1)
    raters = seen.sum(axis=1)[:, None]
    truth = 2 * votes >= raters
    multi = raters[:, 0] >= 2
    agreement = tuple(
        round(float(((votes[multi, j] == 0) | (votes[multi, j] == raters[multi, 0])).mean()), 3)
        if multi.any()
        else None
        for j in range(len(themes))
    )
    rows = np.array([position[i] for i in items], dtype=np.int64)
    return _Tags(rows, themes, truth, agreement, len(labellers))


def _classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=4.0, max_iter=1000, class_weight="balanced")


def _cross_validated(features: Any, truth: np.ndarray, seed: int) -> np.ndarray | None:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = int(min(5, truth.sum(), (~truth).sum()))
    if folds < 2:
        return None
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return np.asarray(cross_val_predict(_classifier(), features, truth, cv=cv), dtype=bool)


def _terms(model: ThemeModel, member: np.ndarray) -> tuple[str, ...]:
    words = len(model.term_names)
    if not words or not member.any():
        return ()
    centroid = np.asarray(model.doc_terms[np.flatnonzero(member)][:, :words].mean(axis=0))
    centroid = centroid.ravel()
    order = np.argsort(-centroid)[:TOP_TERMS]
    return tuple(model.term_names[i] for i in order if centroid[i] > 0)


def learn_staff_themes(
    model: ThemeModel, item_ids: Sequence[str], labels: pd.DataFrame, *, seed: int = 0
) -> tuple[ThemeModel, list[StaffAgreement]]:
    """Themes with staff labels applied (see the module doc), and the agreement per theme.

    ``labels`` has one row per (item_id, theme, labeller); ``item_ids`` are the model's
    comments in order. The model's features (``doc_terms``) are reused, so the
    classifier reads the same scrubbed, spelling-fixed text as the rules.
    """
    tags = _tags(item_ids, labels) if len(labels) else None
    if tags is None or model.doc_terms is None:
        return model, []
    out = []
    for j, theme in enumerate(tags.themes):
        truth = tags.truth[:, j]
        known = theme in model.ids
        if min(truth.sum(), (~truth).sum()) < MIN_EXAMPLES:
            if known:  # too few to learn from, but staff still win on their own comments
                model = model.with_column(theme, _staff_override(model, theme, tags.rows, truth))
            continue
        f1 = accuracy = None
        if known:
            guess = model.membership[tags.rows, model.ids.index(theme)]
            f1 = round(_f1(truth, guess), 3)
            accuracy = round(float((truth == guess).mean()), 3)
        features = model.doc_terms[tags.rows]
        predicted = _cross_validated(features, truth, seed)
        c_f1 = c_acc = None
        if predicted is not None:
            c_f1 = round(_f1(truth, predicted), 3)
            c_acc = round(float((truth == predicted).mean()), 3)
        use_classifier = c_f1 is not None and c_f1 > (f1 if f1 is not None else 0.0)
        if use_classifier:
            fitted = _classifier().fit(features, truth)
            prob = fitted.predict_proba(model.doc_terms)[:, 1]
            member = prob >= 0.5
            member[tags.rows] = truth
            prob[tags.rows] = truth.astype(float)
            if known:
                model = model.with_column(theme, member, prob)
            else:
                terms = _terms(model, member)
                model = model.with_theme(theme, theme.replace("_", " "), "staff", terms, member)
        elif known:
            model = model.with_column(theme, _staff_override(model, theme, tags.rows, truth))
        out.append(
            StaffAgreement(
                theme=theme,
                labelled=len(tags.rows),
                tagged=int(truth.sum()),
                themes_f1=f1,
                themes_accuracy=accuracy,
                classifier_f1=c_f1,
                classifier_accuracy=c_acc,
                assigned_by="classifier" if use_classifier else "rules",
                labellers=tags.labellers,
                labeller_agreement=tags.agreement[j],
            )
        )
    return model, out


def _staff_override(
    model: ThemeModel, theme: str, rows: np.ndarray, truth: np.ndarray
) -> np.ndarray:
    member = model.membership[:, model.ids.index(theme)].copy()
    member[rows] = truth
    return member
