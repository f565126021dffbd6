"""One false-claim budget per run: Benjamini-Hochberg over every effect the run judges.

A run judges many initiative x measure effects (an initiative that names no measure is
judged on all of them), each at 5%; without a rule across them, a stable organization
shows something that "worked" in a good share of runs (bench_initiatives, stable scenario:
8 of 600 effects, 7% of runs). The rule: an effect counts as found only when its
Benjamini-Hochberg adjusted p-value is at most 5% (Benjamini and Hochberg 1995).

Why this rule and not Holm's: where nothing happened every null hypothesis is true, and
then the false discovery rate BH controls is the chance of any false claim, so a stable
organization gets a false "worked" in at most about 5% of runs, which is what Holm would
give too; where some initiatives did work BH keeps the power Holm gives away, and Holm
would leave a synthetic control on 36 months (smallest conformal p-value 1/36) unable to
find anything once a run holds two effects. BH's guarantee needs the tests independent or
positively dependent (Benjamini and Yekutieli 2001); effects judged on the same months and
offices are positively dependent if anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from decisionframe.initiatives.designs import ALPHA

RULE = "Benjamini-Hochberg"


def adjusted_p_values(p_values: Sequence[float]) -> list[float]:
    """BH adjusted p-values (statsmodels' ``fdr_bh``), in the order given."""
    if not p_values:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(v) for v in multipletests(list(p_values), alpha=ALPHA, method="fdr_bh")[1]]


def rule_sentence(tests: int) -> str:
    """The rule in words, as the result and the report state it."""
    if tests <= 1:
        return "One effect was judged, so no correction for multiple comparisons applies."
    return (
        f"{tests} effects were judged in this run, so an effect counts as found only when its "
        f"{RULE} adjusted p-value is at most {ALPHA:.0%}: at most {ALPHA:.0%} of the effects "
        f"called found are expected to be chance, and where nothing changed, the chance of "
        f"any false claim is at most {ALPHA:.0%}."
    )
