"""A small specification table: the estimate under each candidate learner alone.

The estimate itself uses the stack (``effects.learners``); this table shows what each
candidate family alone would have said, on the estimate's own trimmed sample and first
split's folds, so a reader sees whether the answer rests on the choice of model. A family
inside the stack is read from its own out-of-fold predictions in the stack's first split
(the stack fits every member in every fold, so no re-fit is needed); a family the stack left
out is fitted alone on the first split. A
candidate whose fit cannot run is shown as such rather than left out silently.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from decisionframe.effects.estimate import Estimator, FittedEffect, Interval
from decisionframe.effects.learners import FAMILIES, LearnerChoice

LABELS = {"linear": "linear", "regularized": "ridge", "boosting": "gradient boosting"}


@dataclass(frozen=True)
class Specification:
    learners: str
    effect: Interval | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Specification:
        effect = data.get("effect")
        return cls(data["learners"], Interval.from_dict(effect) if effect else None, data["note"])


def specification_table(
    fitted: FittedEffect, estimator: Estimator, *, seed: int
) -> tuple[Specification, ...]:
    """The stack's estimate (all splits) and each candidate family's (first split)."""
    est, plan = fitted.estimate, fitted.plan
    rows = [Specification("stack (used)", est.effect, "all repeated splits")]
    if plan is None or fitted.design.x.shape[1] == 0:
        return tuple(rows)
    for family in FAMILIES:
        try:
            own = fitted.specify(family) if fitted.specify is not None else None
            if own is not None:
                rows.append(Specification(LABELS[family], own, "first split"))
                continue
            effect = estimator.fit(
                fitted.design,
                estimand=est.estimand,
                scale=est.scale,
                seed=seed,
                learners=(
                    fitted.learners.only(family) if fitted.learners else LearnerChoice.fixed(family)
                ),
                plan=plan.first(),
            ).estimate.effect
            rows.append(Specification(LABELS[family], effect, "first split"))
        except (ValueError, ArithmeticError) as exc:
            rows.append(
                Specification(LABELS[family], None, f"could not run ({type(exc).__name__})")
            )
    return tuple(rows)
