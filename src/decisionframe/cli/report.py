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
) -> None:
    """Write the self-contained HTML report (works offline, safe to publish)."""
    with user_errors():
        result = Project(directory).report(out=out, allow_stale=allow_stale)
    console.print(result.summary())
    write_json(result, json_out)
