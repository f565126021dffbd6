"""How every number a reader sees is written: one module for the CLI, the report and the app.

A board reader compares figures across outputs, so each kind of number has one way of being
written here and nowhere else:

- probabilities: ``probability`` ('over 99%' and 'under 1%' instead of 100% and 0%, which a
  posterior never is);
- counts and money: thousands separators, never scientific notation (a budget of 1,200,000
  is not '1.2e+06');
- estimates: ``sig`` rounds to significant figures, so a sentence that multiplies two
  rounded figures stays coherent ('0.065 outcomes, about 150 at 2,300 per outcome', not
  '0.1 outcomes, about 150 at 2,303');
- changes in a share: ``points`` writes them in percentage points ('9.4 percentage points'),
  the unit a share's change is read in;
- ``plural``: '1 initiative', '3 initiatives'.

The module imports nothing of decisionframe, so analysis code (initiatives' verdict
sentences, the decision's sentences) can use it without importing the report.
"""

from __future__ import annotations

import math


def probability(p: float, decimals: int = 0) -> str:
    """A probability for a reader: 'over 99%' and 'under 1%' instead of 100% and 0%.

    ``decimals``: where a probability is compared with a threshold in the same sentence
    ('79.6% (at least 80% required)'), so rounding cannot make it seem to reach it; the
    bounds follow ('over 99.9%').
    """
    edge = 10.0 ** -(2 + decimals)
    if p > 1 - edge:
        return f"over {1 - edge:.{decimals}%}"
    if p < edge:
        return f"under {edge:.{decimals}%}"
    return f"{p:.{decimals}%}"


def sig(value: float, digits: int = 2) -> str:
    """``value`` to ``digits`` significant figures, with thousands separators and without
    scientific notation: 252989 -> '250,000', 2303 -> '2,300', 0.0937 -> '0.094', 76.3 -> '76'.

    Integers keep their precision up to ``digits`` (13 -> '13'); trailing zeros after the
    decimal point are dropped, so 0.10 -> '0.1'.
    """
    if not math.isfinite(value):
        return "unbounded" if value > 0 else "-unbounded"
    if value == 0:
        return "0"
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    if decimals <= 0:
        return f"{rounded:,.0f}"
    return f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".")


def signed(value: float, digits: int = 2) -> str:
    """``sig`` with its sign: '+0.094', '-1.2'."""
    text = sig(value, digits)
    return text if text.startswith("-") or text == "0" else "+" + text


def count(value: float) -> str:
    """A count of people, contacts or plans: '1,234'."""
    return f"{round(value):,}"


def money(value: float) -> str:
    """A sum of money, to the unit with thousands separators ('1,200,000'); a sum below 100
    keeps two decimals only when it has them (a cost of 12.50)."""
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def points(share_change: float, digits: int = 2) -> str:
    """A change in a share, in percentage points: 0.0937 -> '9.4 percentage points'."""
    value = abs(share_change) * 100
    text = sig(value, digits) if value >= 1 else sig(value, 1)
    return f"{text} percentage point{'' if text == '1' else 's'}"


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 initiative', '3 initiatives' (``many``: an irregular plural)."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
