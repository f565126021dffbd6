"""CLI: `voice` (and `profiles`)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from decisionframe.cli._common import PublishOption, check_publish, console, user_errors, write_json
from decisionframe.project import Project


def _share(value: float | None) -> str:
    return "suppressed" if value is None else f"{value:.1%}"


def voice(
    directory: Path = typer.Argument(..., help="project folder"),
    json_out: Path | None = typer.Option(None, "--json", help="also write JSON to this file"),
    publish: bool = PublishOption,
    private_out: Path | None = typer.Option(
        None,
        "--private",
        help="also write a PRIVATE JSON with scrubbed excerpts (not for publication)",
    ),
) -> None:
    """What people say: themes, asks (what they want changed), emerging needs."""
    check_publish(json_out, publish)
    with user_errors():
        result = Project(directory).voice()
    themes = Table(
        "theme",
        "kind",
        "comments",
        "share",
        "sentiment",
        "top terms",
        title="Themes in the feedback",
        title_justify="left",
    )
    for t in result.themes:
        themes.add_row(
            t.label,
            t.kind,
            "suppressed" if t.comments is None else f"{t.comments:,}",
            _share(t.share),
            "" if t.sentiment is None else f"{t.sentiment:+.2f}",
            ", ".join(t.terms[:5]),
        )
    console.print(themes)
    asks = Table(
        "ask", "comments", "clients", title="Asks: what people want changed", title_justify="left"
    )
    for a in result.asks:
        asks.add_row(a.label, f"{a.comments or 0:,}", f"{a.clients or 0:,}")
    console.print(asks)
    for e in result.emerging:
        console.print(f"emerging: {e.reading}")
    if not result.emerging:
        console.print("No emerging need: no theme broke its control limits after the baseline.")
    for s in result.staff:
        found = "no rule finds it" if s.themes_f1 is None else f"rules agree F1 {s.themes_f1:.2f}"
        clf = (
            ""
            if s.classifier_f1 is None
            else f", staff-trained classifier F1 {s.classifier_f1:.2f} (cross-validated)"
        )
        console.print(
            # No tag counts: as for demand's staff labels (#13), the terminal says what the
            # report says; how many comments staff tagged is in the private JSON.
            f"Staff tagged '{s.theme}' on a sample of comments: {found}{clf}; "
            f"untagged comments get it from the {s.assigned_by}, tagged ones as staff said."
        )
    console.print(result.summary())
    write_json(result, json_out, publish=publish, directory=directory)
    if private_out is not None:
        private_out.write_text(
            json.dumps(result.to_private_dict(), indent=2, default=str) + "\n", "utf-8"
        )
        console.print(f"wrote {private_out} (private: holds scrubbed excerpts)", style="dim")


def profiles(
    directory: Path = typer.Argument(..., help="project folder"),
    json_out: Path | None = typer.Option(None, "--json", help="also write JSON to this file"),
    publish: bool = PublishOption,
) -> None:
    """Customer profiles (needs, channel mix, context) and the variety of demand."""
    check_publish(json_out, publish)
    with user_errors():
        result = Project(directory).profiles()
    table = Table(
        "profile",
        "clients",
        "failure demand",
        "outcomes",
        "themes voiced",
        title="Customer profiles",
        title_justify="left",
    )
    for p in result.profiles:
        table.add_row(
            f"{p.id}: {p.label}",
            f"{p.clients:,}",
            _share(p.failure_share),
            ", ".join(f"{k} {v:.2f}" for k, v in p.outcomes.items()),
            ", ".join(f"{k} {v:.0%}" for k, v in list(p.themes.items())[:3]),
        )
    console.print(table)
    variety = Table(
        "where",
        "clients",
        "distinct needs",
        "entropy",
        "failure demand",
        title="Variety of demand",
        title_justify="left",
    )
    for v in result.variety:
        if v.kind != "channel x unit":
            variety.add_row(
                f"{v.kind} {v.name}",
                f"{v.clients:,}",
                str(v.distinct_needs),
                f"{v.entropy:.2f}",
                _share(v.failure_share),
            )
    console.print(variety)
    console.print(result.summary())
    write_json(result, json_out, publish=publish, directory=directory)
