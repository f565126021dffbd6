"""How far staff agree, on the items two or more of them labelled.

Chance-corrected agreement, from the libraries that define it: Cohen's kappa for every
pair of labellers over the items both labelled (``sklearn.metrics.cohen_kappa_score``),
and Fleiss' kappa over all labellers at once (``statsmodels.stats.inter_rater``). Fleiss'
kappa needs the same number of ratings per item, so it is computed over the largest group
of items that share one number of labellers (said in the result). A kappa is None where it
is undefined: fewer than two shared items, or every label in one category (then agreement
by chance is certain and kappa is 0/0).

What is compared is each person's newest label: for contacts the class ('value',
'failure', 'unsure'; the reason is not compared), for comments the whole theme set.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PairAgreement:
    first: str
    second: str
    items: int  # labelled by both
    observed: float  # share of those where they gave the same label
    cohen_kappa: float | None


@dataclass(frozen=True)
class Agreement:
    kind: str
    labelled_items: int
    labellers: int
    shared_items: int  # labelled by two or more people
    observed: float | None  # share of agreeing pairs of labels over the shared items
    fleiss_kappa: float | None
    fleiss_items: int
    fleiss_raters: int  # labellers per item in the group Fleiss' kappa used
    pairs: tuple[PairAgreement, ...]


def _cohen(a: list[str], b: list[str]) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if len(a) < 2 or len(set(a) | set(b)) < 2:
        return None
    categories = sorted(set(a) | set(b))
    chance = sum((a.count(c) / len(a)) * (b.count(c) / len(b)) for c in categories)
    if chance >= 1.0:
        return None
    return float(cohen_kappa_score(a, b))


def _fleiss(wide: pd.DataFrame) -> tuple[float | None, int, int]:
    """Fleiss' kappa over the largest group of items with one number of labellers."""
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    raters = wide.notna().sum(axis=1)
    shared = raters[raters >= 2]
    if not len(shared):
        return None, 0, 0
    sizes = shared.value_counts()
    best = int(max(sizes.index, key=lambda m: (sizes[m], m)))
    rows = wide.loc[shared.index[shared == best]]
    if len(rows) < 2:
        return None, len(rows), best
    codes = {c: i for i, c in enumerate(sorted(set(rows.stack().dropna())))}
    if len(codes) < 2:
        return None, len(rows), best
    matrix = np.array(
        [[codes[v] for v in row.dropna()] for _, row in rows.iterrows()], dtype=np.int64
    )
    table, _ = aggregate_raters(matrix, n_cat=len(codes))
    return float(fleiss_kappa(table, method="fleiss")), len(rows), best


def agreement_of(latest: pd.DataFrame, *, kind: str) -> Agreement:
    """Agreement from each person's newest labels (columns item_id, username, label)."""
    if not len(latest):
        return Agreement(kind, 0, 0, 0, None, None, 0, 0, ())
    wide = latest.pivot(index="item_id", columns="username", values="label")
    people = [str(p) for p in wide.columns]
    pairs = []
    for first, second in combinations(people, 2):
        both = wide[[first, second]].dropna()
        if not len(both):
            continue
        a, b = both[first].astype(str).tolist(), both[second].astype(str).tolist()
        observed = float(np.mean([x == y for x, y in zip(a, b, strict=True)]))
        pairs.append(PairAgreement(first, second, len(both), round(observed, 4), _cohen(a, b)))
    shared = wide[wide.notna().sum(axis=1) >= 2]
    agreeing = total = 0
    for _, row in shared.iterrows():
        values = row.dropna().astype(str).tolist()
        for x, y in combinations(values, 2):
            total += 1
            agreeing += x == y
    fleiss, fleiss_items, fleiss_raters = _fleiss(wide)
    return Agreement(
        kind=kind,
        labelled_items=len(wide),
        labellers=len(people),
        shared_items=len(shared),
        observed=round(agreeing / total, 4) if total else None,
        fleiss_kappa=None if fleiss is None else round(fleiss, 4),
        fleiss_items=fleiss_items,
        fleiss_raters=fleiss_raters,
        pairs=tuple(
            PairAgreement(
                p.first,
                p.second,
                p.items,
                p.observed,
                None if p.cohen_kappa is None else round(p.cohen_kappa, 4),
            )
            for p in pairs
        ),
    )
