"""CLI: `report`."""

from __future__ import annotations

from pathlib import Path

import typer

from decisionframe.cli._common import AllowStaleOption, JsonOption, console, user_errors, write_json
from decisionframe.project import Project


def report(
    directory: Path = typer.Argument(..., help="project folder"),
    out: Path | None = typer.Option(None, "--out", help="where to write the HTML file"),
    allow_stale: bool = AllowStaleOption,
    json_out: Path | None = JsonOption,
    pdf: bool = typer.Option(
        False, "--pdf", help="also print it to PDF (beside the HTML) through headless Chromium"
    ),
) -> None:
    """Write the self-contained HTML report (works offline, safe to publish)."""
    from decisionframe.report import page_count, print_pdf

    with user_errors():
        result = Project(directory).report(out=out, allow_stale=allow_stale)
        console.print(result.summary())
        if pdf:
            printed = print_pdf(Path(result.path))
            console.print(f"PDF written to {printed} ({page_count(printed)} pages)")
    write_json(result, json_out)
