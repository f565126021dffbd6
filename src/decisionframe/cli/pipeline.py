"""CLI commands of the analysis pipeline and `demo`, which runs it end to end."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from decisionframe.cli._common import console, progress_bar, user_errors
from decisionframe.cli.analyze import analyze, show_evidence
from decisionframe.cli.decide import decide
from decisionframe.cli.demand import demand
from decisionframe.cli.initiatives import initiatives
from decisionframe.cli.report import report
from decisionframe.cli.theory import plan, theory_app
from decisionframe.cli.voice import profiles, voice
from decisionframe.errors import DecisionframeError
from decisionframe.simulate.series import SERIES_SCENARIOS


def demo(
    directory: Path = typer.Argument(Path("demo-org"), help="folder for the demo project"),
    clients: int = typer.Option(40000, "--clients"),
    seed: int = typer.Option(1, "--seed"),
    scenario: str = typer.Option("service-matters", "--scenario"),
) -> None:
    """Run the main job end to end on a simulated organization."""
    from decisionframe.project import Project
    from decisionframe.simulate import simulate_project

    with user_errors():
        if scenario in SERIES_SCENARIOS:  # offices' monthly series: no theory to test
            raise DecisionframeError(
                f"demo runs the whole pipeline on clients; scenario '{scenario}' simulates "
                "offices' monthly measures. Hint: `decisionframe simulate DIR --scenario "
                f"{scenario}`, then `import`, `initiatives` and `report` on DIR."
            )
        with console.status(f"Simulating {clients:,} clients..."):
            simulated = simulate_project(
                directory, n_clients=clients, seed=seed, scenario=scenario, overwrite=True
            )
        console.print(simulated.summary())
        project = Project(directory)
        with progress_bar("Importing") as update:
            console.print(project.import_data(progress=update).summary())
        console.print(project.theory_check().summary())
        console.print(project.plan().summary())
        with progress_bar("Analyzing") as update:
            evidence = project.analyze(seed=0, progress=update)
        show_evidence(evidence)
        with console.status("Weighing the options..."):
            decision = project.decide(seed=0)
        with progress_bar("Demand") as update:
            found = project.demand(progress=update)
        report_path = project.report().path
    console.rule("Headline")
    for edge in evidence.edges:
        console.print(Text.assemble(f"- {edge.claim}: ", (edge.verdict.verdict, "bold")))
    console.print(decision.summary())
    console.print(found.summary())
    console.print(f"Report: {Path(report_path).resolve()}")
    console.rule("Open the app")
    console.print(
        "Pages, re-runs and the decision simulator in your browser: run\n"
        f"  decisionframe serve {directory}\n"
        "then open http://127.0.0.1:8000/ (this machine only, no sign-in; see docs/serve.md)."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(theory_app, name="theory")
    for command in (plan, analyze, decide, demand, initiatives, voice, profiles, report, demo):
        app.command()(command)
