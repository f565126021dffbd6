"""Ask detection on hand-written comments (not the simulator's phrases)."""

from __future__ import annotations

import pytest

from decisionframe.voice.asks import ask_sentences


@pytest.mark.parametrize(
    "text",
    [
        "The staff were fine. Can you put the forms in Arabic as well?",
        "There should be somewhere to sit while you queue",
        "It would be so much easier if I could book online.",
        "I'd like a text message when my letter is ready",
        "why not let people pay in instalments",
        "Bring back the drop-in sessions on Tuesdays!",
    ],
)
def test_asks_found(text: str) -> None:
    assert ask_sentences(text)


@pytest.mark.parametrize(
    "text",
    [
        "I should have brought my passport, my fault",
        "Please call me back on my mobile",
        "The adviser was patient and clear.",
        "Waited two hours and nobody came",
    ],
)
def test_not_asks(text: str) -> None:
    assert not ask_sentences(text)
