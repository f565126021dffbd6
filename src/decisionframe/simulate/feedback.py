"""Simulated free-text feedback that reads as if people wrote it.

Each comment carries zero or more planted themes that follow the real causes in the
simulated service: felt rushed after a long wait (or a short, disrespectful contact), did
not understand next steps (poorly explained), chasing a back-end unit that holds the need
(a progress-chasing contact), praise (a respectful contact). One ask (longer opening hours)
is spread over everyone; one emerging need (the online upload portal failing) appears from
``EMERGING_START`` in the ``EMERGING_CHANNEL`` channel only. Wording varies: several
paraphrases per theme, fillers, mixed themes, short and long comments, misspellings, and
some comments carry a planted name, phone number, email, address, case number or date of
birth, which the voice analysis must scrub.

Drawn from its own generator, so adding or changing it changes no other simulated value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from decisionframe.simulate.clients import START

FEEDBACK_SHARE = 0.25  # share of contacts followed by a comment
EMERGING_START = date(2025, 10, 1)
EMERGING_CHANNEL = "web"
EMERGING_THEME = "upload_portal"
ASK_THEME = "longer_hours"
THEME_LABEL_SHARE = 0.04  # comments staff tagged with themes
THEME_LABEL_NOISE = 0.05

PHRASES: dict[str, tuple[str, ...]] = {
    "felt_rushed": (
        "After waiting so long I felt rushed out the door",
        "I waited {wait} and then the adviser hurried me through everything",
        "felt like they just wanted me gone, five minutes after sitting there {wait}",
        "The appointment was rushed. I barely got to explain my situation",
        "they were in a hurry and cut me off mid sentence",
        "no time to ask questions, it was over before I knew it",
        "Sat in the waiting room {wait}, then got rushed through in minutes",
        "i felt hurried and not listened to",
        "Too quick, the worker kept looking at the clock",
        "was pushed out quickly after a really long wait",
        "Waited ages and then they rushed me",
        "she was rushing and didnt let me finish",
    ),
    "next_steps": (
        "Nobody explained what happens next",
        "I still dont know what I am supposed to do now",
        "left without understanding the next steps",
        "no idea what the next step is or who will contact me",
        "They didn't tell me what to expect or when I'd hear back",
        "The process was confusing and no one explained it",
        "I'm confused about what I need to send and by when",
        "Not clear what happens now with my application",
        "would have helped to know what comes next, I was left guessing",
        "unclear what paperwork they still need from me",
        "i dont understand the process at all",
    ),
    "chasing": (
        "I have had to chase the {unit} three times and still nothing",
        "Rang again to chase my {what}, still waiting on the {unit}",
        "Nobody called me back about my {what}, I keep having to follow up",
        "still waiting for a decision from the {unit} after weeks",
        "Every time I call they say it's with the {unit}",
        "no update on my {what}, I have to keep ringing to find out",
        "chasing and chasing, the {unit} never gets back to me",
        "It's been weeks and my {what} is still sitting with the {unit}",
        "had to follow up again because no one got back to me",
    ),
    "praise": (
        "Staff were kind and treated me with dignity",
        "The lady at the desk was really respectful and patient",
        "Thank you, I felt listened to and respected",
        "very helpful and polite, made me feel welcome",
        "Great service, the adviser was lovely",
        "they were friendly and took the time to help",
        "treated me like a person, not a number",
        "Brilliant staff, so caring",
    ),
    "upload_portal": (
        "The website would not let me upload my documents",
        "online form keeps crashing when I try to attach my payslips",
        "Upload failed three times on the portal",
        "cant upload the photos of my ID, the page just freezes",
        "the new online portal gives an error when submitting documents",
        "Tried to send my proof of address online but the upload button does nothing",
        "portal crashed and I lost everything I had typed",
        "the document upload is broken",
    ),
    "longer_hours": (
        "Please open in the evenings, I work days",
        "Could you offer weekend appointments?",
        "It would be better if you were open later for people who work",
        "I wish there were evening opening hours",
        "You should have appointments after 5pm",
        "please consider Saturday opening",
        "would be great if the office opened earlier or stayed open later",
        "can you have later hours, I cant get time off work",
    ),
    "none": (
        "Fine, I got what I needed",
        "It was ok",
        "no complaints",
        "All sorted thanks",
        "Everything was fine.",
        "got my question answered",
        "Quick and easy",
        "ok i suppose",
        "Nothing to add",
    ),
}
FILLERS = (
    "I came in about my {what} {when}.",
    "This was about my {what}.",
    "I rang {when} about my {what}.",
    "I have been dealing with this since {month}.",
    "My situation is already stressful with {who} being ill.",
    "I look after {who} and work part time.",
    "First time using the service.",
    "I have used the service before for my {what}.",
    "Went in with {who} {when}.",
    "Overall mixed feelings about {when}.",
    "",
    "",
    "",
    "",
)
WHEN_WORDS = ("last week", "on Monday", "this morning", "yesterday", "on Friday", "today")
WHO_WORDS = ("my mum", "my partner", "my son", "my daughter", "my dad", "my two kids")
MONTH_WORDS = ("January", "the summer", "March", "last year", "Christmas", "the spring")
UNIT_WORDS = {
    "benefits_processing": ("benefits team", "benefits office", "processing team"),
    "housing_assessment": ("housing team", "assessment team", "housing people"),
    "repairs_team": ("repairs team", "repairs department", "maintenance"),
    "records": ("records team", "admin team", "back office"),
}
WHAT_WORDS = ("claim", "application", "case", "benefits", "housing application", "repair")
WAIT_WORDS = ("over an hour", "45 minutes", "nearly two hours", "ages", "for ages", "an hour")
CONNECTORS = (". ", ". ", ", and ", ". Also ", ". On top of that ", "! ", ". But ")
FIRST = ("Sarah", "Mohammed", "Emma", "James", "Fatima", "Daniel", "Olivia", "Priya", "Tom")
LAST = ("Jones", "Khan", "Smith", "Brown", "Patel", "Wilson", "Taylor", "Okafor", "Novak")
STAFF_FIRST = ("Linda", "Gary", "Aisha", "Mark", "Joanne", "Peter", "Rosa", "Kevin")
STREETS = ("High Street", "Park Road", "Church Lane", "Station Road", "Mill Close")


@dataclass(frozen=True)
class SimulatedFeedback:
    frame: pd.DataFrame
    truth: dict[str, Any]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _misspell(rng: np.random.Generator, text: str) -> str:
    """Drop, double or swap a letter in one or two longer words."""
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not long_words:
        return text
    for i in rng.choice(long_words, size=min(len(long_words), 1 + int(rng.random() < 0.3))):
        w = words[i]
        k = int(rng.integers(1, len(w) - 1))
        op = rng.integers(0, 3)
        if op == 0:
            w = w[:k] + w[k + 1 :]
        elif op == 1:
            w = w[:k] + w[k] + w[k:]
        else:
            w = w[: k - 1] + w[k] + w[k - 1] + w[k + 1 :]
        words[i] = w
    return " ".join(words)


def _pii(rng: np.random.Generator) -> tuple[str, dict[str, str]]:
    """A sentence with one or more planted identifiers, and what was planted."""
    first, last = str(rng.choice(FIRST)), str(rng.choice(LAST))
    staff = str(rng.choice(STAFF_FIRST))
    phone = f"07{rng.integers(100, 999)} {rng.integers(100000, 999999)}"
    email = f"{first.lower()}.{last.lower()}{rng.integers(1, 99)}@example.com"
    address = f"{rng.integers(2, 120)} {rng.choice(STREETS)}"
    case = f"HX{rng.integers(100000, 999999)}"
    dob = f"{rng.integers(1, 28):02d}/{rng.integers(1, 12):02d}/{rng.integers(1950, 2004)}"
    options = (
        (f"My name is {first} {last}, call me on {phone}", {"name": first, "phone": phone}),
        (f"please email me at {email}", {"email": email}),
        (f"I spoke to {staff} at the front desk", {"name": staff}),
        (f"my number is {phone} if anyone wants to ring", {"phone": phone}),
        (f"I live at {address} and my case ref is {case}", {"address": address, "case": case}),
        (f"Thanks {staff}", {"name": staff}),
        (f"My date of birth is {dob}, reference {case}", {"dob": dob, "case": case}),
        (f"This is {first} {last}, {email}", {"name": first, "email": email}),
    )
    text, planted = options[int(rng.integers(0, len(options)))]
    return text, planted


def _phrase(rng: np.random.Generator, theme: str, backend: str) -> str:
    template = str(rng.choice(PHRASES[theme]))
    unit = str(rng.choice(UNIT_WORDS.get(backend, ("back office", "other team"))))
    return template.format(wait=rng.choice(WAIT_WORDS), unit=unit, what=rng.choice(WHAT_WORDS))


def _compose(
    rng: np.random.Generator, themes: list[str], backend: str
) -> tuple[str, dict[str, str]]:
    parts = [_phrase(rng, t, backend) for t in (themes or ["none"])]
    text = parts[0]
    for part in parts[1:]:
        text += str(rng.choice(CONNECTORS)) + (part[0].lower() + part[1:])
    filler = str(rng.choice(FILLERS)).format(
        what=rng.choice(WHAT_WORDS),
        when=rng.choice(WHEN_WORDS),
        who=rng.choice(WHO_WORDS),
        month=rng.choice(MONTH_WORDS),
    )
    if filler and rng.random() < 0.5:
        text = f"{filler} {text}" if rng.random() < 0.5 else f"{text.rstrip('.!')}. {filler}"
    if rng.random() < 0.25:
        text = _misspell(rng, text)
    if rng.random() < 0.2:
        text = text.lower()
    planted: dict[str, str] = {}
    if rng.random() < 0.06:
        sentence, planted = _pii(rng)
        text = f"{text.rstrip('.!')}. {sentence}"
    return text.strip(), planted


def simulate_feedback(
    seed: int,
    touchpoints: pd.DataFrame,
    *,
    chasing: np.ndarray,
    backend: np.ndarray,
) -> SimulatedFeedback:
    """Comments on a sample of contacts, with each one's planted themes in the truth."""
    rng = np.random.default_rng([seed, 3])
    t = touchpoints
    pick = np.flatnonzero(rng.random(len(t)) < FEEDBACK_SHARE)
    respect = t["respect"].to_numpy(dtype=float)[pick]
    explained = t["explained_next_steps"].to_numpy(dtype=float)[pick]
    wait = t["wait_minutes"].to_numpy(dtype=float)[pick]
    channel = t["channel"].to_numpy()[pick]
    started = pd.to_datetime(t["started_at"].to_numpy()[pick])
    given = (started + timedelta(days=1)).date
    r = np.nan_to_num(respect, nan=3.5)
    e = np.nan_to_num(explained, nan=3.5)
    n = len(pick)
    p = {
        "felt_rushed": _sigmoid(-2.6 + 0.05 * (wait - 20) - 0.7 * (r - 3.5)),
        "next_steps": _sigmoid(-2.2 - 1.3 * (e - 3)),
        "chasing": np.where(chasing[pick], 0.75, 0.02),
        "praise": _sigmoid(-2.4 + 1.4 * (r - 4)),
        "longer_hours": np.full(n, 0.07),
        "upload_portal": np.where(
            (channel == EMERGING_CHANNEL) & (given >= EMERGING_START), 0.45, 0.0
        ),
    }
    drawn = {theme: rng.random(n) < prob for theme, prob in p.items()}
    texts, themes_of, planted_all = [], [], []
    for i in range(n):
        themes = [k for k in p if drawn[k][i]]
        rng.shuffle(themes)
        text, planted = _compose(rng, themes, str(backend[pick[i]]))
        texts.append(text)
        themes_of.append(sorted(themes))
        planted_all.append(planted)
    score = np.clip(np.round(np.nan_to_num(respect, nan=3) + rng.normal(0, 0.5, n)), 1, 5)
    ids = [f"F{i}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "feedback_id": ids,
            "touchpoint_id": t["touchpoint_id"].to_numpy()[pick],
            "client_id": t["client_id"].to_numpy()[pick],
            "given_on": given,
            "text": texts,
            "score": score,
            "theme_label": _staff_theme_labels(seed, themes_of),
        }
    )
    return SimulatedFeedback(frame, _truth(ids, themes_of, planted_all, channel, given))


def _staff_theme_labels(seed: int, themes_of: list[list[str]]) -> list[str | None]:
    """Staff tagged a small sample of comments with themes (';'-separated), with noise."""
    rng = np.random.default_rng([seed, 4])
    out: list[str | None] = []
    all_themes = sorted(PHRASES.keys() - {"none"})
    for themes in themes_of:
        if rng.random() >= THEME_LABEL_SHARE:
            out.append(None)
            continue
        tagged = set(themes)
        if rng.random() < THEME_LABEL_NOISE:
            tagged ^= {str(rng.choice(all_themes))}
        out.append(";".join(sorted(tagged)) or "none")
    return out


def _truth(
    ids: list[str],
    themes_of: list[list[str]],
    planted: list[dict[str, str]],
    channel: np.ndarray,
    given: np.ndarray,
) -> dict[str, Any]:
    n = max(len(ids), 1)
    shares = {
        theme: sum(theme in ts for ts in themes_of) / n
        for theme in sorted(PHRASES)
        if theme != "none"
    }
    pii: dict[str, list[str]] = {}
    for item in planted:
        for kind, value in item.items():
            pii.setdefault(kind, []).append(value)
    start_day = (EMERGING_START - START).days
    return {
        "comments": dict(zip(ids, themes_of, strict=True)),
        "theme_shares": shares,
        "guided_themes": ["felt_rushed", "next_steps", "chasing", "praise"],
        "ask": {"theme": ASK_THEME, "share": shares[ASK_THEME]},
        "emerging": {
            "theme": EMERGING_THEME,
            "start": EMERGING_START.isoformat(),
            "start_day": start_day,
            "channel": EMERGING_CHANNEL,
            "comments": int(sum(EMERGING_THEME in ts for ts in themes_of)),
        },
        "planted_pii": {k: sorted(set(v)) for k, v in sorted(pii.items())},
        "channels": sorted({str(c) for c in channel}),
        "first_day": str(min(given)) if len(given) else None,
    }
