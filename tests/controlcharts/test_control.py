"""Control-chart limits and rules against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from decisionframe.controlcharts import (
    chart_false_alarm,
    control_chart,
    detect_signals,
    p_sigma,
    within_budget,
    xmr_center_sigma,
)


def test_xmr_limits_by_hand() -> None:
    values = [10, 12, 11, 13, 12]
    # moving ranges 2, 1, 2, 1 -> mean 1.5; sigma = 1.5 / 1.128
    center, sigma = xmr_center_sigma(values)
    assert center == pytest.approx(11.6)
    assert sigma == pytest.approx(1.5 / 1.128)
    assert center + 3 * sigma == pytest.approx(11.6 + 2.66 * 1.5, abs=0.01)


def test_p_chart_sigma_by_hand() -> None:
    assert p_sigma(0.2, [100, 400]) == pytest.approx([0.04, 0.02])


def test_a_point_beyond_the_limits_is_its_own_signal() -> None:
    found = detect_signals([0, 0, 0, 3.5, 0], 0.0, [1.0] * 5, limit=3.0)
    assert found == [("point beyond the limits", 3, (3,), 3)]


def test_a_run_is_dated_at_its_first_point_and_every_point_is_marked() -> None:
    # Noise, then eight low points from index 4 (the seed case: May to January).
    values = [0.3, -0.2, 0.1, 0.4, -1.2, -1.0, -1.4, -0.9, -1.1, -1.3, -1.0, -1.2]
    found = detect_signals(values, 0.0, [1.0] * len(values), limit=9, cusum_threshold=3.0)
    [(rule, first, points, fired)] = found
    assert rule == "sustained shift (CUSUM)"
    assert first == 4
    assert points == tuple(range(4, 12))
    assert 4 < fired < 12


def test_noise_gives_no_signal() -> None:
    values = [0.5, -0.5, 1.0, -1.0, 0.2, -0.3, 0.4, -0.6, 0.1, -0.2]
    assert detect_signals(values, 0.0, [1.0] * len(values)) == []


def test_budget_holds_a_stable_report_to_five_percent() -> None:
    # 20 charts of 24 stable months, limits from the first 12: the share of reports with
    # any signal stays near the 5% budget (the classic four rules: most reports).
    rng = np.random.default_rng(7)
    reports = 60
    flagged = 0
    for _ in range(reports):
        charts = [
            control_chart("x", [str(i) for i in range(24)], rng.normal(0, 1, 24), kind="XmR")
            for _ in range(20)
        ]
        flagged += any(c.has_signal for c in within_budget(charts))
    assert flagged / reports <= 0.12
    assert chart_false_alarm(20) == pytest.approx(1 - 0.95 ** (1 / 20))


def test_reading_states_the_baseline_and_budget() -> None:
    chart = control_chart("x", [f"m{i}" for i in range(24)], [0.0, 1.0] * 12, kind="XmR")
    assert "baseline m0 to m11 (12 points)" in chart.reading
    assert "5% false-alarm budget" in chart.reading


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


def test_lag1_and_carryover_by_hand() -> None:
    from decisionframe.controlcharts.control import carryover, lag1_autocorrelation

    # d = (1, -1, 1, -1): sum of lagged products -3 over sum of squares 4
    assert lag1_autocorrelation([1, -1, 1, -1]) == pytest.approx(-0.75)
    # r = 0.2 over 6 charts of 12 months: bias-corrected (12 * 0.2 + 1) / 9, plus one SE
    phi = (12 * 0.2 + 1) / 9
    assert carryover(0.2, baseline=12, charts=6) == pytest.approx(phi + np.sqrt((1 - phi**2) / 72))
    assert carryover(-0.5, baseline=12) == pytest.approx(np.sqrt(1 / 12))  # clipped at 0
    assert carryover(0.99, baseline=12) == pytest.approx(0.8)


def _ar1_report(rng: np.random.Generator, phi: float) -> list:
    """Three measures of 7 stable AR(1) charts each (six units and their mean), 24 months."""
    periods = [str(i) for i in range(24)]
    charts = []
    for measure in ("a", "b", "c"):
        x = np.zeros((6, 24))
        x[:, 0] = rng.normal(0, 1 / np.sqrt(1 - phi**2), 6)
        for t in range(1, 24):
            x[:, t] = phi * x[:, t - 1] + rng.normal(0, 1, 6)
        for series in [*x, x.mean(axis=0)]:
            charts.append(control_chart(measure, periods, series, kind="XmR", measure=measure))
    return within_budget(charts)


def test_autocorrelated_stable_months_keep_the_report_budget() -> None:
    # Months carrying over 40% (AR(1), phi 0.4): calibrated for independent months, about a
    # third of such reports would show a signal; calibrated for the pooled, bias-corrected
    # phi, the share stays near the 5% budget (bench: 100 seeds).
    rng = np.random.default_rng(11)
    reports = [_ar1_report(rng, 0.4) for _ in range(40)]
    flagged = sum(any(c.has_signal for c in charts) for charts in reports)
    assert flagged / len(reports) <= 0.15
    phis = [charts[0].budget.carryover for charts in reports if charts[0].budget]
    assert 0.25 <= float(np.mean(phis)) <= 0.65  # pooled estimate near the true 0.4


def test_p_chart_limits_are_drawn_inside_zero_and_one() -> None:
    """Few contacts a month make binomial limits run past 0 and 1 (a new user's unit chart
    showed -0.1 to 1.1); drawn limits stop at the bounds, the signals stay as they were."""
    from decisionframe.controlcharts.control import control_chart

    shares = [0.5, 0.4, 0.6, 0.5, 0.45, 0.55, 0.5, 0.4, 0.6, 0.5, 0.5, 0.45, 0.5, 0.55]
    chart = control_chart("failure share", [f"m{i}" for i in range(14)], shares,
                          kind="p", n=[8] * 14)  # fmt: skip
    phase = chart.phases[0]
    assert min(phase.lower) < 0  # the binomial limits
    assert max(phase.upper) > 1
    drawn = chart.to_dict()["phases"][0]
    assert min(drawn["lower"]) == 0.0
    assert max(drawn["upper"]) == 1.0
    assert all(0.0 <= v <= 1.0 for v in drawn["lower"] + drawn["upper"])
