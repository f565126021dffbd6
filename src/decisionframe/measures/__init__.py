"""Measures over time: control charts and signal rules."""

from decisionframe.measures.control import (
    ControlChart,
    Phase,
    Signal,
    control_chart,
    detect_signals,
    p_center,
    p_sigma,
    xmr_center_sigma,
)

__all__ = [
    "ControlChart",
    "Phase",
    "Signal",
    "control_chart",
    "detect_signals",
    "p_center",
    "p_sigma",
    "xmr_center_sigma",
]
