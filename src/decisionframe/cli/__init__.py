"""The decisionframe command line: a thin shell over the domain packages."""

from __future__ import annotations

import typer

from decisionframe.cli import care, data, pipeline, serve

app = typer.Typer(
    name="decisionframe",
    help="Test your impact theory on your own data: what to measure, what works, what to "
    "decide, and where the work goes wrong.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(data.init)
app.command()(data.simulate)
app.command("import")(data.import_)
app.command()(data.status)
app.command()(data.schema)
app.command()(care.backup)
app.command()(care.restore)
app.command()(care.roles)
app.command()(data.repair)
pipeline.register(app)
app.command()(serve.serve)
app.add_typer(serve.users_app, name="users")


def main() -> None:
    app()


__all__ = ["app", "main"]
