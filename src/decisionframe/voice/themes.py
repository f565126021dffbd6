"""Themes in free-text feedback, offline: guided (analyst-named, seed terms) and discovered.

Guided themes: a comment that uses a seed term (or a word one letter away from a seed of
five letters or more, which catches most misspellings) is a seed example; a logistic
regression on word and character n-grams, trained on the seed examples against the
rest, then finds the theme in comments worded differently. A comment carries a guided
theme when it matches a seed or the classifier gives it a probability of at least 0.5.

Discovered themes: non-negative matrix factorisation (scikit-learn's NMF) of the TF-IDF
matrix. Components that merely repeat a guided theme (cosine similarity of term profiles
of 0.5 or more) are dropped. A comment carries a discovered theme when that component
holds at least a quarter of its weight and the weight is above the component's typical
level (a fifth of its 99th percentile).

Theme ids: a guided theme's id is the analyst's key. A discovered theme's id is a hash of
its sorted top terms. When a previous run exists, its discovered themes are matched to
the new components first (one to one, best pairs first, by the larger of the Jaccard
overlap of the top terms and the cosine of rank-weighted term vectors, 0.3 or more): a
match keeps the previous id. A previous theme no component matches is carried: its top
terms become a fixed component beside the new ones, every comment's weights are refitted
against all of them together (NMF with the components held), and the carried theme
keeps its id, label and terms with its new members. So every theme of the last run is
still there under its id when data is added (its share may fall to nothing), and only a
component unlike every earlier theme gets a new id: trends stay comparable.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from decisionframe.config import GuidedTheme

TOP_TERMS = 8
_TAG = re.compile(r"\[(?:email|phone|date|case|address|name|url)\]")
_TOKEN = r"(?u)\b[a-z][a-z']+\b"


@dataclass(frozen=True)
class ThemeModel:
    """Themes found in a set of comments: which comment carries which theme, and why."""

    ids: tuple[str, ...]
    labels: tuple[str, ...]
    kinds: tuple[str, ...]  # 'guided' | 'discovered'
    terms: tuple[tuple[str, ...], ...]
    membership: np.ndarray  # comments x themes, bool
    strength: np.ndarray  # comments x themes, float in [0, 1]
    doc_terms: Any = None  # comments x (word terms, then char n-grams), sparse TF-IDF
    term_names: tuple[str, ...] = ()

    def with_theme(
        self, theme_id: str, label: str, kind: str, terms: tuple[str, ...], member: np.ndarray
    ) -> ThemeModel:
        return replace(
            self,
            ids=(*self.ids, theme_id),
            labels=(*self.labels, label),
            kinds=(*self.kinds, kind),
            terms=(*self.terms, terms),
            membership=np.column_stack([self.membership, member]),
            strength=np.column_stack([self.strength, member.astype(float)]),
        )

    def with_column(
        self, theme_id: str, member: np.ndarray, strength: np.ndarray | None = None
    ) -> ThemeModel:
        """The same themes with one theme's membership replaced (staff labels, say);
        its strength becomes ``strength``, or 1/0 where membership changed."""
        j = self.ids.index(theme_id)
        membership = self.membership.copy()
        strengths = self.strength.copy()
        if strength is None:
            changed = membership[:, j] != member
            strengths[changed, j] = member[changed].astype(float)
        else:
            strengths[:, j] = strength
        membership[:, j] = member
        return replace(self, membership=membership, strength=strengths)

    def primary(self) -> np.ndarray:
        """Index of each comment's strongest theme, -1 when it carries none."""
        if not self.ids:
            return np.full(self.membership.shape[0], -1)
        score = np.where(self.membership, self.strength, -1.0)
        best = score.argmax(axis=1)
        return np.where(self.membership.any(axis=1), best, -1)


def clean_for_model(texts: Sequence[str]) -> list[str]:
    """Lower case, scrub tags removed (so '[name]' is never a theme term), and rare
    misspellings replaced by the common word one edit away (see ``spelling_fixes``)."""
    lowered = [_TAG.sub(" ", t).lower() for t in texts]
    fixes = spelling_fixes(lowered)
    if not fixes:
        return lowered
    return [_WORDS.sub(lambda m: fixes.get(m.group(0), m.group(0)), t) for t in lowered]


_WORDS = re.compile(r"[a-z][a-z']+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _edits(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return {
        *(a + b[1:] for a, b in splits if b),
        *(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1),
        *(a + c + b[1:] for a, b in splits if b for c in _LETTERS),
        *(a + c + b for a, b in splits for c in _LETTERS),
    }


def spelling_fixes(texts: Sequence[str]) -> dict[str, str]:
    """Rare words (seen at most twice, five letters or more) that are one edit away from
    a word seen at least ten times as often: most such words are misspellings of it.

    Written here because the spelling libraries need a language dictionary; this uses
    the corpus itself, so it works for local words (street names, services) too.
    """
    from collections import Counter

    counts = Counter(w for t in texts for w in _WORDS.findall(t))
    fixes = {}
    for word, count in counts.items():
        if count > 2 or len(word) < 5:
            continue
        best = max(
            (c for c in _edits(word) if counts.get(c, 0) >= max(10 * count, 5)),
            key=lambda c: (counts[c], c),
            default=None,
        )
        if best is not None:
            fixes[word] = best
    return fixes


def _seed_pattern(seed: str, vocabulary: Sequence[str]) -> re.Pattern[str]:
    """Regex for one seed: ``word*`` is a prefix; long single words also match words one
    edit away that occur in the corpus (misspellings)."""
    seed = seed.strip().lower()
    prefix = seed.endswith("*")
    core = seed.rstrip("*")
    words = core.split()
    alternatives = [r"\s+".join(re.escape(w) for w in words) + (r"\w*" if prefix else r"\b")]
    if len(words) == 1 and len(core) >= 5:
        stem = core
        near = [
            v
            for v in vocabulary
            if v != stem and _one_edit(stem, v[: len(stem) + 1] if prefix else v)
        ]
        alternatives += [re.escape(v) + r"\b" for v in near[:50]]
    return re.compile(r"\b(?:" + "|".join(alternatives) + ")")


def _one_edit(a: str, b: str) -> bool:
    """True when b is a, or a with one letter dropped, added, changed or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def seed_matches(
    texts: Sequence[str], seeds: Sequence[str], vocabulary: Sequence[str]
) -> np.ndarray:
    patterns = [_seed_pattern(s, vocabulary) for s in seeds if s.strip().rstrip("*")]
    return np.array([any(p.search(t) for p in patterns) for t in texts], dtype=bool)


def _word_vectorizer(n: int):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        token_pattern=_TOKEN,
        stop_words="english",
        ngram_range=(1, 2),
        min_df=max(2, int(n * 0.0005)),
        max_df=0.4,
        sublinear_tf=True,
        max_features=30_000,
        dtype=np.float32,
    )


def _char_vectorizer(n: int):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 4),
        min_df=max(2, int(n * 0.0005)),
        sublinear_tf=True,
        max_features=50_000,
        dtype=np.float32,
    )


MAX_TRAIN = 40_000


def _guided(
    texts: list[str],
    themes: Mapping[str, GuidedTheme],
    features: Any,
    vocabulary: list[str],
    seed: int,
    vocabulary_all: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    n = len(texts)
    member = np.zeros((n, len(themes)), dtype=bool)
    strength = np.zeros((n, len(themes)))
    names = list(vocabulary_all)
    for j, theme in enumerate(themes.values()):
        matched = seed_matches(texts, theme.seeds, vocabulary)
        # The classifier must not see the seed terms themselves, or it learns only them.
        hidden = seed_matches(names, theme.seeds, vocabulary)
        member[:, j], strength[:, j] = expand(
            features[:, np.flatnonzero(~hidden)], matched, seed=seed
        )
    return member, strength


def expand(features: Any, seeded: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Comments like the seeded ones. Returns (member, probability).

    Positive-unlabelled learning (Elkan and Noto, 2008): a logistic regression learns
    seeded against the rest; since the rest holds unseeded members too, its probability
    is divided by its mean over the seeded comments (the chance a member is seeded) to
    estimate the chance a comment belongs. Members: seeded, or estimated chance >= 0.5.
    """
    from sklearn.linear_model import LogisticRegression

    n = len(seeded)
    prob = seeded.astype(float)
    if 10 <= seeded.sum() <= n - 10:
        rows = np.arange(n)
        if n > MAX_TRAIN:
            rows = np.sort(np.random.default_rng(seed).choice(n, MAX_TRAIN, replace=False))
        model = LogisticRegression(C=2.0, max_iter=300)
        model.fit(features[rows], seeded[rows])
        raw = model.predict_proba(features)[:, 1]
        labelled = float(raw[seeded].mean()) or 1.0
        prob = np.maximum(prob, np.clip(raw / labelled, 0.0, 1.0))
    return seeded | (prob >= 0.5), prob


def _top_terms(weights: np.ndarray, names: np.ndarray, k: int = TOP_TERMS) -> tuple[str, ...]:
    order = np.argsort(-weights)[:k]
    return tuple(str(names[i]) for i in order if weights[i] > 0)


@contextmanager
def quiet_nmf() -> Iterator[None]:
    """scikit-learn's NMF takes the square root of its float32 reconstruction error, which
    rounding can make a hair below zero: a NaN in the error it tracks, not in the factors,
    so the RuntimeWarning it prints is not the user's concern."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value encountered in sqrt", RuntimeWarning)
        yield


def discovered_label(terms: Sequence[str], k: int = 3) -> str:
    """A discovered theme's name: its first ``k`` top terms that say something new.

    Top terms mix bigrams with their own words ("people thank", "people", "thank"); a term
    sharing a word with the label so far mostly repeats it, so it is skipped (the full
    list stays in ``terms``).
    """
    chosen: list[str] = []
    said: set[str] = set()
    for term in terms:
        words = set(term.split())
        if words & said:
            continue
        chosen.append(term)
        said |= words
        if len(chosen) == k:
            break
    return " / ".join(chosen)


def discovered_id(terms: Sequence[str]) -> str:
    digest = hashlib.sha1(" ".join(sorted(terms[:5])).encode("utf-8")).hexdigest()
    return f"d_{digest[:8]}"


def _jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / max(1, len(sa | sb))


def _rank_cosine(a: Sequence[str], b: Sequence[str]) -> float:
    """Cosine of term vectors weighted 1/(rank+1): agreeing on the top terms counts most."""
    wa = {t: 1.0 / (r + 1) for r, t in enumerate(a)}
    wb = {t: 1.0 / (r + 1) for r, t in enumerate(b)}
    dot = sum(w * wb[t] for t, w in wa.items() if t in wb)
    norm = float(np.sqrt(sum(w * w for w in wa.values()) * sum(w * w for w in wb.values())))
    return dot / norm if norm else 0.0


MATCH = 0.3


def match_previous(
    terms: Sequence[Sequence[str]], previous: Mapping[str, Sequence[str]]
) -> list[str]:
    """Ids for discovered themes: the previous run's id where the top terms agree."""
    ids = [discovered_id(t) for t in terms]
    pairs = sorted(
        (
            (max(_jaccard(t, old), _rank_cosine(t, old)), i, old_id)
            for i, t in enumerate(terms)
            for old_id, old in previous.items()
        ),
        reverse=True,
    )
    used_new, used_old = set(), set()
    for score, i, old_id in pairs:
        if score < MATCH:
            break
        if i in used_new or old_id in used_old:
            continue
        ids[i] = old_id
        used_new.add(i)
        used_old.add(old_id)
    taken = set(ids) - {ids[i] for i in used_new}
    for i in range(len(ids)):  # a new id never collides with a previous theme's
        if i not in used_new and ids[i] in previous:
            ids[i] = discovered_id([*terms[i], "new"])
        taken.add(ids[i])
    return ids


def _carried_components(
    previous: Mapping[str, Sequence[str]], taken: set[str], names: np.ndarray, scale: float
) -> tuple[list[str], list[tuple[str, ...]], np.ndarray]:
    """Previous themes no new component matched, as fixed components over this run's
    vocabulary (their top terms, weighted by rank, scaled like the fitted components)."""
    index = {str(v): i for i, v in enumerate(names)}
    ids, terms, rows = [], [], []
    for theme_id, old in previous.items():
        if theme_id in taken:
            continue
        vector = np.zeros(len(names))
        for rank, term in enumerate(old):
            if term in index:
                vector[index[term]] = 1.0 / (rank + 1)
        if not vector.any():
            continue  # none of its words is used any more
        ids.append(theme_id)
        terms.append(tuple(old))
        rows.append(vector / np.linalg.norm(vector) * scale)
    return ids, terms, np.array(rows).reshape(len(rows), len(names))


GUIDED_OVERLAP = 0.6  # a discovered theme this much inside one guided theme repeats it


def _not_guided_again(discovered: np.ndarray, guided: np.ndarray) -> list[int]:
    """The discovered themes (columns) that are not mostly comments of one guided theme.

    The term-profile check above misses a component built on the guided theme's other
    phrasings ("waited 40 minutes before anyone picked up" beside the seed "hold"): its
    words differ, its comments do not. A theme from a previous run is kept regardless
    (its id must carry on); only fresh components are tested.
    """
    if guided.shape[1] == 0:
        return list(range(discovered.shape[1]))
    fresh = []
    for j in range(discovered.shape[1]):
        rows = discovered[:, j]
        inside = guided[rows].mean(axis=0) if rows.any() else np.zeros(guided.shape[1])
        if float(np.max(inside)) < GUIDED_OVERLAP:
            fresh.append(j)
    return fresh


def find_themes(
    texts: Sequence[str],
    *,
    guided: Mapping[str, GuidedTheme],
    discover: int,
    previous: Mapping[str, Sequence[str]] | None = None,
    seed: int = 0,
) -> ThemeModel:
    """Guided and discovered themes of scrubbed comments (see the module doc)."""
    from scipy import sparse
    from sklearn.decomposition import NMF

    clean = clean_for_model(texts)
    n = len(clean)
    words = _word_vectorizer(n)
    x_words = words.fit_transform(clean)
    names = words.get_feature_names_out()
    vocabulary = [v for v in names if " " not in v]
    chars = _char_vectorizer(n)
    features = sparse.hstack([x_words, chars.fit_transform(clean)]).tocsr()
    g_member, g_strength = _guided(clean, guided, x_words.tocsc(), vocabulary, seed, names)
    ids: list[str] = list(guided)
    labels = [t.label or k.replace("_", " ") for k, t in guided.items()]
    kinds = ["guided"] * len(guided)
    terms: list[tuple[str, ...]] = []
    profiles = []
    for j in range(len(guided)):
        rows = g_member[:, j]
        centroid = (
            np.asarray(x_words[rows].mean(axis=0)).ravel() if rows.any() else np.zeros(len(names))
        )
        profiles.append(centroid)
        terms.append(_top_terms(centroid, names))
    member, strength = [g_member], [g_strength]
    # One component more per guided theme: the components that only repeat a guided theme
    # are dropped below, and the spare ones keep `discover` themes for what is left.
    k = min(discover + len(guided) if discover else 0, max(0, n // 30), x_words.shape[1] - 1)
    if k >= 1:
        nmf = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=300)
        with quiet_nmf():
            w = nmf.fit_transform(x_words)
        h = nmf.components_
        keep = []
        for j in range(k):
            hj = h[j] / (np.linalg.norm(h[j]) or 1.0)
            similar = any(float(hj @ (p / (np.linalg.norm(p) or 1.0))) >= 0.5 for p in profiles)
            if not similar:
                keep.append(j)
        d_terms = [_top_terms(h[j], names) for j in keep]
        d_ids = match_previous(d_terms, previous or {})
        scale = float(np.mean(np.linalg.norm(h, axis=1))) or 1.0
        c_ids, c_terms, c_rows = _carried_components(previous or {}, set(d_ids), names, scale)
        if len(c_ids):
            from sklearn.decomposition import non_negative_factorization

            h = np.vstack([h, c_rows]).astype(x_words.dtype)
            with quiet_nmf():
                w, _, _ = non_negative_factorization(
                    x_words,
                    H=h,
                    n_components=h.shape[0],
                    init="custom",
                    update_H=False,
                    max_iter=300,
                    random_state=seed,
                )
            keep += list(range(k, k + len(c_ids)))
        if keep:
            share = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
            level = np.quantile(w, 0.99, axis=0)
            d_member = (share >= 0.25) & (w >= 0.2 * level) & (w > 0)
            fresh = _not_guided_again(d_member[:, keep[: len(d_ids)]], g_member)
            # At most `discover` fresh themes: the most prevalent (the spare components
            # were fitted for the guided ones' sake, not to discover more).
            size = d_member[:, keep[: len(d_ids)]].sum(axis=0)
            fresh = sorted(sorted(fresh, key=lambda i: -int(size[i]))[:discover])
            chosen = [keep[i] for i in fresh] + keep[len(d_ids) :]
            ids += [d_ids[i] for i in fresh] + c_ids
            labels += [discovered_label(d_terms[i]) for i in fresh]
            labels += [discovered_label(t) for t in c_terms]
            kinds += ["discovered"] * len(chosen)
            terms += [d_terms[i] for i in fresh] + c_terms
            member.append(d_member[:, chosen])
            strength.append(share[:, chosen])
    return ThemeModel(
        tuple(ids),
        tuple(labels),
        tuple(kinds),
        tuple(terms),
        np.hstack(member) if member else np.zeros((n, 0), dtype=bool),
        np.hstack(strength) if strength else np.zeros((n, 0)),
        features,
        tuple(str(v) for v in names),
    )
