"""Scrub personal details from free text before it is analysed, stored or shown.

What is replaced (by a bracketed tag such as ``[phone]``):

- email addresses, web addresses;
- phone numbers: runs of 7 or more digits allowing spaces, dots, dashes, brackets and a
  leading ``+`` (UK, US and international styles);
- dates of birth and any other dates written with digits (``03/04/1981``, ``1981-04-03``)
  and dates in words after "born"/"date of birth"/"DOB";
- case and reference numbers: a token of letters and digits with at least 4 digits
  (``HX123456``, ``AB-1234``), and any number after "case", "ref", "reference", "claim
  number", "account";
- postal addresses: a house number followed by up to three capitalised words and a street
  word (Street, Road, Lane, Avenue, Close, ...), and UK postcodes;
- names: a capitalised word after a greeting or introduction ("my name is", "this is",
  "I'm", "spoke to", "thanks", "ask for", "Mr/Mrs/Ms/Dr"), and any word in the first-name
  list shipped with the package (``first_names.txt``, common first names across
  languages), whether capitalised or not, plus a capitalised word that follows a
  listed first name (the surname).

Limits, said plainly: names that are not in the list and not introduced by one of the
phrases are missed ("Kowalczyk was rude"); a first name that is also a common word
(Rose, Mark, Will, Grace) is scrubbed only when capitalised and not at the start of a
sentence, so "mark" and "will" stay; street addresses without a house number or a street
word, and identifiers of fewer than four digits, are missed. Scrubbing is a first line of
defence: the store still holds the raw text, and excerpts are shown only in private
outputs and only for themes with enough distinct clients.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

TAG_EMAIL, TAG_PHONE, TAG_DATE, TAG_CASE, TAG_ADDRESS, TAG_NAME, TAG_URL = (
    "[email]",
    "[phone]",
    "[date]",
    "[case]",
    "[address]",
    "[name]",
    "[url]",
)
_AMBIGUOUS = {
    "will",
    "mark",
    "rose",
    "grace",
    "hope",
    "joy",
    "faith",
    "may",
    "june",
    "april",
    "august",
    "bill",
    "pat",
    "sue",
    "art",
    "dawn",
    "summer",
    "amber",
    "ruby",
    "jack",
    "frank",
    "guy",
    "ray",
    "rich",
    "sandy",
    "gene",
    "carol",
    "iris",
    "holly",
    "ivy",
    "lily",
    "crystal",
    "autumn",
    "skye",
    "sky",
    "river",
    "page",
    "chase",
    "miles",
    "dean",
    "major",
    "penny",
    "robin",
    "victor",
    "don",
    "drew",
    "wade",
    "lee",
    "king",
    "young",
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_DATE = re.compile(r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})\b")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_DOB_WORDS = re.compile(
    rf"\b(?:born(?: on)?|date of birth(?: is)?|d\.?o\.?b\.?:?)\s+"
    rf"(?:(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\s*,?\s*\d{{2,4}}|"
    rf"{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\s*,?\s*\d{{2,4}}|\d{{4}})",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<![\w])\+?\(?\d(?:[\s().-]{0,2}\d){6,14}(?![\w])")
_CASE_AFTER = re.compile(
    r"\b((?:case|ref|reference|claim|account|application|customer|client)"
    r"(?:\s+(?:no|number|ref|reference|id))?\.?\s*(?:is|:|#)?\s*)[A-Z0-9][A-Z0-9/-]{3,}\b",
    re.IGNORECASE,
)
_CASE_TOKEN = re.compile(r"\b(?=[A-Z0-9-]*\d{4})(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{4,}\b")
_STREET = (
    r"(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Court|Ct|Crescent|Place|"
    r"Terrace|Gardens|Grove|Square|Boulevard|Blvd|Hill|Row|Walk|Mews|Park)"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][a-z']+\s+){{1,3}}{_STREET}\b\.?", re.UNICODE
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_NAME_CUE = re.compile(
    r"\b((?i:my name is|my name's|name is|this is|i am|i'm|im|spoke to|spoke with|"
    r"talked to|speak to|speaking to|ask for|asked for|thanks to|thank you|thanks|called|"
    r"mrs|mr|ms|miss|dr))\.?\s+((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+)?)",
    re.UNICODE,
)
# After "I am"/"I'm"/"this is"/"called", a capitalised word is often not a name
# ("I'm Happy", "this is Ridiculous"): only scrub there if the word is a listed name
# or is followed by a second capitalised word.
_WEAK_CUES = {"i am", "i'm", "im", "this is", "called", "thanks", "thank you"}
_WORD = re.compile(r"[A-Za-z][\w'-]*", re.UNICODE)


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """The shipped first-name list, lower case."""
    text = resources.files("decisionframe.voice").joinpath("first_names.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _names(text: str) -> str:
    names = first_names()

    def cue(match: re.Match[str]) -> str:
        phrase, who = match.group(1), match.group(2)
        words = who.split()
        if not words[0][:1].isupper():
            return match.group(0)
        listed = words[0].lower() in names
        if phrase.lower() in _WEAK_CUES and not listed and len(words) < 2:
            return match.group(0)
        if phrase.lower() in _WEAK_CUES and not listed and not words[1][:1].isupper():
            return match.group(0)
        return match.group(0)[: match.start(2) - match.start(0)] + TAG_NAME

    text = _NAME_CUE.sub(cue, text)
    out: list[str] = []
    last = 0
    previous_name = False
    for match in _WORD.finditer(text):
        word = match.group(0)
        lower = word.lower()
        start = match.start()
        sentence_start = start == 0 or text[:start].rstrip()[-1:] in ".!?"
        is_name = lower in names and (
            lower not in _AMBIGUOUS or (word[:1].isupper() and not sentence_start)
        )
        surname = previous_name and word[:1].isupper() and lower not in names
        if is_name or surname:
            out.append(text[last:start] + TAG_NAME)
            last = match.end()
            previous_name = is_name
            continue
        previous_name = False
    out.append(text[last:])
    return re.sub(r"\[name\](?:\s+\[name\])+", TAG_NAME, "".join(out))


def scrub(text: str) -> str:
    """The text with personal details replaced by tags (see the module doc for limits)."""
    if not text:
        return text
    text = _EMAIL.sub(TAG_EMAIL, text)
    text = _URL.sub(TAG_URL, text)
    text = _DOB_WORDS.sub(TAG_DATE, text)
    text = _DATE.sub(TAG_DATE, text)
    text = _ADDRESS.sub(TAG_ADDRESS, text)
    text = _POSTCODE.sub(TAG_ADDRESS, text)
    text = _CASE_AFTER.sub(lambda m: m.group(1) + TAG_CASE, text)
    text = _CASE_TOKEN.sub(TAG_CASE, text)
    text = _PHONE.sub(TAG_PHONE, text)
    return _names(text)


PROPER_SHARE = 0.9  # of a word's mid-sentence uses capitalised: a proper noun
PROPER_MIN_USES = 2


def _mid_sentence_words(text: str) -> list[str]:
    """The words of ``text`` not at the start of a sentence (those are capitalised anyway)."""
    words = []
    for match in _WORD.finditer(text):
        before = text[: match.start()].rstrip()
        if before and before[-1] not in ".!?:\"'([":
            words.append(match.group(0))
    return words


def proper_nouns(texts: list[str]) -> set[str]:
    """Words (lower case) the corpus itself writes as proper nouns.

    A name that no cue introduces and no list holds ("please ask Bartholomew Quinceworth
    to ring me") is still written with a capital mid-sentence every time, while ordinary
    words are not; counted over all comments, that tells them apart without a list. A
    word needs ``PROPER_MIN_USES`` mid-sentence uses, ``PROPER_SHARE`` of them
    capitalised. The price: place, weekday and product names (Monday, Jobcentre) are
    scrubbed too, which errs on the side of the people in the data.
    """
    capital: dict[str, int] = {}
    uses: dict[str, int] = {}
    for text in texts:
        words = [w for w in _mid_sentence_words(text) if len(w) >= 3 and w.isalpha()]
        capitalised = [w[:1].isupper() and not w.isupper() for w in words]
        if len(words) >= 4 and sum(capitalised) > len(words) / 2:
            continue  # Title Case Text says nothing of which words are names
        for word, is_capital in zip(words, capitalised, strict=True):
            lower = word.lower()
            uses[lower] = uses.get(lower, 0) + 1
            capital[lower] = capital.get(lower, 0) + is_capital
    return {
        w for w, n in uses.items() if n >= PROPER_MIN_USES and capital.get(w, 0) >= PROPER_SHARE * n
    }


def _without(text: str, proper: set[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        return TAG_NAME if match.group(0).lower() in proper else match.group(0)

    return re.sub(r"\[name\](?:\s+\[name\])+", TAG_NAME, _WORD.sub(replace, text))


def scrub_all(texts: list[str]) -> list[str]:
    """``scrub`` over many texts (identical texts are scrubbed once), then the words the
    corpus writes as proper nouns (``proper_nouns``) replaced by ``[name]`` everywhere,
    at the start of a sentence too."""
    cache: dict[str, str] = {}
    scrubbed = [cache[t] if t in cache else cache.setdefault(t, scrub(t)) for t in texts]
    proper = proper_nouns(scrubbed)
    if not proper:
        return scrubbed
    done: dict[str, str] = {}
    return [done[t] if t in done else done.setdefault(t, _without(t, proper)) for t in scrubbed]
