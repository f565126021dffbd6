"""Emerging needs: a theme whose monthly prevalence breaks its control limits.

Each theme's share of comments per month is a p-chart (the project's control-chart code,
``decisionframe.controlcharts``): centre and Laney-corrected binomial limits from the first
``baseline_months`` months. A theme is an emerging need when it was absent or stable in
the baseline (no signal there) and rises later: a point above the upper limit, or two of
three above two sigma, or a run of eight above the centre line. A theme absent from the
baseline gets limits as if one mention had been seen in it, so that a handful of new
mentions is not a signal on its own. Charts run for all comments and for each channel,
so a need that starts in one channel is seen before the whole-service share moves.

The month it started: walking back from the first signal while the share stays above
the centre plus one sigma. Where: the channels and units holding most of the excess
mentions (observed minus what the baseline share predicts) since that month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from decisionframe.controlcharts import classic_signals as detect_signals
from decisionframe.controlcharts import p_center, p_sigma
from decisionframe.controlcharts.control import laney_factor

UP_RULES = (
    "point beyond the limits",
    "2 of 3 points beyond 2 sigma",
    "run of 8 on one side of the centre line",
)


@dataclass(frozen=True)
class Rise:
    start: int  # month index where the rise started
    signal: int  # month index of the first signal
    rule: str
    center: float
    after: float  # share from the start on


def _without_thin_months(
    counts: np.ndarray, n: np.ndarray, min_cell_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """A month with fewer than ``min_cell_size`` comments on a chart is left off it (no
    comments, no signal): 4 of 4 comments is "100%", neither a signal worth a board's
    attention nor a number the disclosure rules let anyone publish. ``counts`` may be a
    month x term matrix; ``n`` counts comments per month."""
    thin = n < min_cell_size
    if not thin.any():
        return counts, n
    counts = counts.copy()
    counts[thin] = 0
    return counts, np.where(thin, 0.0, n)


def _rise(counts: np.ndarray, n: np.ndarray, baseline: int) -> Rise | None:
    base_n = n[:baseline]
    if base_n.sum() == 0 or len(n) <= baseline:
        return None
    center = p_center(counts[:baseline], base_n)
    absent = center == 0
    center = max(center, 1.0 / float(base_n.sum()))
    values = np.where(n > 0, counts / np.maximum(n, 1), center)
    laney = 1.0 if absent else laney_factor(values[:baseline], center, base_n)
    sigma = np.array([laney * s for s in p_sigma(center, n)])
    sigma = np.where(np.isfinite(sigma), sigma, 0.0)
    in_base = detect_signals(values[:baseline], center, sigma[:baseline])
    if any(True for _ in in_base):
        return None
    found = [
        (i, rule)
        for rule, i in detect_signals(values, center, sigma)
        if i >= baseline and rule in UP_RULES and values[i] > center
    ]
    if not found:
        return None
    signal, rule = min(found)
    start = signal
    while start - 1 >= baseline and values[start - 1] > center + sigma[start - 1]:
        start -= 1
    if rule.startswith("run of 8"):
        start = min(start, max(baseline, signal - 7))
    after_n, base_total = float(n[start:].sum()), float(base_n.sum())
    after = float(counts[start:].sum() / max(1.0, after_n))
    # A rise, not a blip or a baseline that was low by chance: the share since the start
    # is at least twice the baseline's and clear of it by four standard errors of the
    # difference of two proportions (widened by the baseline's overdispersion).
    pooled = float((counts[:baseline].sum() + counts[start:].sum()) / (base_total + after_n))
    se = laney * np.sqrt(pooled * (1 - pooled) * (1 / base_total + 1 / max(1.0, after_n)))
    if after < 2 * center or (after - center) < 4 * se:
        return None
    return Rise(start, signal, rule, center, after)


@dataclass(frozen=True)
class Emerging:
    theme: str
    first_period: str
    signal_period: str
    rule: str
    chart: str  # 'all comments' or 'channel <name>'
    baseline_share: float
    share_since: float
    where: dict[str, list[str]]


def _where(frame: pd.DataFrame, member: np.ndarray, start: str, column: str, k: int) -> list[str]:
    """Categories of ``column`` holding most of the excess mentions since ``start``."""
    if column not in frame or frame[column].isna().all():
        return []
    after = frame["month"].to_numpy() >= start
    data = pd.DataFrame(
        {"c": frame[column].fillna("unknown"), "m": member, "after": after, "who": frame["who"]}
    )
    base = data[~data["after"]].groupby("c")["m"].mean()
    post = data[data["after"]]
    grouped = post.groupby("c")
    observed = grouped["m"].sum()
    expected = grouped.size() * base.reindex(observed.index).fillna(0.0)
    clients = post[post["m"]].groupby("c")["who"].nunique().reindex(observed.index).fillna(0)
    excess = (observed - expected).clip(lower=0)
    excess = excess[clients >= k]
    total = float(excess.sum())
    if total <= 0:
        return []
    out, held = [], 0.0
    for category, value in excess.sort_values(ascending=False).items():
        out.append(str(category))
        held += float(value)
        if held >= 0.6 * total:
            break
    return out


def find_emerging(
    frame: pd.DataFrame,
    membership: np.ndarray,
    theme_ids: tuple[str, ...],
    *,
    baseline_months: int,
    min_cell_size: int,
) -> list[Emerging]:
    """Themes that broke their control limits after the baseline (see the module doc)."""
    months = sorted(frame["month"].dropna().unique())
    if len(months) <= baseline_months:
        return []
    month_index = pd.Index(months)
    position = month_index.get_indexer(frame["month"])
    channels = list(frame["channel"].dropna().unique()) if "channel" in frame else []
    out = []
    for j, theme in enumerate(theme_ids):
        member = membership[:, j]
        if frame.loc[member, "who"].nunique() < min_cell_size:
            continue
        best: tuple[Rise, str] | None = None
        charts = [("all comments", np.ones(len(frame), dtype=bool))]
        charts += [(f"channel {c}", (frame["channel"] == c).to_numpy()) for c in sorted(channels)]
        for name, rows in charts:
            n = np.bincount(position[rows], minlength=len(months)).astype(float)
            counts = np.bincount(position[rows & member], minlength=len(months)).astype(float)
            counts, n = _without_thin_months(counts, n, min_cell_size)
            rise = _rise(counts, n, baseline_months)
            if rise is not None and (best is None or rise.signal < best[0].signal):
                best = (rise, name)
        if best is None:
            continue
        rise, chart = best
        start = str(months[rise.start])
        where = {
            column: _where(frame, member, start, column, min_cell_size)
            for column in ("channel", "unit")
        }
        out.append(
            Emerging(
                theme,
                start,
                str(months[rise.signal]),
                rise.rule,
                chart,
                rise.center,
                rise.after,
                where,
            )
        )
    return out


@dataclass(frozen=True)
class TermCluster:
    terms: tuple[str, ...]
    member: np.ndarray  # comments using any of the terms


def _sustained(counts: np.ndarray, n: np.ndarray, baseline: int) -> np.ndarray:
    """Per column: z of the after-baseline share against the baseline share (vectorized
    screen before the control charts; counts and n are months x terms / months)."""
    base_n = max(1.0, float(n[:baseline].sum()))
    after_n = max(1.0, float(n[baseline:].sum()))
    base = np.maximum(counts[:baseline].sum(axis=0), 1.0) / base_n
    after = counts[baseline:].sum(axis=0) / after_n
    pooled = (counts.sum(axis=0) + 1.0) / (base_n + after_n)
    return np.asarray((after - base) / np.sqrt(pooled * (1 - pooled) * (1 / base_n + 1 / after_n)))


def emerging_term_clusters(
    frame: pd.DataFrame,
    doc_terms: Any,
    term_names: tuple[str, ...],
    *,
    baseline_months: int,
    min_cell_size: int,
) -> list[TermCluster]:
    """New term clusters: terms whose monthly share of comments rose out of their limits
    after the baseline, grouped by how often they are used together."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    months = sorted(frame["month"].dropna().unique())
    if len(months) <= baseline_months or doc_terms is None or doc_terms.shape[1] == 0:
        return []
    position = pd.Index(months).get_indexer(frame["month"])
    valid = position >= 0
    binary = (doc_terms[:, : len(term_names)] > 0).astype(np.float64).tocsr()
    onehot = sparse.csr_matrix(
        (np.ones(int(valid.sum())), (position[valid], np.flatnonzero(valid))),
        shape=(len(months), len(frame)),
    )
    candidates: set[int] = set()
    groups = [np.ones(len(frame), dtype=bool)]
    if "channel" in frame:
        groups += [(frame["channel"] == c).to_numpy() for c in frame["channel"].dropna().unique()]
    df = np.asarray(binary.sum(axis=0)).ravel()
    for rows in groups:
        select = sparse.diags(rows.astype(float))
        counts = np.asarray((onehot @ select @ binary).todense())
        n = np.asarray(onehot @ rows.astype(float)).ravel()
        counts, n = _without_thin_months(counts, n, min_cell_size)
        z = _sustained(counts, n, baseline_months)
        for j in np.flatnonzero((z >= 3) & (df >= min_cell_size)):
            if _rise(counts[:, j], n, baseline_months) is not None:
                candidates.add(int(j))
    if not candidates:
        return []
    cols = np.array(sorted(candidates))
    sub = binary[:, cols]
    both = np.asarray((sub.T @ sub).todense())
    size = np.diag(both)
    jaccard = both / np.maximum(size[:, None] + size[None, :] - both, 1)
    linked = sparse.csr_matrix(jaccard >= 0.1)
    _, label = connected_components(linked, directed=False)
    clusters = []
    for c in np.unique(label):
        members = cols[label == c]
        member = np.asarray(binary[:, members].sum(axis=1)).ravel() > 0
        if frame.loc[member, "who"].nunique() < min_cell_size:
            continue
        order = members[np.argsort(-df[members])]
        clusters.append(TermCluster(tuple(term_names[j] for j in order[:8]), member))
    return clusters
