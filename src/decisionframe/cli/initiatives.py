"""CLI: `initiatives` (did it work?)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from decisionframe.cli._common import (
    PublishOption,
    check_publish,
    console,
    progress_bar,
    user_errors,
    write_json,
)
from decisionframe.initiatives.verdict import table_cells
from decisionframe.project import Project
from decisionframe.report.initiatives import DESIGN_NAMES


def initiatives(
    directory: Path = typer.Argument(..., help="project folder"),
    seed: int = typer.Option(0, "--seed", help="seed for the randomization inference"),
    json_out: Path | None = typer.Option(None, "--json", help="also write JSON to this file"),
    publish: bool = PublishOption,
) -> None:
    """Did each initiative work? An effect per initiative and measure, with placebo checks."""
    check_publish(json_out, publish)
    with user_errors(), progress_bar("Initiatives") as update:
        result = Project(directory).initiatives(seed=seed, progress=update)
    table = Table(
        "initiative", "measure", "design", "estimate", "95% interval", "verdict",
        title="Initiatives", title_justify="left",
    )  # fmt: skip
    for e in result.initiatives:
        estimate, interval = table_cells(e.estimate, e.ci_low, e.ci_high, e.unit)
        table.add_row(
            e.name,
            e.words.label,
            DESIGN_NAMES.get(e.design, e.design),
            estimate,
            interval,
            e.verdict,
        )
    console.print(table)
    for e in result.initiatives:
        console.print(f"- {e.sentence} {e.why}")
    for note in result.notes:
        console.print(note, style="dim")
    console.print(result.summary())
    if result.multiplicity:
        console.print(result.multiplicity)
    write_json(result, json_out, publish=publish, directory=directory)
