"""DoubleML's interactive regression model for nuisances that are all given (``external``).

Every nuisance of ``DoubleMLIRM`` comes from ``effects.crossfit``. DoubleML still splits its
own (unused) training folds by treatment arm before it looks at the external predictions:
``np.intersect1d`` of each fold's training rows with each arm, sorting ``(k - 1) n`` row
numbers per fold and arm. At 100k clients that was a tenth of `analyze`'s time (py-spy),
for index lists no learner is ever fitted on. Those training rows are only read to fit a
learner, and none is fitted when all three nuisances are external; the test folds are
kept, so the scores, the propensity processing and the sensitivity elements are computed
from exactly the same numbers (a test checks the estimates are identical).
"""

from __future__ import annotations

from typing import Any

import doubleml as dml
import numpy as np

_NUISANCES = ("ml_g0", "ml_g1", "ml_m")


class ExternalIRM(dml.DoubleMLIRM):  # type: ignore[misc]
    """``DoubleMLIRM`` that skips splitting its training folds by arm when every nuisance
    prediction is external (otherwise exactly ``DoubleMLIRM``)."""

    def _nuisance_est(
        self,
        smpls: list[tuple[np.ndarray, np.ndarray]],
        n_jobs_cv: Any,
        external_predictions: dict[str, Any],
        return_models: bool = False,
    ) -> Any:
        if all(external_predictions.get(name) is not None for name in _NUISANCES):
            no_rows = np.zeros(0, dtype=np.intp)
            smpls = [(no_rows, test) for _, test in smpls]
        return super()._nuisance_est(smpls, n_jobs_cv, external_predictions, return_models)
