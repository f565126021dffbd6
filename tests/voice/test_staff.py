"""Staff labels train a classifier per theme: a hand-made case where the truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

from decisionframe.config import GuidedTheme
from decisionframe.voice.staff import labels_from_column, learn_staff_themes
from decisionframe.voice.themes import find_themes

PARKING = (
    "could not find anywhere to park the car",
    "the car park was full again",
    "parking outside is a nightmare",
    "no spaces left, I drove round for ages",
    "had to leave the car on a side street and got a ticket",
    "there is nowhere to leave a vehicle near the office",
    "the disabled bays were all taken",
    "paid for a parking permit that nobody checks",
)
WAITING = (
    "I waited an hour past my appointment",
    "the wait on the phone was forty minutes",
    "kept waiting in reception with no update",
    "long waits every single time",
    "waiting list is months long",
)
OTHER = (
    "the form asks for the same thing twice",
    "letters arrive after the deadline they mention",
    "the website logged me out halfway through",
    "reception was cold and the chairs broken",
    "my adviser changed three times this year",
)
FILLER = ("", " honestly", " this week", " again", " as usual", " on tuesday", " sadly")


def _corpus(n: int = 240) -> tuple[list[str], list[set[str]]]:
    rng = np.random.default_rng(5)
    texts, truth = [], []
    for i in range(n):
        kind = ("parking", "waiting", "other")[i % 3]
        pool = {"parking": PARKING, "waiting": WAITING, "other": OTHER}[kind]
        texts.append(str(rng.choice(pool)) + str(rng.choice(FILLER)))
        truth.append({kind} - {"other"})
    return texts, truth


def _labels(truth: list[set[str]], rows: range) -> pd.DataFrame:
    out = []
    for i in rows:
        who = "ann" if i % 2 else "bob"
        out += [(f"c{i}", t, who) for t in sorted(truth[i])] or [(f"c{i}", "none", who)]
    return pd.DataFrame(out, columns=["item_id", "theme", "labeller"])


def test_classifier_learns_a_theme_no_rule_finds_and_staff_win_on_their_comments() -> None:
    texts, truth = _corpus()
    ids = [f"c{i}" for i in range(len(texts))]
    guided = {"waiting": GuidedTheme(label="Waiting", seeds=["wait*"])}
    model = find_themes(texts, guided=guided, discover=0)
    labelled = range(0, 90)
    labels = _labels(truth, labelled)
    # a staff member's judgement on a comment with no seed word: staff win there
    labels.loc[len(labels)] = ("c2", "waiting", "bob")
    learned, agreement = learn_staff_themes(model, ids, labels)
    by_theme = {a.theme: a for a in agreement}
    parking = by_theme["parking"]
    assert parking.themes_f1 is None  # no rule knows parking
    assert parking.assigned_by == "classifier"
    assert parking.classifier_f1 is not None
    assert parking.classifier_f1 >= 0.8
    assert learned.kinds[learned.ids.index("parking")] == "staff"
    column = learned.membership[:, learned.ids.index("parking")]
    untagged = np.arange(90, len(texts))
    planted = np.array(["parking" in truth[i] for i in untagged])
    found = column[untagged]
    recall = (found & planted).sum() / planted.sum()
    precision = (found & planted).sum() / max(1, found.sum())
    assert recall >= 0.8, recall
    assert precision >= 0.8, precision
    waiting = by_theme["waiting"]
    assert waiting.themes_f1 is not None
    assert waiting.themes_f1 >= 0.9
    assert waiting.assigned_by == "rules"  # the seed already does as well
    w = learned.ids.index("waiting")
    assert learned.membership[2, w]  # staff said so, though no seed matches
    assert not model.membership[2, model.ids.index("waiting")]
    assert waiting.labellers == 2


def test_labeller_agreement_counts_comments_two_people_tagged() -> None:
    texts, truth = _corpus(120)
    ids = [f"c{i}" for i in range(len(texts))]
    model = find_themes(texts, guided={}, discover=0)
    first = _labels(truth, range(60)).assign(labeller="ann")
    second = first.assign(labeller="bob")
    # bob disagrees on ten parking comments
    disagree = second.index[second["theme"] == "parking"][:10]
    second.loc[disagree, "theme"] = "none"
    _, agreement = learn_staff_themes(model, ids, pd.concat([first, second]))
    parking = next(a for a in agreement if a.theme == "parking")
    assert parking.labeller_agreement == round(1 - 10 / 60, 3)


def test_too_few_labels_train_nothing() -> None:
    texts, truth = _corpus(120)
    ids = [f"c{i}" for i in range(len(texts))]
    model = find_themes(texts, guided={}, discover=0)
    learned, agreement = learn_staff_themes(model, ids, _labels(truth, range(12)))
    assert agreement == []
    assert learned.ids == model.ids


def test_labels_from_a_feedback_column() -> None:
    frame = pd.DataFrame({"feedback_id": ["a", "b", "c"], "staff_label": ["x; Y", None, "none"]})
    labels = labels_from_column(frame)
    assert labels.values.tolist() == [
        ["a", "x", "feedback column"],
        ["a", "y", "feedback column"],
        ["c", "none", "feedback column"],
    ]
