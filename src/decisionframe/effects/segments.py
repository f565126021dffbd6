"""Effects by segment (group average treatment effects from the fitted DML scores)."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from decisionframe.effects.estimate import FittedEffect, Interval

MAX_SEGMENT_LEVELS = 8


@dataclass(frozen=True)
class SegmentEffect:
    variable: str
    segment: str
    n: int
    effect: Interval

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_segment_variable(values: pd.Series) -> bool:
    """Categorical enough to break effects down by: text, boolean, or few whole numbers."""
    levels = values.dropna().nunique()
    if levels < 2 or levels > MAX_SEGMENT_LEVELS:
        return False
    if pd.api.types.is_float_dtype(values):
        return bool((values.dropna() % 1 == 0).all())
    return True


def effects_by_segment(
    fitted: FittedEffect, segments: dict[str, pd.Series], *, min_cell_size: int
) -> tuple[SegmentEffect, ...]:
    """Per segment effect with interval; segments under ``min_cell_size`` are pooled or hidden."""
    model = fitted.ate_model if fitted.ate_model is not None else fitted.model
    if not hasattr(model, "gate"):
        return ()
    out: list[SegmentEffect] = []
    for variable, values in segments.items():
        labels = values.to_numpy()[fitted.kept]
        text = pd.Series(labels).astype("string").fillna("missing")
        counts = text.value_counts()
        small = counts[counts < min_cell_size].index
        if len(small):
            text = text.where(~text.isin(small), "other (small groups pooled)")
            counts = text.value_counts()
            if counts.get("other (small groups pooled)", min_cell_size) < min_cell_size:
                text = text.where(text != "other (small groups pooled)", None)
        groups = pd.get_dummies(text, dtype=bool)
        if groups.shape[1] < 2:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            blp = model.gate(groups=groups)
            coef = np.asarray(blp.coef, dtype=float)
            se = np.asarray(blp.se, dtype=float)
        scale = fitted.estimate.scale
        for j, name in enumerate(groups.columns):
            out.append(
                SegmentEffect(
                    variable,
                    str(name),
                    int(groups[name].sum()),
                    Interval.normal(float(coef[j]), float(se[j]), scale),
                )
            )
    return tuple(out)
