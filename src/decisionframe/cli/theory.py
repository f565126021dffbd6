"""CLI: `theory check` and `plan`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from decisionframe.cli._common import console, user_errors, write_json
from decisionframe.project import Project

JsonOption = typer.Option(None, "--json", help="also write the result as JSON to this file")
theory_app = typer.Typer(help="Work with the impact theory.", no_args_is_help=True)


@theory_app.command("check")
def theory_check(
    directory: Path = typer.Argument(..., help="project folder"),
    json_out: Path | None = JsonOption,
) -> None:
    """Check theory.yaml (graph rules, and measures against the store) and identify effects."""
    with user_errors():
        result = Project(directory).theory_check()
    table = Table(
        "assumption",
        "identified by",
        "adjust for / through",
        "to measure",
        title=result.theory.question or "Impact theory",
        title_justify="left",
    )
    for item in result.identifications:
        through = item.adjustment_set or item.mediators or item.instruments
        table.add_row(
            f"{item.treatment} -> {item.outcome}",
            item.strategy if item.identified else Text("not identifiable", style="red"),
            ", ".join(through) or ("-" if item.identified else ""),
            ", ".join(item.to_measure),
        )
    console.print(table)
    for diagnostic in result.diagnostics:
        if diagnostic.severity != "info" or diagnostic.rule in _SHOWN_INFO:
            style = "yellow" if diagnostic.severity == "warning" else None
            console.print(Text(f"{diagnostic.severity}: {diagnostic.message}", style=style or ""))
    console.print(result.summary())
    write_json(result, json_out)


# Info diagnostics worth a line in the terminal (the identification is in the table).
_SHOWN_INFO = ("theory-mediator", "theory-collider", "theory-outcome-descendant")


@theory_app.command("implications")
def theory_implications(
    directory: Path = typer.Argument(..., help="project folder"),
    alpha: float = typer.Option(0.05, help="family error rate over all the tests (Holm)"),
    json_out: Path | None = JsonOption,
) -> None:
    """Test the independences the theory implies on the data: is an arrow missing?"""
    with user_errors():
        result = Project(directory).implications(alpha=alpha)
    for test in result.tests:
        style = {"fails": "red", "holds": "green"}.get(test.verdict, "")
        console.print(Text(f"{test.verdict}: ", style=style), Text(test.sentence))
    for pair in result.untestable:
        console.print(f"not testable: {pair}")
    console.print(result.summary())
    write_json(result, json_out)


@theory_app.command("dagitty")
def theory_dagitty(
    directory: Path = typer.Argument(..., help="project folder"),
) -> None:
    """Print the theory's graph as DAGitty text (paste it into dagitty.net)."""
    from decisionframe.theory.dagitty import to_dagitty

    with user_errors():
        result = Project(directory).theory_check()
    console.print(to_dagitty(result.theory), end="")


def plan(
    directory: Path = typer.Argument(..., help="project folder"),
    json_out: Path | None = JsonOption,
) -> None:
    """What to measure: testable assumptions, columns no decision needs, survey items."""
    with user_errors():
        result = Project(directory).plan()
    table = Table(
        "assumption",
        "testable now",
        "strategy",
        "start measuring",
        "why",
        title="Assumptions",
        title_justify="left",
    )
    for item in result.assumptions:
        table.add_row(
            item.edge,
            "yes" if item.testable_now else Text("no", style="red"),
            item.strategy,
            ", ".join(item.start_measuring) or "-",
            item.explanation,
        )
    console.print(table)
    unused = Table(
        "table", "column", "why", title="Collected but not decision relevant", title_justify="left"
    )
    for column in result.not_decision_relevant:
        unused.add_row(column.table, column.column, column.reason)
    console.print(unused)
    survey = Table(
        "node",
        "question",
        "scale",
        "when",
        "fills",
        "why",
        title="Draft survey items",
        title_justify="left",
    )
    for survey_item in result.survey_items:
        survey.add_row(
            survey_item.node,
            survey_item.question,
            survey_item.scale,
            survey_item.when,
            survey_item.fills,
            survey_item.why,
        )
    if result.survey_items:
        console.print(survey)
    else:
        console.print(
            "Draft survey items: none needed; every node is measured, with data for at "
            "least half of clients."
        )
    console.print(result.summary())
    write_json(result, json_out)
