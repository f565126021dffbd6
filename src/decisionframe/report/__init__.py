"""The HTML report: templates, charts, disclosure control."""

from decisionframe.report.build import build_report
from decisionframe.report.disclosure import ProtectedTable, protect, safe_count

__all__ = ["ProtectedTable", "build_report", "protect", "safe_count"]
