"""The disclosure layer (issue #13): no published cell of 1..k-1 distinct people, and no
hidden cell a reader can solve from the printed totals and shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from decisionframe.disclosure import (
    exposed_cells,
    group_rare,
    protect_histogram,
    protect_table,
    protect_values,
)

K = 5


def _solvable(published: list[list[int | None]]) -> list[tuple[int, int]]:
    """The test's own attacker: every hidden cell's range given the printed margins (each
    hidden cell >= 1, as zeros are printed), by linear programming. Written apart from the
    library's audit so a bug there cannot hide itself."""
    rows, cols = len(published), len(published[0])
    unknown = [(r, c) for r in range(rows) for c in range(cols) if published[r][c] is None]
    position = {cell: i for i, cell in enumerate(unknown)}
    a, b = [], []
    for line in [[(r, c) for c in range(cols)] for r in range(rows)] + [
        [(r, c) for r in range(rows)] for c in range(cols)
    ]:
        row, rhs = [0.0] * len(unknown), 0.0
        for n, cell in enumerate(line):
            sign = -1.0 if n == len(line) - 1 else 1.0
            value = published[cell[0]][cell[1]]
            if value is None:
                row[position[cell]] += sign
            else:
                rhs -= sign * value
        if any(row):
            a.append(row)
            b.append(rhs)
    solved = []
    for i, cell in enumerate(unknown):
        c = [0.0] * len(unknown)
        c[i] = 1.0
        lo = linprog(c, A_eq=a or None, b_eq=b or None, bounds=[(1, None)] * len(unknown))
        hi = linprog(
            [-x for x in c], A_eq=a or None, b_eq=b or None, bounds=[(1, None)] * len(unknown)
        )
        if lo.status == 0 and hi.status == 0 and -hi.fun - lo.fun < 0.5:
            solved.append(cell)
    return solved


# A random small organization: contacts of clients, each in a channel and a demand class.
contacts = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=120
)


@settings(max_examples=30, deadline=None)
@given(rows=contacts)
def test_no_small_cell_and_nothing_solvable(rows: list[tuple[int, int, int]]) -> None:
    frame = pd.DataFrame(rows, columns=["client", "channel", "demand"])
    channels = sorted(frame["channel"].unique())
    values = np.zeros((len(channels), 3), dtype=int)
    people = np.zeros((len(channels) + 1, 4), dtype=int)
    for i, ch in enumerate(channels):
        part = frame[frame["channel"] == ch]
        for d in range(3):
            values[i, d] = int((part["demand"] == d).sum())
            people[i, d] = part.loc[part["demand"] == d, "client"].nunique()
        people[i, 3] = part["client"].nunique()
    for d in range(3):
        people[-1, d] = frame.loc[frame["demand"] == d, "client"].nunique()
    people[-1, 3] = frame["client"].nunique()
    table = protect_table(values, min_cell_size=K, people=people)
    published = table.published()
    for r, row in enumerate(published):
        for c, value in enumerate(row):
            if value is not None and value > 0:
                assert people[r, c] >= K, "a printed cell has fewer than K distinct clients"
    assert _solvable(published) == []
    # A share printed beside a total never reveals a hidden count.
    for r in range(len(published)):
        share = table.share(r, 1)
        if share is not None:
            assert published[r][1] is not None
            assert published[r][3] is not None


def test_an_invisible_zero_column_is_no_complement() -> None:
    # the case: a 25-contact channel with 8 failures; "could not tell" all zero
    values = np.array([[17, 8, 0], [300, 40, 0], [200, 30, 0]])
    table = protect_table(values, min_cell_size=11)
    published = table.published()
    assert published[0][1] is None
    assert published[0][2] == 0  # the zero is printed, never used as the second hidden cell
    assert sum(v is None for v in published[0]) >= 2
    assert table.share(0, 1) is None
    printed_without_the_zero_column = [[row[0], row[1], row[3]] for row in published]
    assert _solvable(printed_without_the_zero_column) == []


def test_contacts_of_one_client_are_a_cell_of_one() -> None:
    values = np.array([[168, 0], [500, 90]])
    people = np.array([[1, 0], [120, 40]])
    table = protect_table(values, min_cell_size=11, people=people)
    assert table.value(0, 0) is None


def test_the_audit_finds_what_the_line_rule_misses() -> None:
    counts = np.array([[3, 20, 23], [20, 3, 23], [23, 23, 46]])
    hidden = np.zeros_like(counts, dtype=bool)
    hidden[0, 0] = hidden[0, 1] = True
    assert (0, 0) in exposed_cells(counts, hidden)  # the column total gives it away


def test_histograms_merge_small_bins_and_keep_the_total() -> None:
    bins = protect_histogram([0, 1, 2, 3, 4, 5], [1, 10, 3, 40, 2, 1], min_cell_size=11)
    assert all(b.people >= 11 for b in bins)
    assert sum(b.count for b in bins) == 57
    assert protect_histogram([0, 1], [3, 4], min_cell_size=11) == []


def test_bars_hide_a_second_bar_with_a_small_one() -> None:
    assert protect_values([7, 7, 300], min_cell_size=11).count(None) >= 2
    shown = protect_values([40, 3, 300], min_cell_size=11)
    assert shown[1] is None
    assert shown.count(None) >= 2


def test_rare_free_text_is_grouped() -> None:
    assert group_rare(
        ["benefit claim (call 11: dv refuge)", "housing"], [1, 50], min_cell_size=11
    ) == [
        "other",
        "housing",
    ]
