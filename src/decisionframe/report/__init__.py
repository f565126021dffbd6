"""The HTML report: templates, charts, disclosure control."""

from decisionframe.report.build import ReportResult, build_report, render_report
from decisionframe.report.disclosure import ProtectedTable, protect, safe_count
from decisionframe.report.pdf import page_count, print_pdf

__all__ = [
    "ProtectedTable",
    "ReportResult",
    "build_report",
    "page_count",
    "print_pdf",
    "protect",
    "render_report",
    "safe_count",
]
