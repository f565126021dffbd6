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


def test_a_name_no_cue_or_list_catches_is_scrubbed_by_how_the_comments_write_it() -> None:
    """A new user's planted name ("Please ask Bartholomew Quinceworth to call me back")
    reached the published asks as 'ask / bartholomew': no cue, not in the list. Written
    with a capital mid-sentence every time, the corpus itself says it is a name."""
    from decisionframe.voice.scrub import proper_nouns, scrub_all

    texts = [
        "Please ask Bartholomew Quinceworth to call me back",
        "please could Bartholomew Quinceworth ring me",
        "Bartholomew never rang back",  # at the start of a sentence too
        "The app crashed. Staff were kind",
        "the staff were kind but the app crashed",
        "THE APP CRASHED AGAIN",
        "The Staff Were Very Kind And Helpful",  # title case: says nothing of names
    ]
    out = scrub_all(texts)
    assert all("bartholomew" not in t.lower() and "quinceworth" not in t.lower() for t in out)
    assert out[0] == "Please ask [name] to call me back"
    assert out[2] == "[name] never rang back"
    assert out[3:] == texts[3:]
    assert proper_nouns(texts) == {"bartholomew", "quinceworth"}
