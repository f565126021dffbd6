"""Instrument and front-door estimates recover effects that back-door adjustment cannot."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from decisionframe.effects import analyze
from decisionframe.effects.alternatives import estimate_frontdoor, estimate_iv
from decisionframe.frames import AnalysisFrame
from decisionframe.theory.identify import Identification
from decisionframe.theory.model import Theory


def _confounded_with_instrument(n: int, seed: int) -> pd.DataFrame:
    """u confounds t and y and is not in the frame; z moves t only."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=n)
    z = (rng.random(n) < 0.5).astype(float)
    t = 0.8 * z + 1.0 * u + rng.normal(size=n)
    y = 0.4 * t - 1.5 * u + rng.normal(size=n)
    return pd.DataFrame({"z": z, "t": t, "y": y})


def _confounded_with_front_door(n: int, seed: int) -> pd.DataFrame:
    """u confounds t and y; t acts only through m, which u does not touch."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-1.2 * u))).astype(float)
    m = 0.5 + 1.0 * t + rng.normal(0, 0.5, n)
    y = 0.6 * m - 1.0 * u + rng.normal(0, 0.5, n)
    return pd.DataFrame({"t": t, "m": m, "y": y})


def test_instrument_recovers_the_effect_where_the_naive_slope_is_biased() -> None:
    estimate = estimate_iv(
        _confounded_with_instrument(6000, 1),
        treatment="t",
        outcome="y",
        instruments=("z",),
        scale=1.0,
        seed=1,
    )
    assert estimate.effect.ci_low < 0.4 < estimate.effect.ci_high
    assert abs(estimate.naive.estimate - 0.4) > 5 * estimate.naive.se
    assert "instrumental variable (z)" in estimate.method


def test_front_door_recovers_the_effect_where_the_naive_difference_is_biased() -> None:
    truth = 1.0 * 0.6
    estimate = estimate_frontdoor(
        _confounded_with_front_door(6000, 2),
        treatment="t",
        outcome="y",
        mediators=("m",),
        scale=1.0,
        seed=2,
    )
    assert estimate.effect.ci_low < truth < estimate.effect.ci_high
    assert abs(estimate.naive.estimate - truth) > 5 * estimate.naive.se


def test_front_door_interval_covers_over_seeds() -> None:
    covered = 0
    for seed in range(20):
        estimate = estimate_frontdoor(
            _confounded_with_front_door(1500, 100 + seed),
            treatment="t",
            outcome="y",
            mediators=("m",),
            scale=1.0,
            seed=seed,
            n_folds=3,
        )
        covered += estimate.effect.ci_low < 0.6 < estimate.effect.ci_high
    assert covered >= 16  # 95% intervals: 19 expected, 16 or fewer has probability < 2%


def test_analyze_edge_estimates_an_instrumented_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    theory = Theory.model_validate(
        {
            "nodes": [
                {"id": "z", "kind": "context", "label": "z"},
                {"id": "u", "kind": "context", "label": "u"},
                {"id": "t", "kind": "intervention", "label": "t"},
                {"id": "y", "kind": "outcome", "label": "y"},
            ],
            "edges": [
                {"from": "z", "to": "t"},
                {"from": "u", "to": "t"},
                {"from": "u", "to": "y"},
                {
                    "from": "t",
                    "to": "y",
                    "assumption": {"claim": "t helps y", "expected": "increase"},
                },
            ],
        }
    )
    frame = _confounded_with_instrument(4000, 3)

    def fake_frame(*_args: Any, **_kwargs: Any) -> AnalysisFrame:
        return AnalysisFrame(frame, len(frame), {})

    identification = Identification("t", "y", "iv", instruments=("z",), explanation="iv: z")
    monkeypatch.setattr(analyze, "build_frame", fake_frame)
    monkeypatch.setattr(analyze, "identify_effect", lambda *_a: identification)
    edge = theory.assumption_edges[0]
    result = analyze.analyze_edge(
        None,  # type: ignore[arg-type]
        theory,
        edge,
        seed=0,
        min_cell_size=11,
        estimator=analyze.DoubleMLEstimator(),
        refuter=analyze.DoubleMLEstimator(),
    )
    assert result.estimate is not None
    assert result.estimate.effect.ci_low < 0.4 < result.estimate.effect.ci_high
    assert result.verdict.verdict in {"supported", "inconclusive"}
    assert result.sensitivity is not None
    assert "Not computed" in result.sensitivity.reading
