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
from decisionframe.initiatives.placebos import Placebos


def _num(value: float) -> str:
    if math.isinf(value):
        return "unbounded" if value > 0 else "-unbounded"
    return f"{value:+.3g}"


def judge(
    name: str,
    measure: str,
    estimate: Estimate,
    placebos: Placebos,
    *,
    hoped: str | None,
    meaningful: float,
    p_adjusted: float | None = None,
    tests: int = 1,
) -> tuple[str, str]:
    """(verdict, sentence); ``p_adjusted``: the effect's p-value adjusted over the ``tests``
    effects of the run (None or one test: no adjustment)."""
    interval = (
        f"{_num(estimate.estimate)} (95% interval {_num(estimate.ci_low)} to "
        f"{_num(estimate.ci_high)})"
    )
    head = f"{name} on {measure}: "
    adjusted = p_adjusted is not None and tests > 1
    rule = f" ({RULE} adjusted p {p_adjusted:.2g} over {tests} effects)" if adjusted else ""
    if estimate.excludes_zero and adjusted and p_adjusted is not None and p_adjusted > ALPHA:
        moved = "rose" if estimate.estimate > 0 else "fell"
        return "inconclusive", (
            f"{head}inconclusive. It {moved} by {interval}, but with {tests} effects judged in "
            f"this run that is within what chance gives somewhere: its {RULE} adjusted "
            f"p-value is {p_adjusted:.2g}, above {ALPHA:.0%}."
        )
    if estimate.excludes_zero:
        up = estimate.estimate > 0
        moved = "rose" if up else "fell"
        if placebos.problems:
            return "fragile", (
                f"{head}fragile. It {moved} by {interval}{rule}, but "
                f"{'; '.join(placebos.problems)}, so the change may not be the initiative's."
            )
        if hoped is None:
            verdict = "rose" if up else "fell"
            return verdict, (f"{head}{moved} by {interval}{rule}; no hoped direction was stated.")
        good = up == (hoped == "increase")
        verdict = "worked" if good else "backfired"
        return verdict, (
            f"{head}{verdict}. It {moved} by {interval}{rule}, "
            f"{'as hoped' if good else 'the opposite of what was hoped'}, and the placebo "
            "checks found nothing that would explain it."
        )
    if (
        math.isfinite(estimate.ci_low)
        and math.isfinite(estimate.ci_high)
        and max(abs(estimate.ci_low), abs(estimate.ci_high)) <= meaningful
    ):
        return "no detectable effect", (
            f"{head}no detectable effect. The change was {interval}: the interval rules out "
            f"effects larger than {meaningful:.3g} either way."
        )
    return "inconclusive", (
        f"{head}inconclusive. The change was {interval}: too uncertain to tell an effect "
        f"of {meaningful:.3g} from none."
    )
