"""Staff theme labels: agreement with the themes found, and a classifier per staff theme.

Staff may tag some comments with theme ids (a ``theme_label`` column, ids separated by
``;``; ``none`` for a comment with no theme). For every tagged theme with enough examples
this reports how often the themes found agree with staff (F1 and accuracy on the tagged
comments) and the cross-validated F1 of a TF-IDF + logistic regression classifier trained
on the staff tags alone: if the classifier beats the themes, the seeds need work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from decisionframe.voice.themes import ThemeModel, clean_for_model

MIN_EXAMPLES = 10  # positives and negatives each


@dataclass(frozen=True)
class StaffAgreement:
    theme: str
    labelled: int  # comments staff tagged (with any theme or none)
    tagged: int  # of which carry this theme
    themes_f1: float | None  # the themes found vs staff (None: staff theme not found)
    themes_accuracy: float | None
    classifier_f1: float | None  # cross-validated, trained on staff tags


def _f1(truth: np.ndarray, guess: np.ndarray) -> float:
    tp = float((truth & guess).sum())
    denominator = float(truth.sum() + guess.sum())
    return 2 * tp / denominator if denominator else 1.0


def staff_agreement(
    frame: pd.DataFrame, model: ThemeModel, *, seed: int = 0
) -> list[StaffAgreement]:
    if "staff_label" not in frame:
        return []
    tagged_rows = frame["staff_label"].notna().to_numpy()
    if tagged_rows.sum() < 2 * MIN_EXAMPLES:
        return []
    tags = [
        {p.strip().lower() for p in str(v).split(";") if p.strip()}
        for v in frame.loc[tagged_rows, "staff_label"]
    ]
    texts = clean_for_model(frame.loc[tagged_rows, "text"].tolist())
    themes = sorted({t for ts in tags for t in ts} - {"none"})
    out = []
    for theme in themes:
        truth = np.array([theme in ts for ts in tags])
        if min(truth.sum(), (~truth).sum()) < MIN_EXAMPLES:
            continue
        f1 = accuracy = None
        if theme in model.ids:
            guess = model.membership[tagged_rows, model.ids.index(theme)]
            f1 = round(_f1(truth, guess), 3)
            accuracy = round(float((truth == guess).mean()), 3)
        out.append(
            StaffAgreement(
                theme, len(tags), int(truth.sum()), f1, accuracy, _classifier_f1(texts, truth, seed)
            )
        )
    return out


def _classifier_f1(texts: list[str], truth: np.ndarray, seed: int) -> float | None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    folds = int(min(5, truth.sum(), (~truth).sum()))
    if folds < 2:
        return None
    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True),
        LogisticRegression(max_iter=500, class_weight="balanced"),
    )
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    guess = cross_val_predict(model, texts, truth, cv=cv)
    return round(_f1(truth, np.asarray(guess, dtype=bool)), 3)
