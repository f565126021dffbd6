"""Voice on feedback written by hand, independent of the simulator's phrases.

The fixture (``data/handwritten_feedback.yaml``) holds service comments from a benefits
office, housing, a clinic and a call centre, in British and American spelling, short and
long, sarcastic and mixed, each coded with its themes by the person who wrote it. The
seed terms below are what a user would write for those themes from their names, not
terms picked from the fixture's comments, so the agreement printed here is what a new
user can expect, not a tuned number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from decisionframe.config import GuidedTheme
from decisionframe.voice.asks import ask_sentences
from decisionframe.voice.evaluate import single_theme_ami
from decisionframe.voice.scrub import scrub_all
from decisionframe.voice.themes import find_themes

FIXTURE = Path(__file__).parent / "data" / "handwritten_feedback.yaml"

SEEDS = {
    "waiting": ["wait*", "queue*", "on hold", "delay*", "took forever"],
    "rude": ["rude", "dismissive", "condescending", "patronis*", "patroniz*", "attitude"],
    "praise": ["thank*", "helpful", "kind", "friendly", "lovely", "brilliant", "excellent"],
    "unclear": ["confus*", "explain*", "unclear", "no idea", "understand*", "next step*"],
    "no_response": ["call* back", "ring back", "no reply", "never heard", "chasing", "ignor*"],
    "online": ["website", "online", "portal", "app", "log in", "login", "password"],
}


@pytest.fixture(scope="module")
def coded() -> dict[str, Any]:
    data = yaml.safe_load(FIXTURE.read_text("utf-8"))
    comments = data["comments"]
    texts = [c["text"] for c in comments]
    scrubbed = scrub_all(texts)
    guided = {k: GuidedTheme(label=k.replace("_", " "), seeds=v) for k, v in SEEDS.items()}
    model = find_themes(scrubbed, guided=guided, discover=4)
    return {"comments": comments, "scrubbed": scrubbed, "model": model}


def _f1(truth: np.ndarray, guess: np.ndarray) -> float:
    denominator = truth.sum() + guess.sum()
    return float(2 * (truth & guess).sum() / denominator) if denominator else 1.0


def test_fixture_is_big_and_varied(coded: dict[str, Any]) -> None:
    comments = coded["comments"]
    assert len(comments) >= 40
    assert sum(len(c["themes"]) >= 2 for c in comments) >= 5  # mixed topics
    assert sum(not c["themes"] for c in comments) >= 4  # comments with no theme
    assert sum(bool(c.get("pii")) for c in comments) >= 4


def test_guided_themes_agree_with_the_hand_coding(coded: dict[str, Any]) -> None:
    comments, model = coded["comments"], coded["model"]
    truth_all, guess_all, per_theme = [], [], {}
    for theme in SEEDS:
        truth = np.array([theme in c["themes"] for c in comments])
        guess = model.membership[:, model.ids.index(theme)]
        per_theme[theme] = round(_f1(truth, guess), 2)
        truth_all.append(truth)
        guess_all.append(guess)
    micro = _f1(np.concatenate(truth_all), np.concatenate(guess_all))
    known = {str(i): c["themes"] for i, c in enumerate(comments)}
    guided = [j for j, kind in enumerate(model.kinds) if kind == "guided"]
    score = np.where(model.membership[:, guided], model.strength[:, guided], -1.0)
    best = score.argmax(axis=1)
    found = {
        str(i): model.ids[guided[b]]
        for i, b in enumerate(best)
        if model.membership[i, guided].any()
    }
    ami = single_theme_ami(known, found)
    print(f"hand-coded feedback: micro F1 {micro:.3f}, AMI {ami:.3f}, per theme {per_theme}")
    assert micro >= 0.7
    assert ami >= 0.5
    assert min(per_theme.values()) >= 0.5


def test_asks_found_in_hand_written_requests(coded: dict[str, Any]) -> None:
    comments = coded["comments"]
    said = np.array([bool(ask_sentences(t)) for t in coded["scrubbed"]])
    coded_ask = np.array([bool(c.get("ask")) for c in comments])
    recall = (said & coded_ask).sum() / coded_ask.sum()
    false = (said & ~coded_ask).sum() / (~coded_ask).sum()
    print(f"asks: recall {recall:.2f}, false alarms {false:.2f}")
    assert recall >= 0.85
    assert false <= 0.1


def test_personal_details_scrubbed(coded: dict[str, Any]) -> None:
    model = coded["model"]
    terms = " ".join(" ".join(t) for t in model.terms)
    for comment, clean in zip(coded["comments"], coded["scrubbed"], strict=True):
        for value in comment.get("pii", []):
            assert value.lower() not in clean.lower(), value
            assert value.lower() not in terms
