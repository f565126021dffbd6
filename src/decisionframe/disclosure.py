"""The one disclosure layer: every number decisionframe publishes passes through here.

The data is about vulnerable people and the report is meant to be published, so a
published number may never single out a small group. The rules, for every table, chart,
chart JSON, hover text and sentence that leaves the private store:

1. **Cell size is people.** A cell's size is the number of DISTINCT clients behind it
   (and of staff, where staff are the subject), not the number of contacts or needs: one
   client's 168 contacts are a cell of one. Callers pass both what is printed (contacts,
   needs, ...) and who is behind it (``people``); without ``people`` each counted unit is
   taken to be a different person (right for per-client counts).
2. **Primary suppression.** A cell (or a total) of 1 to ``min_cell_size - 1`` people is
   hidden. Zero is published: it says nobody, and identifies no one.
3. **Complementary suppression.** A hidden cell must not follow from the printed totals.
   In every row and column (totals included) with one hidden cell a second, non-zero cell
   is hidden (a zero is no protection: a reader who knows a column is empty, such as a
   "could not tell" column that is not printed, solves the line anyway). The result is
   then audited by linear programming: every hidden cell's smallest and largest value
   consistent with everything printed (all hidden cells are at least 1, since zeros are
   printed) is computed, and while any hidden cell is pinned to one value, more cells are
   hidden.
4. **Shares follow their counts.** A share printed beside a total is a count in
   disguise (32.0% x 25 = 8): it is published only where its numerator and denominator
   both are (``ProtectedTable.share``).
5. **Histograms and series** merge neighbouring bins until none holds 1 to
   ``min_cell_size - 1`` people (``protect_histogram``); a point of a series with too few
   people is left out (``protect_points``).
6. **Free text is never published verbatim.** Categories (reason texts, unit names) with
   too few people are grouped as "other" (``group_rare``).

The functions take and return plain numbers (numpy arrays, lists), so the report, the
web pages and ``--json --publish`` all use the same rules. Private outputs (the store,
``.decisionframe/``, plain ``--json``) are not filtered: they are for the analyst.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

OTHER = "other"


@dataclass(frozen=True)
class ProtectedTable:
    """Counts with margins; ``hidden`` marks suppressed cells of the augmented table.

    ``counts`` and ``people`` are (rows + 1) x (cols + 1): the last row and column are the
    totals. ``published()`` gives what may be printed (None where hidden).
    """

    counts: np.ndarray
    people: np.ndarray
    hidden: np.ndarray

    def published(self) -> list[list[int | None]]:
        return [
            [None if h else int(v) for v, h in zip(row, hidden_row, strict=True)]
            for row, hidden_row in zip(self.counts, self.hidden, strict=True)
        ]

    def value(self, row: int, col: int) -> int | None:
        return None if self.hidden[row, col] else int(self.counts[row, col])

    def share(self, row: int, numerator: int, denominator: int = -1) -> float | None:
        """``counts[row, numerator] / counts[row, denominator]``, or None if either is hidden
        (or the denominator is zero)."""
        if self.hidden[row, numerator] or self.hidden[row, denominator]:
            return None
        total = int(self.counts[row, denominator])
        return int(self.counts[row, numerator]) / total if total else None


def is_small(people: float, *, min_cell_size: int) -> bool:
    """True for a group of 1 to ``min_cell_size - 1`` people (what may never be printed)."""
    return 0 < people < min_cell_size


def _augment(cells: np.ndarray) -> np.ndarray:
    augmented = np.zeros((cells.shape[0] + 1, cells.shape[1] + 1), dtype=np.int64)
    augmented[:-1, :-1] = cells
    augmented[:-1, -1] = cells.sum(axis=1)
    augmented[-1, :-1] = cells.sum(axis=0)
    augmented[-1, -1] = cells.sum()
    return augmented


def _people(values: np.ndarray, people: np.ndarray | None) -> np.ndarray:
    """Distinct people per augmented cell.

    Given without margins, a total's people are taken as the sum of its cells' people:
    exact only when each person is in one cell of the line. Where a person can be in
    several (a client with both value and failure contacts), pass the margins too, or a
    total of few people could look large enough to print.
    """
    if people is None:
        return _augment(values)
    given = np.asarray(people, dtype=np.int64)
    if given.shape == (values.shape[0] + 1, values.shape[1] + 1):
        return given
    if given.shape != values.shape:
        raise ValueError(f"people has shape {given.shape}, expected {values.shape} or margins")
    return _augment(given)


def _lines(shape: tuple[int, int]) -> list[list[tuple[int, int]]]:
    rows, cols = shape
    return [[(r, c) for c in range(cols)] for r in range(rows)] + [
        [(r, c) for r in range(rows)] for c in range(cols)
    ]


def _hide_complements(counts: np.ndarray, hidden: np.ndarray) -> None:
    """Until no line has exactly one hidden cell, hide the smallest non-zero visible cell of
    such a line (inner cells before totals)."""
    last_row, last_col = counts.shape[0] - 1, counts.shape[1] - 1

    def cost(cell: tuple[int, int]) -> tuple[int, int]:
        return (int(cell[0] == last_row or cell[1] == last_col), int(counts[cell]))

    changed = True
    while changed:
        changed = False
        for line in _lines(counts.shape):
            if sum(bool(hidden[cell]) for cell in line) != 1:
                continue
            candidates = [cell for cell in line if not hidden[cell] and counts[cell] > 0]
            if candidates:
                hidden[min(candidates, key=cost)] = True
                changed = True


def exposed_cells(counts: np.ndarray, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells of an augmented table that a reader can solve exactly from what is printed.

    For every hidden cell, the smallest and largest value it can take given every printed
    cell, every row and column sum (inner cells add up to their total), and that hidden
    cells are at least 1 (zeros are printed) are found by linear programming (SciPy HiGHS).
    A cell whose range is a single value is exposed.
    """
    from scipy.optimize import linprog

    cells = [(int(r), int(c)) for r, c in zip(*np.nonzero(hidden), strict=True)]
    if not cells:
        return []
    index = {cell: i for i, cell in enumerate(cells)}
    rows, cols = counts.shape
    equations, targets = [], []
    lines = [[(r, c) for c in range(cols)] for r in range(rows)]
    lines += [[(r, c) for r in range(rows)] for c in range(cols)]
    for line in lines:  # each line: inner cells minus its total = 0
        *inner, total = line
        coefficients = np.zeros(len(cells))
        constant = 0.0
        for cell, sign in [*((i, 1.0) for i in inner), (total, -1.0)]:
            if cell in index:
                coefficients[index[cell]] += sign
            else:
                constant -= sign * float(counts[cell])
        if coefficients.any():
            equations.append(coefficients)
            targets.append(constant)
    bounds = [(1, None)] * len(cells)
    a_eq = np.array(equations) if equations else None
    b_eq = np.array(targets) if targets else None
    exposed = []
    for i, cell in enumerate(cells):
        objective = np.zeros(len(cells))
        objective[i] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if low.status == 0 and high.status == 0 and -high.fun - low.fun < 0.5:
            exposed.append(cell)
    return exposed


def protect_table(
    values: np.ndarray | Sequence[Sequence[int]],
    *,
    min_cell_size: int,
    people: np.ndarray | Sequence[Sequence[int]] | None = None,
) -> ProtectedTable:
    """Suppress small cells and enough others that no hidden cell follows from the totals.

    ``values`` (rows x cols) are what would be printed; ``people`` the distinct people
    behind each cell, either rows x cols or with margins ((rows + 1) x (cols + 1), needed
    when a person can be in several cells of a line). Totals are added as the last row
    and column.
    """
    cells = np.asarray(values, dtype=np.int64)
    if cells.ndim != 2:
        raise ValueError("values must be a 2-d table")
    counts = _augment(cells)
    who = _people(cells, None if people is None else np.asarray(people))
    hidden = (counts > 0) & (who > 0) & (who < min_cell_size)
    while True:
        _hide_complements(counts, hidden)
        exposed = exposed_cells(counts, hidden)
        if not exposed:
            return ProtectedTable(counts, who, hidden)
        # Rare (the line rule above usually suffices): hide the smallest non-zero visible
        # cell in an exposed cell's row, else its column, else give up on the table.
        r, c = exposed[0]
        for line in (
            [(r, j) for j in range(counts.shape[1])],
            [(i, c) for i in range(counts.shape[0])],
        ):
            candidates = [cell for cell in line if not hidden[cell] and counts[cell] > 0]
            if candidates:
                hidden[min(candidates, key=lambda cell: int(counts[cell]))] = True
                break
        else:
            hidden[counts > 0] = True


def protect(table: np.ndarray, *, min_cell_size: int) -> ProtectedTable:
    """Backward-compatible name: ``protect_table`` with each counted unit a person."""
    return protect_table(table, min_cell_size=min_cell_size)


def protect_values(
    values: Sequence[float], *, min_cell_size: int, people: Sequence[int] | None = None
) -> list[float | None]:
    """One published row of counts (bars of a chart) and its total: each value, or None.

    Treated as a one-row table with its total, so a single hidden bar cannot be recovered
    from a total printed elsewhere: a second bar is hidden with it.
    """
    if not values:
        return []
    who = [int(p) for p in (people if people is not None else values)]
    table = protect_table([[round(v) for v in values]], min_cell_size=min_cell_size, people=[who])
    return [None if table.hidden[0, i] else values[i] for i in range(len(values))]


@dataclass(frozen=True)
class Bin:
    """A published histogram bin covering ``start`` up to (not including) ``end``."""

    start: float
    end: float
    count: int
    people: int


def protect_histogram(
    starts: Sequence[float],
    counts: Sequence[int],
    *,
    min_cell_size: int,
    width: float = 1.0,
    people: Sequence[int] | None = None,
) -> list[Bin]:
    """Merge neighbouring bins until none holds 1 to ``min_cell_size - 1`` people.

    Bins are merged left to right (a small bin joins the next), and a small last bin joins
    the one before it; bin totals are kept, so the histogram's sum is unchanged. If all the
    people together are fewer than ``min_cell_size``, nothing is published. ``people`` is
    the number of distinct people per bin (default: each counted unit is one person; the
    people of a merged bin are taken as the sum, which over-states when a person is in
    several bins, so pass distinct counts where that can happen).
    """
    who = list(people) if people is not None else [int(c) for c in counts]
    order = sorted(range(len(starts)), key=lambda i: starts[i])
    merged: list[Bin] = []
    pending: Bin | None = None
    for i in order:
        current = Bin(float(starts[i]), float(starts[i]) + width, int(counts[i]), int(who[i]))
        if pending is not None:
            current = Bin(
                pending.start,
                current.end,
                pending.count + current.count,
                pending.people + current.people,
            )
        if is_small(current.people, min_cell_size=min_cell_size):
            pending = current
        else:
            merged.append(current)
            pending = None
    if pending is not None:
        if not merged:
            return []
        last = merged.pop()
        merged.append(
            Bin(last.start, pending.end, last.count + pending.count, last.people + pending.people)
        )
    return merged


def protect_points(people: Sequence[int], *, min_cell_size: int) -> list[bool]:
    """For each point of a series (a month of a control chart): may it be published?"""
    return [not is_small(p, min_cell_size=min_cell_size) and p > 0 for p in people]


def group_rare(
    labels: Sequence[str | None], people: Sequence[int], *, min_cell_size: int, other: str = OTHER
) -> list[str]:
    """Each label, or ``other`` where fewer than ``min_cell_size`` people are behind it.

    Free text (a reason typed by staff, a unit name) can name a person; a rare one is never
    published as written. The counts of the "other" group are protected like any cell.
    """
    return [
        other if label is None or p < min_cell_size else str(label)
        for label, p in zip(labels, people, strict=True)
    ]


def safe_count(value: float, *, min_cell_size: int) -> str:
    """A single published count: shown, or 'fewer than k' (never the small number)."""
    if 0 < value < min_cell_size:
        return f"<{min_cell_size}"
    return f"{value:,.0f}"


__all__ = [
    "OTHER",
    "Bin",
    "ProtectedTable",
    "exposed_cells",
    "group_rare",
    "is_small",
    "protect",
    "protect_histogram",
    "protect_points",
    "protect_table",
    "protect_values",
    "safe_count",
]
