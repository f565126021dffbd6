"""CLI: `analyze`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from decisionframe.cli._common import (
    PublishOption,
    check_publish,
    console,
    err_console,
    progress_bar,
    user_errors,
    write_json,
)
from decisionframe.effects import EvidenceResult
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
    publish: bool = PublishOption,
) -> None:
    """Estimate, refute and judge every assumption in theory.yaml."""
    check_publish(json_out, publish)
    with user_errors():
        project = Project(directory)
        for warning in project.measure_warnings():
            err_console.print(f"warning: {warning}", soft_wrap=True)
        with progress_bar("Analyzing") as update:
            result = project.analyze(seed=seed, progress=update)
    show_evidence(result)
    write_json(result, json_out, publish=publish, directory=directory)


def show_evidence(result: EvidenceResult) -> None:
    """The evidence table and each assumption's verdict sentence and advice."""
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
        effect, naive = edge.effect, edge.naive
        interval = (
            f"{_fmt(effect.estimate)} [{_fmt(effect.ci_low)}, {_fmt(effect.ci_high)}]"
            if effect is not None
            else "-"
        )
        name = edge.verdict.verdict
        style = VERDICT_STYLE.get(name, "")
        table.add_row(
            edge.edge,
            edge.assumption.estimand,
            interval,
            _fmt(naive.estimate) if naive else "-",
            f"{edge.n_used:,}",
            Text(name, style=style),
        )
    console.print(table)
    for edge in result.edges:
        console.print(f"- {edge.verdict.sentence}")
        console.print(f"  {edge.verdict.advice}", style="dim")
        overlap = edge.estimate.overlap if edge.estimate else None
        if overlap is not None and overlap.dropped:
            console.print(
                Text(
                    f"  Overlap: dropped {overlap.dropped_treated:,} treated and "
                    f"{overlap.dropped_untreated:,} untreated clients ({overlap.rule}); "
                    f"{overlap.population}.",
                    style="dim",
                )
            )
        if len(edge.specifications) > 1:
            by = "; ".join(
                f"{s.learners} {_fmt(s.effect.estimate)} [{_fmt(s.effect.ci_low)}, "
                f"{_fmt(s.effect.ci_high)}]"
                if s.effect
                else f"{s.learners} {s.note}"
                for s in edge.specifications
            )
            console.print(Text(f"  By adjustment model: {by}.", style="dim"))
    console.print(result.summary())
