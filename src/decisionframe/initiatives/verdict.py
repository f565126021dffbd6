"""The verdict, in words like the assumptions': worked, no detectable effect, backfired,
inconclusive, fragile; one sentence with the interval.

- worked / backfired: the interval excludes zero, the effect survives the run's rule for
  multiple comparisons (``multiplicity``: Benjamini-Hochberg over every effect judged),
  it lies in (against) the hoped direction, and the placebo battery found nothing wrong;
- fragile: the interval excludes zero but a placebo check failed (a pre-trend, pretend
  dates that also show an 'effect', or one unit that reverses it);
- no detectable effect: the interval includes zero and rules out changes larger than half
  a standard deviation of the measure before the start, either way;
- inconclusive: the interval includes zero and is too wide to rule such changes out, or it
  excludes zero but not by enough once the run's many comparisons are counted (or the
  data allow no design).
Without a hoped direction a found effect is reported as a rise or a fall, never 'worked'.
"""

from __future__ import annotations

import math

from decisionframe.initiatives.designs import ALPHA, Estimate
from decisionframe.initiatives.multiplicity import RULE
from decisionframe.initiatives.panel import MeasureWords
from decisionframe.initiatives.placebos import Placebos
from decisionframe.numbers import points, sig, signed

UNIT_WORDS = {"days": "days", "minutes": "minutes"}


def _num(value: float, unit: str = "") -> str:
    """A signed value in the measure's unit: a share's change in points ('+5.6')."""
    if math.isinf(value):
        return "unbounded" if value > 0 else "-unbounded"
    return signed(value * 100 if unit == "share" else value)


def interval_words(low: float, high: float, unit: str) -> str:
    """'95% interval +2.5 to +8.8 percentage points', '... -1.5 to -0.93 days'."""
    tail = {"share": " percentage points", **{k: " " + v for k, v in UNIT_WORDS.items()}}
    return f"95% interval {_num(low, unit)} to {_num(high, unit)}{tail.get(unit, '')}"


def size_words(value: float, unit: str) -> str:
    """The size of a change without its sign: '5.6 percentage points', '1.2 days', '0.016'."""
    if unit == "share":
        return points(value)
    if unit in UNIT_WORDS:
        return f"{sig(abs(value))} {UNIT_WORDS[unit]}"
    return f"{sig(abs(value))} (on the measure's own scale)"


def change_words(value: float, words: MeasureWords) -> str:
    """'9.4 percentage points more needs resolved at the first contact', 'rose by 1.2 days'."""
    if words.unit == "share" and words.noun:
        return f"{points(value)} {'more' if value > 0 else 'fewer'} {words.noun}"
    return f"{'rose' if value > 0 else 'fell'} by {size_words(value, words.unit)}"


def judge(
    name: str,
    measure: MeasureWords,
    estimate: Estimate,
    placebos: Placebos,
    *,
    hoped: str | None,
    meaningful: float,
    p_adjusted: float | None = None,
    tests: int = 1,
) -> tuple[str, str]:
    """(verdict, sentence); ``p_adjusted``: the effect's p-value adjusted over the ``tests``
    effects of the run (None or one test: no adjustment).

    The sentence writes the effect in the measure's unit (``measure.unit``): a share's in
    percentage points, with the interval as given (already bounded to what a share can do,
    ``analyze.bounded``)."""
    unit = measure.unit
    what = change_words(estimate.estimate, measure)
    moved = f"{'It ' if not what[0].isdigit() else ''}{what}"
    interval = f"({interval_words(estimate.ci_low, estimate.ci_high, unit)})"
    change = f"{_num(estimate.estimate, unit)} {interval}"
    if unit == "share":
        change = f"{signed(estimate.estimate * 100)} percentage points {interval}"
    elif unit in UNIT_WORDS:
        change = f"{signed(estimate.estimate)} {UNIT_WORDS[unit]} {interval}"
    small = size_words(meaningful, unit)
    head = f"{name} on {measure.label}: "
    adjusted = p_adjusted is not None and tests > 1
    rule = f" ({RULE} adjusted p {p_adjusted:.2g} over {tests} effects)" if adjusted else ""
    if estimate.excludes_zero and adjusted and p_adjusted is not None and p_adjusted > ALPHA:
        return "inconclusive", (
            f"{head}inconclusive. {moved} {interval}, but with {tests} effects judged in "
            f"this run that is within what chance gives somewhere: its {RULE} adjusted "
            f"p-value is {p_adjusted:.2g}, above {ALPHA:.0%}."
        )
    if estimate.excludes_zero:
        up = estimate.estimate > 0
        if placebos.problems:
            return "fragile", (
                f"{head}fragile. {moved} {interval}{rule}, but "
                f"{'; '.join(placebos.problems)}, so the change may not be the initiative's."
            )
        if hoped is None:
            verdict = "rose" if up else "fell"
            return verdict, (f"{head}{what} {interval}{rule}; no hoped direction was stated.")
        good = up == (hoped == "increase")
        verdict = "worked" if good else "backfired"
        return verdict, (
            f"{head}{verdict}. {moved} {interval}{rule}, "
            f"{'as hoped' if good else 'the opposite of what was hoped'}, and the placebo "
            "checks found nothing that would explain it."
        )
    if (
        math.isfinite(estimate.ci_low)
        and math.isfinite(estimate.ci_high)
        and max(abs(estimate.ci_low), abs(estimate.ci_high)) <= meaningful
    ):
        return "no detectable effect", (
            f"{head}no detectable effect. The change was {change}: the interval rules out "
            f"effects larger than {small} either way."
        )
    return "inconclusive", (
        f"{head}inconclusive. The change was {change}: too uncertain to tell an effect "
        f"of {small} from none."
    )


def table_cells(
    estimate: float | None, low: float | None, high: float | None, unit: str
) -> tuple[str, str]:
    """The estimate and interval columns of a table, in the measure's unit:
    ('+5.6 points', '+2.5 to +8.8 points'), ('-1.2 days', '-1.5 to -0.93 days')."""
    tail = {"share": " points", **{k: " " + v for k, v in UNIT_WORDS.items()}}.get(unit, "")
    if estimate is None:
        return "", ""
    est = f"{_num(estimate, unit)}{tail}"
    if low is None or high is None:
        return est, ""
    return est, f"{_num(low, unit)} to {_num(high, unit)}{tail}"
