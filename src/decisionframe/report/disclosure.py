"""Disclosure control for published tables: primary and complementary cell suppression.

Primary: every cell (and every total) counting 1 to ``min_cell_size - 1`` clients is hidden.
Complementary: a row or column (totals included) with exactly one hidden cell would let a
reader subtract it back out of the total, so a second cell, the smallest visible one in
that line, is hidden too; this repeats until every line has zero or at least two hidden
cells. Zero counts are published: they say nobody, and identify no one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ProtectedTable:
    """Counts with margins; ``hidden`` marks suppressed cells of the augmented table."""

    counts: np.ndarray  # (rows + 1) x (cols + 1): last row and column are totals
    hidden: np.ndarray  # same shape, bool

    def published(self) -> list[list[int | None]]:
        return [
            [None if h else int(v) for v, h in zip(row, hidden_row, strict=True)]
            for row, hidden_row in zip(self.counts, self.hidden, strict=True)
        ]


def _lines(shape: tuple[int, int]) -> list[list[tuple[int, int]]]:
    rows, cols = shape
    return [[(r, c) for c in range(cols)] for r in range(rows)] + [
        [(r, c) for r in range(rows)] for c in range(cols)
    ]


def protect(table: np.ndarray, *, min_cell_size: int) -> ProtectedTable:
    """Suppress small cells and enough others that no hidden cell follows from the totals."""
    cells = np.asarray(table, dtype=np.int64)
    augmented = np.zeros((cells.shape[0] + 1, cells.shape[1] + 1), dtype=np.int64)
    augmented[:-1, :-1] = cells
    augmented[:-1, -1] = cells.sum(axis=1)
    augmented[-1, :-1] = cells.sum(axis=0)
    augmented[-1, -1] = cells.sum()
    hidden = (augmented > 0) & (augmented < min_cell_size)
    changed = True
    while changed:
        changed = False
        for line in _lines(augmented.shape):
            marks = [hidden[cell] for cell in line]
            if sum(marks) != 1:
                continue
            visible = [cell for cell in line if not hidden[cell]]
            if not visible:
                continue

            # hide the smallest visible cell, preferring inner cells over totals
            def cost(cell: tuple[int, int]) -> tuple[int, int]:
                is_total = cell[0] == augmented.shape[0] - 1 or cell[1] == augmented.shape[1] - 1
                return (int(is_total), int(augmented[cell]))

            hidden[min(visible, key=cost)] = True
            changed = True
    return ProtectedTable(augmented, hidden)


def safe_count(value: float, *, min_cell_size: int) -> str:
    """A single published count: shown, or 'fewer than k' (never the small number)."""
    if 0 < value < min_cell_size:
        return f"<{min_cell_size}"
    return f"{value:,.0f}"
