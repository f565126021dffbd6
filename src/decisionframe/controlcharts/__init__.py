"""Control charts and signal rules: which movements in a measure are signal, not noise."""

from decisionframe.controlcharts.control import (
    Budget,
    ControlChart,
    Phase,
    Signal,
    budget_for,
    chart_false_alarm,
    classic_signals,
    control_chart,
    detect_signals,
    p_center,
    p_sigma,
    with_note,
    within_budget,
    xmr_center_sigma,
)

__all__ = [
    "Budget",
    "ControlChart",
    "Phase",
    "Signal",
    "budget_for",
    "chart_false_alarm",
    "classic_signals",
    "control_chart",
    "detect_signals",
    "p_center",
    "p_sigma",
    "with_note",
    "within_budget",
    "xmr_center_sigma",
]
