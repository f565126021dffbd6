"""CLI: `demand`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer
from rich.text import Text

from decisionframe.cli._common import (
    PublishOption,
    check_publish,
    console,
    print_table,
    progress_bar,
    user_errors,
    write_json,
)
from decisionframe.demand.published import classifier_sentence
from decisionframe.project import Project


def demand(
    directory: Path = typer.Argument(..., help="project folder"),
    json_out: Path | None = typer.Option(None, "--json", help="also write JSON to this file"),
    publish: bool = PublishOption,
) -> None:
    """Value and failure demand, internal customers, end-to-end time, control charts."""
    check_publish(json_out, publish)
    with user_errors(), progress_bar("Demand") as update:
        result = Project(directory).demand(progress=update)
    print_table(
        "Failure demand by channel",
        ("channel", "contacts", "failure demand", "share", "failure cost"),
        (
            (
                str(row.channel),
                f"{row.contacts:,}",
                f"{row.failure:,}",
                f"{row.failure_share:.1%}",
                f"{row.failure_cost:,.0f}",
            )
            for row in result.by_channel.itertuples()
        ),
    )
    print_table(
        "Rules that fired",
        ("rule", "class", "contacts"),
        (
            (str(row.rule), str(row.demand), f"{row.contacts:,}")
            for row in result.rules_fired.itertuples()
        ),
    )
    learned = result.text_classifier
    if learned is not None:  # the report's sentence: no count of tagged contacts (#13)
        console.print(classifier_sentence(asdict(learned)))
    elif result.web_labels:
        console.print("Too few staff labels yet to train the text classifier.")
    print_table(
        "Internal customers: who causes front-line repeat contacts",
        ("back-end unit", "failure contacts", "per need held", "cost"),
        (
            (
                str(row.backend_unit),
                f"{row.failure_contacts:,}",
                f"{row.failure_contacts_per_need:.2f}",
                f"{row.failure_cost:,.0f}",
            )
            for row in result.internal_customers.itertuples()
        ),
    )
    print_table(
        "End-to-end time per need",
        ("needs", "resolved", "still open", "median days", "85th pct", "95th pct"),
        (
            (
                str(row.needs),
                f"{row.resolved:,}",
                f"{row.still_open:,}",
                f"{row.median_days:.1f}",
                f"{row.p85_days:.1f}",
                f"{row.p95_days:.1f}",
            )
            for row in result.end_to_end.itertuples()
        ),
    )
    for chart in result.charts:
        if chart.has_signal:
            console.print(Text.assemble(("signal", "bold"), f" {chart.reading}"))
    quiet = sum(not c.has_signal for c in result.charts)
    console.print(f"{quiet} other charts show only noise.")
    console.print(result.summary())
    write_json(result, json_out, publish=publish, directory=directory)
