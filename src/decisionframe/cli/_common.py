"""Shared CLI plumbing: error display, --json output, progress bars."""

from __future__ import annotations

import errno
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from decisionframe.errors import DecisionframeError, ProblemsError, count_of

# Markup off: names, reasons and questions come from users' files, and a value such as
# "[/red]" must print as itself, not be read as Rich markup (which crashed commands after
# their work was done). Our own styling goes through ``style=`` or Text, never markup.
console = Console(markup=False, emoji=False)
err_console = Console(stderr=True, markup=False, emoji=False)

JsonOption = typer.Option(None, "--json", help="also write the result as JSON to this file")
AllowStaleOption = typer.Option(
    False,
    "--allow-stale",
    help="use saved results even if the theory or data changed since (the output says so)",
)


def print_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """One titled table of already-formatted cells, the way every command prints one (the
    title on the left, above the headers); cells are plain text, never markup."""
    table = Table(*headers, title=title, title_justify="left")
    for row in rows:
        table.add_row(*row)
    console.print(table)


class Result(Protocol):
    def summary(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


PublishOption = typer.Option(
    False,
    "--publish",
    help="make the --json file publishable: built through the report's disclosure layer "
    "(no count under min_cell_size clients, no verbatim text); without it the file is private",
)


def check_publish(path: Path | None, publish: bool) -> None:
    """Refuse ``--publish`` without ``--json FILE`` before any work is done."""
    if publish and path is None:
        raise typer.BadParameter("--publish needs --json FILE", param_hint="--publish")


def write_json(
    result: Result,
    path: Path | None,
    *,
    publish: bool = False,
    directory: Path | None = None,
) -> None:
    """Write the result as JSON.

    Plain: ``result.to_dict()`` (valid against docs/schemas/<kind>.schema.json), marked
    private. With ``publish``: its publishable form (``decisionframe.publish``), through
    the project's ``min_cell_size``.
    """
    from decisionframe.publish import mark_private, publishable

    check_publish(path, publish)
    if path is None:
        return
    if publish:
        from decisionframe.project import Project

        k = Project(directory or Path(".")).config.privacy.min_cell_size
        data = publishable(result, min_cell_size=k)
        note = "publishable: through the disclosure layer"
    else:
        data = mark_private(result.to_dict())
        note = "private: exact counts and text as typed; do not publish (use --publish)"
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    console.print(f"wrote {path} ({note})", style="dim")


def show_problems(error: ProblemsError, limit: int = 200) -> None:
    """Print problems compiler-style (file, line, column, rule, message, hint), one per line."""
    err_console.print(
        Text.assemble(
            ("error:", "red"), f" {error.summary} ({count_of(len(error.problems), 'problem')})"
        )
    )
    for problem in error.problems[:limit]:
        err_console.print(f"  {problem}", soft_wrap=True)
    if len(error.problems) > limit:
        err_console.print(f"  ... and {len(error.problems) - limit} more problems.")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn decisionframe errors into a readable message and exit code 2 (no traceback)."""
    try:
        yield
    except ProblemsError as exc:
        show_problems(exc)
        raise typer.Exit(2) from exc
    except DecisionframeError as exc:
        err_console.print(Text.assemble(("error:", "red"), f" {exc}"))
        raise typer.Exit(2) from exc
    except OSError as exc:
        # A read-only folder, a full disk, a file another program removed: say which file
        # and why, never a traceback (paths only; no value from the data is in an OSError).
        err_console.print(Text.assemble(("error:", "red"), f" {os_error_message(exc)}"))
        raise typer.Exit(2) from exc


def os_error_message(exc: OSError) -> str:
    """An operating-system error as one sentence with a hint."""
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return (
            f"cannot write{where}: the disk is full. Hint: free space and run the command "
            "again; the store was not changed"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"cannot write{where}: permission denied (a read-only folder or file). Hint: run "
            "decisionframe as a user who may write the project folder, or copy the project "
            "somewhere writable"
        )
    return f"cannot use{where}: {exc.strerror or type(exc).__name__}"


@contextmanager
def progress_bar(title: str) -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar driven by the library's (step, done, total) callbacks."""
    with Progress(
        TextColumn(f"{title} {{task.description}}", markup=False),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=1)

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        yield update
