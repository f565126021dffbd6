"""The HTML report: templates, charts, disclosure control."""

from decisionframe.report.build import ReportResult, build_report, render_report
from decisionframe.report.disclosure import ProtectedTable, protect, safe_count

__all__ = [
    "ProtectedTable",
    "ReportResult",
    "build_report",
    "protect",
    "render_report",
    "safe_count",
]
