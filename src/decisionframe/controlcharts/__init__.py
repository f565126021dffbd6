"""Control charts and signal rules: which movements in a measure are signal, not noise."""

from decisionframe.controlcharts.control import (
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
