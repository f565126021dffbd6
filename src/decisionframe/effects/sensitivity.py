"""Sensitivity to an unmeasured confounder: robustness values (Chernozhukov, Cinelli,
Newey, Sharma and Syrgkanis, 2022), computed by DoubleML from the fitted model.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any

from decisionframe.effects.estimate import FittedEffect

# A "weak" unmeasured confounder: explains 1% of the variation of both treatment and outcome
# that the measured covariates leave unexplained (outcomes like housing are mostly noise at
# the client level, so even 1% of that is not nothing).
WEAK_CONFOUNDER = 0.01


@dataclass(frozen=True)
class Sensitivity:
    robustness_value: float | None
    robustness_value_significance: float | None
    benchmark: float
    explained_away_by_weak_confounder: bool
    reading: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sensitivity_of(fitted: FittedEffect, *, treatment: str, outcome: str) -> Sensitivity:
    model = fitted.model
    if not hasattr(model, "sensitivity_analysis"):
        return Sensitivity(
            None,
            None,
            WEAK_CONFOUNDER,
            False,
            "No sensitivity analysis is available for this kind of treatment.",
        )
    with warnings.catch_warnings(record=True) as caught:
        # DoubleML 0.11 calls pandas APIs deprecated in pandas 3 (harmless), and warns when
        # it must fall back to a non-orthogonal variance estimate (we say so in the reading).
        warnings.simplefilter("always")
        model.sensitivity_analysis(cf_y=WEAK_CONFOUNDER, cf_d=WEAK_CONFOUNDER)
    approximate = any("not positive" in str(w.message) for w in caught)
    params = model.sensitivity_params
    rv, rva = float(params["rv"][0]), float(params["rva"][0])
    significant = fitted.estimate.effect.excludes_zero
    weak = significant and rva < WEAK_CONFOUNDER
    if not significant:
        reading = (
            f"The estimate is not distinguishable from zero; an unmeasured cause of {treatment} "
            f"and {outcome} would only need to explain {rv:.1%} of their remaining variation "
            "to account for what is left of it."
        )
    else:
        reading = (
            f"To explain this effect away, an unmeasured cause would need to explain {rv:.1%} "
            f"of the remaining variation in both {treatment} and {outcome} ({rva:.1%} to make "
            f"it statistically uncertain). A weak confounder explains about "
            f"{WEAK_CONFOUNDER:.0%}: "
            + ("this effect would not survive one." if weak else "this effect would survive one.")
        )
    if approximate:
        reading += " (Approximate: the treatment's remaining variation was estimated indirectly.)"
    return Sensitivity(rv, rva, WEAK_CONFOUNDER, weak, reading)
