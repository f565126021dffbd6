"""CLI: `report`."""

from __future__ import annotations

from pathlib import Path

import typer

from decisionframe.cli._common import console, user_errors
from decisionframe.project import Project


def report(
    directory: Path = typer.Argument(..., help="project folder"),
    out: Path | None = typer.Option(None, "--out", help="where to write the HTML file"),
) -> None:
    """Write the self-contained HTML report (works offline, safe to publish)."""
    from decisionframe.report import build_report

    with user_errors():
        path = build_report(Project(directory), out=out)
    console.print(f"Report written to {path}")
