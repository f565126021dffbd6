"""LaLonde's NSW treated against the CPS survey: a real observational study with a known
experimental answer (about $1,794 on 1978 earnings), heavy imbalance, few treated.

The default estimator (as `analyze` runs it, no settings for this data set) on a seeded
subsample of the comparison group: the ATT keeps every treated person, the interval is
finite, and the answer does not depend on row order. The full-sample comparison with the
experimental answer, beside DoWhy and EconML, is bench/bench_lalonde.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decisionframe.effects.design import make_design
from decisionframe.effects.estimate import DoubleMLEstimator
from decisionframe.effects.splits import stable_order

causaldata = pytest.importorskip("causaldata")

COVARIATES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]
COLUMNS = ["treat", "re78", *COVARIATES]


def _study(n_comparison: int) -> pd.DataFrame:
    from causaldata import cps_mixtape, nsw_mixtape

    nsw = nsw_mixtape.load_pandas().data
    cps = cps_mixtape.load_pandas().data
    comparison = cps.sample(n=n_comparison, random_state=7)
    frame = pd.concat([nsw[nsw["treat"] == 1], comparison])[COLUMNS].astype(float)
    return frame.reset_index(drop=True)


def _fit(frame: pd.DataFrame) -> tuple[float, float, float, object]:
    data = stable_order(frame, COLUMNS)  # what analyze does before any fold is drawn
    design = make_design(data, treatment="treat", outcome="re78", covariates=COVARIATES)
    fitted = DoubleMLEstimator(n_rep=2).fit(design, estimand="ATT", scale=1.0, seed=0)
    e = fitted.estimate.effect
    return e.estimate, e.ci_low, e.ci_high, fitted.estimate.overlap


def test_att_on_nsw_vs_cps_keeps_every_treated_and_ignores_row_order() -> None:
    frame = _study(2500)
    n_treated = int(frame["treat"].sum())
    assert n_treated == 185
    estimate, low, high, overlap = _fit(frame)
    assert overlap is not None
    assert overlap.dropped_treated == 0
    assert overlap.kept_treated == n_treated
    assert overlap.dropped_untreated > 0  # most CPS people resemble no NSW participant
    assert np.isfinite([estimate, low, high]).all()
    assert low < estimate < high
    # Same people, rows shuffled (as another pseudonymization key would order them).
    shuffled = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    again = _fit(shuffled)
    assert again[:3] == (estimate, low, high)
    assert again[3] == overlap
