"""CLI: `analyze`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from decisionframe.cli._common import console, progress_bar, user_errors, write_json
from decisionframe.project import Project

VERDICT_STYLE = {
    "supported": "green",
    "contradicted": "red",
    "no detectable effect": "dim",
    "inconclusive": "yellow",
    "fragile": "magenta",
    "not identifiable": "red",
    "not estimable": "red",
}


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:+.3f}"


def analyze(
    directory: Path = typer.Argument(..., help="project folder"),
    seed: int = typer.Option(0, "--seed", help="seed for cross-fitting and refutations"),
    json_out: Path | None = typer.Option(None, "--json", help="also write JSON to this file"),
) -> None:
    """Estimate, refute and judge every assumption in theory.yaml."""
    with user_errors():
        project = Project(directory)
        with progress_bar("Analyzing") as update:
            result = project.analyze(seed=seed, progress=update)
    table = Table(
        "assumption",
        "estimand",
        "estimate [95% CI]",
        "naive",
        "n",
        "verdict",
        title="Evidence",
        title_justify="left",
    )
    for edge in result.edges:
        row = edge.to_dict()
        interval = (
            f"{_fmt(row['estimate'])} [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]"
            if row["estimate"] is not None
            else "-"
        )
        naive = _fmt(row["naive"]["estimate"]) if row["naive"] else "-"
        style = VERDICT_STYLE.get(row["verdict"], "")
        table.add_row(
            edge.edge,
            row["estimand"],
            interval,
            naive,
            f"{row['n_used']:,}",
            Text(str(row["verdict"]), style=style),
        )
    console.print(table)
    for edge in result.edges:
        console.print(f"- {edge.verdict.sentence}")
        console.print(f"  {edge.verdict.advice}", style="dim")
    write_json(result, json_out)
