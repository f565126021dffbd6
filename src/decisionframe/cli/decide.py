"""CLI: `decide`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from decisionframe.cli._common import (
    AllowStaleOption,
    PublishOption,
    check_publish,
    console,
    user_errors,
    write_json,
)
from decisionframe.decide import DecisionResult
from decisionframe.decide.voi import CHOICE_GOAL, clients_words
from decisionframe.numbers import count, money, probability, sig
from decisionframe.project import Project


def decide(
    directory: Path = typer.Argument(..., help="project folder"),
    budget: float | None = typer.Option(None, "--budget", help="override the theory's budget"),
    seed: int = typer.Option(0, "--seed", help="seed for the Monte Carlo draws"),
    draws: int = typer.Option(20_000, "--draws", help="Monte Carlo draws"),
    allow_stale: bool = AllowStaleOption,
    json_out: Path | None = typer.Option(None, "--json", help="also write JSON to this file"),
    publish: bool = PublishOption,
) -> None:
    """Quality versus reach, who gets what, and what to measure next."""
    check_publish(json_out, publish)
    with user_errors(), console.status("Weighing the options..."):
        project = Project(directory)
        result = project.decide(budget=budget, seed=seed, draws=draws, allow_stale=allow_stale)
        saved = project.latest_run("decide", allow_stale=True)
    show_decision(result)
    for note in saved.provenance.stale if saved else ():
        console.print(f"out of date (--allow-stale): {note}", style="yellow")
    write_json(result, json_out, publish=publish, directory=directory)


def show_decision(result: DecisionResult) -> None:
    """Options, the best split, targeting and what to measure next."""
    table = Table(
        "option",
        "cost/client",
        "served",
        "outcomes gained [90%]",
        "cost/outcome",
        "P(best)",
        "expected loss",
        title=f"Options (budget {money(result.budget)})",
        title_justify="left",
    )
    for o in result.options:
        table.add_row(
            o.option,
            money(o.cost_per_client),
            count(o.clients_served),
            f"{count(o.gain_mean)} [{count(o.gain_low)}, {count(o.gain_high)}]",
            money(o.cost_per_outcome),
            probability(o.p_best),
            sig(o.expected_loss),
        )
    console.print(table)
    rec = result.recommendation
    plans = Table(
        "plan",
        "kind",
        "outcomes gained [90%]",
        "P(best)",
        "expected loss",
        title="Plans compared (uniform, budget split, targeted)",
        title_justify="left",
    )
    for plan in rec.candidates:
        chosen = plan.label == rec.label
        plans.add_row(
            ("> " if chosen else "") + plan.label,
            plan.kind,
            f"{count(plan.outcomes.mean)} [{count(plan.outcomes.low)}, "
            f"{count(plan.outcomes.high)}]",
            probability(plan.p_best),
            sig(plan.expected_loss),
        )
    console.print(plans)
    console.print(rec.targeting_note)
    for lever in rec.left_out:
        console.print(lever.sentence(), style="yellow")
    if rec.rests_on:
        console.print(
            "The targeted plan rests on these segment estimates (raw -> pooled): "
            + "; ".join(
                f"{s.lever} in {s.variable} {s.segment}: {s.estimate:+.3f} -> {s.pooled:+.3f}"
                for s in rec.rests_on
            )
        )
    console.print(result.quality_vs_reach.sentence())
    for warning in result.cost_warnings:
        console.print(f"Costs: {warning}", style="yellow")
    nxt = Table(
        "assumption",
        "value of knowing (outcomes)",
        "collect",
        "more clients on this effect alone",
        title="Measure next",
        title_justify="left",
    )
    for item in result.measure_next:
        nxt.add_row(
            item.edge,
            sig(item.evppi),
            item.collect,
            clients_words(item.extra_clients, goal=CHOICE_GOAL, per_year=result.clients_per_year),
        )
    console.print(nxt)
    if result.measure_next and result.extra_clients_together:
        together = clients_words(
            result.extra_clients_together, goal=CHOICE_GOAL, per_year=result.clients_per_year
        )
        console.print(f"With every effect above measured on new clients: {together}.")
    for settle in result.inconclusive:
        console.print(f"Inconclusive: {settle.sentence(result.clients_per_year)}.")
    console.print(result.summary())
    console.print(result.mc_note, style="dim")
