"""CLI commands that take care of the data: backup, restore, and database roles."""

from __future__ import annotations

from pathlib import Path

import typer

from decisionframe.cli._common import JsonOption, console, user_errors, write_json


def backup(
    directory: Path = typer.Argument(..., help="project folder"),
    archive: Path = typer.Argument(..., help="backup file to write (.tar.gz), outside it"),
    with_key: bool = typer.Option(
        False,
        "--with-key",
        help="also store the pseudonymization key (the archive can then re-identify "
        "clients: keep it as safe as the raw data)",
    ),
    json_out: Path | None = JsonOption,
) -> None:
    """Back up a project: its files and its DuckDB store, checked by SHA-256 on restore."""
    from decisionframe.backup import backup_project

    with user_errors():
        result = backup_project(directory, archive, with_key=with_key)
    console.print(result.summary())
    for note in result.notes:
        console.print(f"  {note}", highlight=False)
    write_json(result, json_out)


def restore(
    archive: Path = typer.Argument(..., help="backup file written by `decisionframe backup`"),
    directory: Path = typer.Argument(..., help="new (or empty) folder to restore into"),
    json_out: Path | None = JsonOption,
) -> None:
    """Restore a backup into a new folder, exactly as it was backed up."""
    from decisionframe.backup import restore_project

    with user_errors():
        result = restore_project(archive, directory)
    console.print(result.summary())
    for note in result.notes:
        console.print(f"  {note}", highlight=False)
    write_json(result, json_out)


def roles(
    directory: Path = typer.Argument(..., help="project folder with `store: postgresql://...`"),
) -> None:
    """Set up the PostgreSQL roles decisionframe_analyst (read) and decisionframe_importer.

    Run as the database's owner (a user allowed to create roles). Then make people
    members: GRANT decisionframe_analyst TO alice; GRANT decisionframe_importer TO bob;
    """
    from decisionframe.errors import ProjectError
    from decisionframe.project import Project
    from decisionframe.store.postgres_roles import set_up_roles
    from decisionframe.store.postgres_store import PostgresStore

    with user_errors():
        project = Project(directory)
        if not project.config.uses_database:
            raise ProjectError(
                "roles are for a PostgreSQL store; this project's store is a DuckDB file"
            )
        with project.open_store() as store:
            assert isinstance(store, PostgresStore)
            done = set_up_roles(store)
    for statement in done:
        console.print(statement + ";", highlight=False)
    console.print(
        "Roles ready. Make people members: GRANT decisionframe_analyst TO <user>; "
        "GRANT decisionframe_importer TO <user>;"
    )
