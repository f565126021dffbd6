"""Asks: what people say they want changed, grouped.

A sentence is an ask when it makes a request or a suggestion: "please ...", "could/can/
would you ...", "you/they/there should ..." (but not "should have", which looks back),
"I wish ...", "it would be better/easier/nice/good/great/helpful if ...", "I would like",
"I'd like", "why not ...", "it would help ...", "suggest ...", "need(s) to ..." said of
the service ("you need to"), "more ... please". The ask sentences are grouped by NMF on
their TF-IDF terms (each sentence to its strongest group); a group is named by its top
terms and counted in comments and distinct clients.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from decisionframe.voice.themes import clean_for_model, discovered_label, quiet_nmf

_CUE = re.compile(
    r"\b(?:please|pls|plz|could you|can you|would you|could they|can they|"
    r"(?:you|they|there|staff|someone|it|the \w+|we) (?:really )?should(?! have| of)|"
    r"should (?:be|have to|let|offer|open|provide|give|make)|"
    r"i wish|wish (?:you|there|they)|if only|"
    r"(?:it|that) would be (?:\w+ ){0,2}(?:better|easier|nicer|nice|good|great|helpful|useful)|"
    r"would be (?:\w+ ){0,2}(?:better|easier|nice|good|great|helpful|useful) if|"
    r"(?:i|we)(?: would|'d|d) (?:like|love|prefer)|why not|why can't you|why don't you|"
    r"(?:it )?would help (?:if|to)|i suggest|suggestion|recommend|"
    r"(?:you|they) need to|needs? more|more \w+ please|bring back|"
    r"consider|it would be nice)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\s*\n+\s*|,\s+(?:and|but)\s+")
# A request for contact ("please call me", "please email me") is a request for a reply,
# not a change to the service.
_CONTACT_ME = re.compile(
    r"\b(?:please|pls|can you|could you)\s+(?:call|ring|phone|email|text|contact|get back to)"
    r"\s+me\b",
    re.IGNORECASE,
)


def ask_sentences(text: str) -> list[str]:
    """The sentences of a comment that ask for a change."""
    return [
        s.strip()
        for s in _SENTENCE.split(text)
        if s.strip() and _CUE.search(s) and not _CONTACT_ME.search(s)
    ]


@dataclass(frozen=True)
class AskGroups:
    ids: tuple[str, ...]
    labels: tuple[str, ...]
    terms: tuple[tuple[str, ...], ...]
    comment_index: np.ndarray  # per ask sentence: the comment it came from
    group: np.ndarray  # per ask sentence: group index, -1 when unplaced
    sentences: tuple[str, ...]


def group_asks(texts: Sequence[str], *, max_groups: int = 10, seed: int = 0) -> AskGroups:
    """Find the ask sentences in ``texts`` and group them."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    sentences, owner = [], []
    for i, text in enumerate(texts):
        for s in ask_sentences(text):
            sentences.append(s)
            owner.append(i)
    empty = AskGroups((), (), (), np.array(owner, dtype=int), np.full(len(owner), -1), ())
    if len(sentences) < 5:
        return empty
    vectorizer = TfidfVectorizer(
        token_pattern=r"(?u)\b[a-z][a-z']+\b",
        stop_words=sorted(_ASK_STOP),
        min_df=2,
        max_df=0.5,
        sublinear_tf=True,
    )
    try:
        x = vectorizer.fit_transform(clean_for_model(sentences))
    except ValueError:  # no term occurs twice
        return empty
    names = vectorizer.get_feature_names_out()
    k = max(1, min(max_groups, len(sentences) // 20, x.shape[1] - 1))
    k = min(k, x.shape[0])
    with quiet_nmf():
        w = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=300).fit(x)
    weights = w.transform(x)
    group = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    merged = _merge(w.components_)
    group = np.where(group >= 0, merged[np.maximum(group, 0)], -1)
    profiles = np.array([w.components_[merged == g].sum(axis=0) for g in range(merged.max() + 1)])
    terms = []
    for profile in profiles:
        order = np.argsort(-profile)[:6]
        terms.append(tuple(str(names[i]) for i in order if profile[i] > 0))
    ids = tuple(
        "a_" + hashlib.sha1(" ".join(sorted(t[:4])).encode()).hexdigest()[:8] for t in terms
    )
    return AskGroups(
        ids,
        tuple(discovered_label(t) for t in terms),
        tuple(terms),
        np.array(owner, dtype=int),
        group,
        tuple(sentences),
    )


def _merge(components: np.ndarray) -> np.ndarray:
    """Group index per NMF component: components asking for the same thing in other words
    share terms, so they are merged (average linkage, cosine similarity of their term
    profiles at least 0.1)."""
    if len(components) < 2:
        return np.zeros(len(components), dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(components, method="average", metric="cosine")
    labels = fcluster(tree, t=0.9, criterion="distance")
    _, index = np.unique(labels, return_inverse=True)
    return np.asarray(index, dtype=int)


# English stop words plus the request words themselves (they say *that* it is an ask,
# not *what* is asked for).
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | {
        "please",
        "pls",
        "plz",
        "could",
        "can",
        "would",
        "should",
        "wish",
        "like",
        "love",
        "better",
        "easier",
        "nice",
        "good",
        "great",
        "helpful",
        "useful",
        "help",
        "suggest",
        "suggestion",
        "recommend",
        "consider",
        "need",
        "needs",
        "want",
        "prefer",
        "really",
        "don't",
        "can't",
        "i'd",
        "it's",
        "i'm",
        "im",
        "dont",
        "cant",
        "just",
        "think",
    }


_ASK_STOP = _stop_words()
