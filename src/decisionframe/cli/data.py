"""CLI commands for the project folder and its data: init, simulate, import, status."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from decisionframe.cli._common import console, progress_bar, user_errors, write_json
from decisionframe.errors import ProblemsError
from decisionframe.project import Project, init_project
from decisionframe.simulate import SCENARIOS, SERIES_SCENARIOS, simulate_project

JsonOption = typer.Option(None, "--json", help="also write the result as JSON to this file")


def init(directory: Path = typer.Argument(..., help="project folder to create")) -> None:
    """Scaffold a project folder with a commented decisionframe.yaml and theory.yaml."""
    with user_errors():
        created = init_project(directory)
    console.print(f"Created project in {directory}: {', '.join(created)}")
    console.print(
        "Next: put your exports in data/, edit decisionframe.yaml, then "
        f"`decisionframe import {directory}`."
    )


def simulate(
    directory: Path = typer.Argument(..., help="project folder to write"),
    clients: int | None = typer.Option(
        None, "--clients", help="number of clients to simulate (default 5000; not for series)"
    ),
    seed: int = typer.Option(1, "--seed", help="random seed (same seed, same data)"),
    scenario: str = typer.Option(
        "service-matters",
        "--scenario",
        help=f"one of: {', '.join([*SCENARIOS, *SERIES_SCENARIOS])}",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing project"),
    json_out: Path | None = JsonOption,
) -> None:
    """Write a simulated service organization (data, config, theory) and its truth.json."""
    with (
        user_errors(),
        console.status(f"Simulating {clients:,} clients..." if clients else "Simulating..."),
    ):
        result = simulate_project(
            directory, n_clients=clients, seed=seed, scenario=scenario, overwrite=overwrite
        )
    console.print(result.summary())
    write_json(result, json_out)


class RefusedImport:
    """A refused import as a result for --json: the summary and every problem."""

    def __init__(self, error: ProblemsError) -> None:
        self.error = error

    def summary(self) -> str:
        return self.error.summary

    def to_dict(self) -> dict[str, object]:
        return {
            "refused": True,
            "summary": self.error.summary,
            "problems": [p.to_dict() for p in self.error.problems],
        }


def import_(
    directory: Path = typer.Argument(..., help="project folder"),
    json_out: Path | None = JsonOption,
) -> None:
    """Validate and load every source file, all-or-nothing."""
    with user_errors():
        project = Project(directory)
        try:
            with progress_bar("Importing") as update:
                result = project.import_data(progress=update)
        except ProblemsError as error:
            # A refused import still writes its --json: every problem, grouped, with counts.
            write_json(RefusedImport(error), json_out)
            raise
    console.print(result.summary())
    for note in result.notes:
        console.print(f"  {note}", markup=False, highlight=False)
    if result.tables:
        table = Table("table", "rows", "file", "sha256", title="Imported")
        for item in result.tables:
            table.add_row(item.table, f"{item.rows:,}", item.source_path, item.sha256[:12])
        console.print(table)
    write_json(result, json_out)


def _files_cell(paths: str) -> str:
    """A table's files for the terminal: a monthly series of 24 files is named by its count,
    first and last (all of them are in `--json`)."""
    names = paths.split(", ")
    if len(names) <= 3:
        return paths
    return f"{len(names)} files: {names[0]} ... {names[-1]}"


def status(
    directory: Path = typer.Argument(..., help="project folder"),
    json_out: Path | None = JsonOption,
) -> None:
    """Show what is loaded, from which files, and when."""
    with user_errors():
        result = Project(directory).status()
    table = Table(
        "table", "rows", "set aside", "file", "sha256", "imported at (UTC)", title=result.project
    )
    for item in result.tables:
        table.add_row(
            item.table,
            f"{item.rows:,}",
            f"{item.quarantined:,}",
            _files_cell(item.source_path),
            item.sha256[:12],
            item.imported_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    if result.tables:
        console.print(table)
    console.print(result.summary())
    write_json(result, json_out)


def schema() -> None:
    """Print the canonical tables and every decisionframe.yaml and theory.yaml key (Markdown)."""
    from decisionframe.reference import schema_markdown

    print(schema_markdown(), end="")


def repair(
    directory: Path = typer.Argument(..., help="project folder"),
    json_out: Path | None = JsonOption,
) -> None:
    """Check the store; if it is corrupt or truncated, set it aside and rebuild it.

    The damaged file is moved to .decisionframe/damaged/ (never deleted), the store is
    rebuilt from the source files, and every saved run still readable is carried over;
    runs kept pending while the store was locked are saved too.
    """
    with user_errors():
        result = Project(directory).repair()
    console.print(result.summary())
    write_json(result, json_out)
