"""What the report's pages have in common in the app: charts as data, counts as the
disclosure layer prints them, and the project's report context.

The pages show the report's content, so they are built from the report's own context
(``report.build.report_context``: words, charts, every count already through
``disclosure``); single counts the report prints with ``safe_count`` go through it here
too (``count``), so a page can never show a number the report would hide.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from decisionframe.disclosure import safe_count
from decisionframe.report import charts
from decisionframe.web.context import published_context


class ChartData(BaseModel):
    """A chart of the report: its finding (title), its content in words (the alt text)
    and the Plotly spec the page draws with the vendored bundle (static/app.js)."""

    id: str
    title: str
    description: str
    spec: dict[str, Any]
    height: int


def chart_data(chart: charts.Chart | None) -> ChartData | None:
    if chart is None:
        return None
    return ChartData(
        id=chart.id,
        title=chart.title,
        description=chart.description,
        spec=json.loads(str(chart.spec)),
        height=chart.height,
    )


def min_cell_size(request: Request) -> int:
    return int(request.app.state.web.project().config.privacy.min_cell_size)


def count(value: float | None, k: int) -> str | None:
    """A single published count, as the report prints it ('<k' for a small one)."""
    return None if value is None else safe_count(value, min_cell_size=k)


def context(request: Request) -> dict[str, Any]:
    """The report's context for the project as it is now (cached per state of the runs)."""
    return published_context(request.app.state.web)


def utc(moment: datetime) -> datetime:
    """A stored time as UTC: the store keeps UTC without a zone (DuckDB TIMESTAMP), and the
    JSON answers promise RFC 3339 date-times, which carry one."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
