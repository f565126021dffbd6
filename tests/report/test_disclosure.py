"""Disclosure control: no small cell is published, and no hidden cell follows from totals."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from decisionframe.report.disclosure import protect, safe_count

K = 11


@settings(max_examples=300, deadline=None)
@given(
    table=st.tuples(st.integers(1, 6), st.integers(1, 6)).flatmap(
        lambda shape: arrays(np.int64, shape, elements=st.integers(0, 60))
    )
)
def test_no_small_cell_published_and_none_derivable(table: np.ndarray) -> None:
    result = protect(table, min_cell_size=K)
    published = result.published()
    for row in published:
        for value in row:
            assert value is None or value == 0 or value >= K
    hidden = result.hidden
    rows, cols = hidden.shape
    for r in range(rows):
        for c in range(cols):
            if hidden[r, c]:
                # another hidden cell in the same row and in the same column: the row and
                # column equations each have two unknowns, so this cell cannot be solved
                assert hidden[r].sum() >= 2
                assert hidden[:, c].sum() >= 2
    # the published numbers are the true ones
    assert all(
        published[r][c] in (None, int(result.counts[r, c]))
        for r in range(rows)
        for c in range(cols)
    )


def test_hand_case() -> None:
    table = np.array([[5, 20], [30, 40]])
    result = protect(table, min_cell_size=K)
    hidden = result.hidden
    assert hidden[0, 0]
    assert hidden[0].sum() >= 2
    assert hidden[:, 0].sum() >= 2
    assert safe_count(5, min_cell_size=K) == "<11"
    assert safe_count(0, min_cell_size=K) == "0"
    assert safe_count(1234, min_cell_size=K) == "1,234"
