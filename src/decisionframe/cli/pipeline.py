"""CLI commands of the analysis pipeline and `demo`, which runs it end to end."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from decisionframe.cli import data
from decisionframe.cli._common import console
from decisionframe.cli.analyze import analyze
from decisionframe.cli.decide import decide
from decisionframe.cli.demand import demand
from decisionframe.cli.initiatives import initiatives
from decisionframe.cli.report import report
from decisionframe.cli.theory import plan, theory_app, theory_check
from decisionframe.cli.voice import profiles, voice


def demo(
    directory: Path = typer.Argument(Path("demo-org"), help="folder for the demo project"),
    clients: int = typer.Option(40000, "--clients"),
    seed: int = typer.Option(1, "--seed"),
    scenario: str = typer.Option("service-matters", "--scenario"),
) -> None:
    """Run the main job end to end on a simulated organization."""
    data.simulate(directory, clients, seed, scenario, True, None)
    data.import_(directory, None)
    data.status(directory, None)
    theory_check(directory, None)
    plan(directory, None)
    analyze(directory, 0, None)
    decide(directory, None, 0, 20_000, None)
    demand(directory, None)
    report(directory, None)
    _headline(directory)


def _headline(directory: Path) -> None:
    """The report's path and its first screen, in the terminal."""
    from decisionframe.project import Project

    project = Project(directory)
    evidence = project.latest("analyze")
    decision = project.latest("decide")
    console.rule("Headline")
    if evidence is not None:
        for edge in evidence["result"]["edges"]:
            console.print(Text.assemble(f"- {edge['claim']}: ", (str(edge["verdict"]), "bold")))
    if decision is not None:
        console.print(decision["result"]["summary"])
    console.print(f"Report: {(project.directory / 'reports' / 'report.html').resolve()}")


def register(app: typer.Typer) -> None:
    app.add_typer(theory_app, name="theory")
    for command in (plan, analyze, decide, demand, initiatives, voice, profiles, report, demo):
        app.command()(command)
