"""A month with fewer comments than the minimum cell size is not a point on an emerging
need's chart. A new user's report said a theme "rose from 5.2% ... to 100.0%" on the 4
comments of a month the data had barely begun (the export ended on its 1st)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from decisionframe.voice.emerging import find_emerging


def _frame(
    months: list[str], per_month: list[int], hits: list[int]
) -> tuple[pd.DataFrame, np.ndarray]:
    rows, member = [], []
    who = 0
    for month, n, k in zip(months, per_month, hits, strict=True):
        for i in range(n):
            rows.append({"month": month, "who": f"c{who}", "channel": "phone"})
            member.append(i < k)
            who += 1
    return pd.DataFrame(rows), np.array(member)[:, None]


MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def test_a_thin_last_month_is_not_an_emerging_need() -> None:
    # Ten steady months at ~5%, then a last month of 4 comments, all on the theme.
    frame, member = _frame(MONTHS[:11], [60] * 10 + [4], [3] * 10 + [4])
    found = find_emerging(frame, member, ("t",), baseline_months=6, min_cell_size=11)
    assert found == []


def test_a_real_rise_is_still_found() -> None:
    frame, member = _frame(MONTHS, [60] * 12, [3] * 8 + [20, 22, 25, 24])
    found = find_emerging(frame, member, ("t",), baseline_months=6, min_cell_size=11)
    assert [e.first_period for e in found] == ["2025-09"]
