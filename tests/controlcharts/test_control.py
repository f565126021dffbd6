"""Control-chart limits and rules against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from decisionframe.controlcharts import control_chart, detect_signals, p_sigma, xmr_center_sigma


def test_xmr_limits_by_hand() -> None:
    values = [10, 12, 11, 13, 12]
    # moving ranges 2, 1, 2, 1 -> mean 1.5; sigma = 1.5 / 1.128
    center, sigma = xmr_center_sigma(values)
    assert center == pytest.approx(11.6)
    assert sigma == pytest.approx(1.5 / 1.128)
    assert center + 3 * sigma == pytest.approx(11.6 + 2.66 * 1.5, abs=0.01)


def test_p_chart_sigma_by_hand() -> None:
    assert p_sigma(0.2, [100, 400]) == pytest.approx([0.04, 0.02])


@pytest.mark.parametrize(
    ("values", "rule", "index"),
    [
        ([0, 0, 0, 3.5, 0], "point beyond the limits", 3),
        ([1] * 8, "run of 8 on one side of the centre line", 7),
        ([0, 2.5, 0, 2.5], "2 of 3 points beyond 2 sigma", 3),
        ([-1, -0.5, 0, 0.5, 1, 1.5], "trend of 6 points rising or falling", 5),
    ],
)
def test_each_rule_fires_where_expected(values: list[float], rule: str, index: int) -> None:
    found = detect_signals(values, 0.0, [1.0] * len(values))
    assert (rule, index) in found


def test_noise_gives_no_signal() -> None:
    values = [0.5, -0.5, 1.0, -1.0, 0.2, -0.3, 0.4, -0.6, 0.1, -0.2]
    assert detect_signals(values, 0.0, [1.0] * len(values)) == []


def test_after_change_points_are_judged_against_before_limits() -> None:
    rng = np.random.default_rng(0)
    before = 10 + rng.normal(0, 0.5, 12)
    after = 12 + rng.normal(0, 0.5, 10)
    values = np.concatenate([before, after])
    chart = control_chart(
        "x", [str(i) for i in range(22)], values, kind="XmR", changes=[(12, "'training'")]
    )
    assert len(chart.phases) == 2
    assert chart.phases[1].center == pytest.approx(after.mean())
    assert chart.has_signal
    assert all(s.judged_against == "baseline" for s in chart.signals)
    assert "Since 'training'" in chart.reading
    assert "moved up" in chart.reading


def test_stable_chart_reads_as_noise() -> None:
    rng = np.random.default_rng(3)
    values = 0.3 + rng.normal(0, 0.01, 20)
    chart = control_chart("share", [str(i) for i in range(20)], values, kind="p", n=[2000] * 20)
    assert not chart.has_signal
    assert "only noise" in chart.reading


def test_p_chart_of_a_share_that_never_moves_off_zero_is_noise() -> None:
    # No failure demand at all (e.g. the data cannot tell any): no spread, no crash.
    chart = control_chart(
        "share", [str(i) for i in range(12)], [0.0] * 12, kind="p", n=[100] * 12,
        changes=[(6, "'initiative'")],
    )  # fmt: skip
    assert not chart.has_signal
    assert "only noise" in chart.reading
