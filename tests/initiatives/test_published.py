"""Published evaluations of real policies, reproduced from the data they were made on.

Kessler and Roth (2014) studied California's switch to an active-choice question for organ
donor registration (from July 2011). The Effect (Huntington-Klein 2021, chapter 18)
estimates it by two-way fixed effects on the state-by-quarter rates of California and the
26 comparison states: -0.0225, i.e. registrations fell by about 2.2 points. The data ship in
the ``causaldata`` package (no download).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from decisionframe.initiatives import designs as d
from decisionframe.project import Project

PUBLISHED_TWFE = -0.0225  # The Effect, ch. 18, organ donation, TWFE with state and quarter FE


def _organ_panel() -> pd.DataFrame:
    causaldata = pytest.importorskip("causaldata")
    frame = causaldata.organ_donations.load_pandas().data
    year = frame["Quarter"].str[2:].astype(int)
    quarter = frame["Quarter"].str[1].astype(int)
    frame = frame.assign(period=[date(y, 3 * q - 2, 1) for y, q in zip(year, quarter, strict=True)])
    return frame.sort_values(["State", "period"])


def test_organ_donation_did_reproduces_the_published_estimate() -> None:
    frame = _organ_panel()
    wide = frame.pivot(index="State", columns="period", values="Rate")
    start = np.where(wide.index == "California", 3, wide.shape[1])  # from Q3 2011
    estimate = d.estimate_did(wide.to_numpy(), start, seed=0)
    assert estimate.estimate == pytest.approx(PUBLISHED_TWFE, abs=5e-5)
    # One treated state among 27: randomization inference enumerates all 27 assignments.
    # Four comparison states changed at least as much as California did, so p = 5/27 and
    # the interval includes zero. The book's state-clustered standard error calls the drop
    # significant, but cluster-robust errors with one treated cluster are known to reject
    # far too often (MacKinnon and Webb 2017); the randomization interval does not.
    assert estimate.assignments == 27
    assert estimate.p_value == pytest.approx(5 / 27)
    assert estimate.ci_low < PUBLISHED_TWFE < estimate.ci_high
    assert estimate.ci_low < 0 < estimate.ci_high


def test_organ_donation_through_the_project_as_a_kpi_panel(tmp_path: Path) -> None:
    """An analyst's KPI-only project: the public panel as `series`, the policy as one row."""
    frame = _organ_panel()
    (tmp_path / "data").mkdir()
    frame.assign(unit=frame["State"], measure="donor_registration", value=frame["Rate"])[
        ["unit", "period", "measure", "value"]
    ].to_csv(tmp_path / "data" / "series.csv", index=False)
    pd.DataFrame(
        [
            {
                "initiative_id": "AC",
                "name": "Active-choice question",
                "started_on": "2011-07-01",
                "units": "California",
                "measures": "donor_registration",
                "expected": "increase",
            }
        ]
    ).to_csv(tmp_path / "data" / "initiatives.csv", index=False)
    (tmp_path / "decisionframe.yaml").write_text(
        "name: Organ donation\nstore: .decisionframe/store.duckdb\nsources:\n"
        "  series: {path: data/series.csv}\n  initiatives: {path: data/initiatives.csv}\n"
    )
    project = Project(tmp_path)
    project.import_data()
    (effect,) = project.initiatives(seed=0).initiatives
    assert effect.design == "did"  # 26 comparison states: no need for a synthetic control
    assert effect.estimate == pytest.approx(PUBLISHED_TWFE, abs=5e-5)
    assert effect.ci_low is not None
    assert effect.ci_high is not None
    assert effect.ci_low < 0 < effect.ci_high
    # Three quarters before the start are enough for the pre-trend check.
    assert effect.placebos.pre_trend is not None
    assert effect.verdict == "inconclusive"
    assert "Synthetic control is not needed" in effect.why
