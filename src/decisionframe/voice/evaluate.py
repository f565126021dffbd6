"""Agreement of found themes with known (planted or hand-coded) themes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd


def primary_themes(assignments: pd.DataFrame) -> dict[str, str]:
    """Each comment's strongest theme, from the per-comment theme table."""
    if assignments.empty:
        return {}
    best = assignments.sort_values(
        ["feedback_id", "strength", "theme"], ascending=[True, False, True]
    )
    return dict(
        best.drop_duplicates("feedback_id")[["feedback_id", "theme"]].itertuples(index=False)
    )


def single_theme_ami(
    known: Mapping[str, Sequence[str]], found: Mapping[str, str], *, none: str = "none"
) -> float:
    """Adjusted mutual information between known and found themes over the comments that
    carry at most one known theme (a single label each, so any method can be compared,
    including one-topic-per-comment methods such as BERTopic)."""
    from sklearn.metrics import adjusted_mutual_info_score

    ids = [i for i, themes in known.items() if len(themes) <= 1]
    truth = [known[i][0] if known[i] else none for i in ids]
    guess = [found.get(i, none) for i in ids]
    return float(adjusted_mutual_info_score(truth, guess))
