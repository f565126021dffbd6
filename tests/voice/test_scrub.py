"""Scrubbing personal details from free text (examples not from the simulator)."""

from __future__ import annotations

import pytest

from decisionframe.voice.scrub import scrub


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("Contact me at jo.bloggs+x@mail.co.uk thanks", "jo.bloggs"),
        ("ring 020 7946 0958 after six", "7946"),
        ("my mobile is +44 7700-900-461", "900"),
        ("call (555) 123-4567 please", "123-4567"),
        ("I was born 12/03/1979 and still waiting", "1979"),
        ("date of birth 3rd of May 1990", "1990"),
        ("case number 88123 still open", "88123"),
        ("ref: QX-20931 lost again", "20931"),
        ("I live at 14 Rosewood Avenue near the shop", "Rosewood"),
        ("postcode SW1A 1AA", "SW1A"),
        ("My name is Grzegorz Brzęczyszczykiewicz and I am fed up", "Grzegorz"),
        ("I spoke to Deirdre on the phone", "Deirdre"),
        ("thanks to Olumide for sorting it", "Olumide"),
        ("Priya at reception was great", "Priya"),
        ("Mrs Featherstonehaugh was rude", "Featherstonehaugh"),
        ("nice chat with maria today", "maria"),
    ],
)
def test_scrub_removes(text: str, gone: str) -> None:
    assert gone.lower() not in scrub(text).lower()


@pytest.mark.parametrize(
    "text",
    [
        "I will mark this down as a good visit",
        "I'm Happy with the service",
        "Waited 45 minutes at the office",
        "Three times I called, still nothing",
    ],
)
def test_scrub_keeps_ordinary_text(text: str) -> None:
    assert scrub(text) == text
