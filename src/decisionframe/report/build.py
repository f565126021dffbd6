"""Build the one-file HTML report from the saved runs (analyze, decide, demand)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup

from decisionframe.disclosure import (
    protect_histogram,
    protect_table,
    protect_values,
    safe_count,
)
from decisionframe.errors import ProjectError
from decisionframe.project import Project
from decisionframe.report import charts
from decisionframe.theory import load_theory, theory_svg


class _Charts:
    """Numbers the charts of one report, so two reports built in one process are equal."""

    def __init__(self) -> None:
        self._next = itertools.count()

    def __call__(self, spec: str) -> dict[str, str]:
        return {"id": f"chart-{next(self._next)}", "spec": Markup(spec)}


def _finding(edges: list[dict[str, Any]]) -> str:
    groups: dict[str, list[str]] = {}
    for e in edges:
        groups.setdefault(e["verdict"], []).append(e["treatment"].replace("_", " "))
    return "; ".join(f"{v}: {', '.join(names)}" for v, names in groups.items())


def _evidence(run: dict[str, Any] | None, k: int, _chart: _Charts) -> dict[str, Any] | None:
    if run is None:
        return None
    edges = run["result"]["edges"]
    cards = []
    for e in edges:
        card: dict[str, Any] = {"edge": e, "charts": [], "segments": []}
        diag = e.get("diagnostics")
        if diag and diag["propensity_histogram"]:
            outside = diag["outside_support"]
            starts = [i / 20 for i in range(20)]
            bins = {
                group: protect_histogram(
                    starts, [int(c) for c in counts], width=0.05, min_cell_size=k
                )
                for group, counts in diag["propensity_histogram"].items()
            }
            card["charts"].append(
                _chart(
                    charts.propensity_overlap(
                        bins,
                        f"Overlap: {safe_count(outside, min_cell_size=k)} clients outside "
                        "common support",
                    )
                )
            )
        if diag and diag["balance"]:
            worst = max(abs(b["after"]) for b in diag["balance"])
            card["charts"].append(
                _chart(
                    charts.balance(
                        diag["balance"],
                        diag["balance_metric"].split(" (")[0],
                        "Balance after adjustment: "
                        + ("good (all under 0.1)" if worst < 0.1 else f"largest gap {worst:.2f}"),
                    )
                )
            )
        card["segments"] = _published_segments(e["segments"], e.get("n_used"), k)
        if diag:
            card["dropped"] = _published_dropped(e.get("n_used"), diag.get("dropped", {}), k)
        cards.append(card)
    forest = _chart(charts.forest(edges, "What the data says: " + _finding(edges)))
    return {
        "edges": edges,
        "cards": cards,
        "forest": forest,
        "provenance": run["provenance"],
        "run_id": run["run_id"],
    }


def _published_segments(
    segments: list[dict[str, Any]], n_used: int | None, k: int
) -> list[dict[str, Any]]:
    """Segments whose client count may be printed: per variable, the segments' counts add
    up to the clients used (printed beside them), so a small segment is hidden with a
    complement, and a hidden segment's row is left out whole."""
    shown: list[dict[str, Any]] = []
    variables: dict[str, list[dict[str, Any]]] = {}
    for segment in segments:
        variables.setdefault(str(segment["variable"]), []).append(segment)
    for rows in variables.values():
        values = protect_values([int(r["n"]) for r in rows], min_cell_size=k)
        shown += [r for r, v in zip(rows, values, strict=True) if v is not None]
    return shown


def _published_dropped(n_used: int | None, dropped: dict[str, int], k: int) -> dict[str, Any]:
    """Clients used and left out per reason, as one row whose total (all clients) is
    printed elsewhere: a small count is hidden with a complement, so it cannot be had by
    subtraction."""
    names = list(dropped)
    values = protect_values([int(n_used or 0), *(int(dropped[n]) for n in names)], min_cell_size=k)
    return {
        "n_used": values[0],
        "reasons": {name: v for name, v in zip(names, values[1:], strict=True) if dropped[name]},
    }


def _decision(run: dict[str, Any] | None, _chart: _Charts) -> dict[str, Any] | None:
    if run is None:
        return None
    r = run["result"]
    cheap, better = r["frontier_options"]
    best_share = max(r["frontier"], key=lambda p: p["gain_mean"])["share_on_better"]
    return {
        "r": r,
        "gains": _chart(
            charts.option_gains(
                r["options"],
                "Outcomes gained by each option for everyone served: "
                f"{r.get('objective_label', r['objective']).lower()}",
            )
        ),
        "frontier": _chart(
            charts.frontier(
                r["frontier"],
                better,
                f"Best split: {best_share:.0%} of the budget on '{better}', the rest on '{cheap}'",
            )
        ),
    }


def _share_rows(
    groups: list[dict[str, Any]], key: str, all_label: str, overall: dict[str, Any], k: int
) -> list[dict[str, Any]]:
    """Value, failure and unclassified contacts per group and in total, through the
    disclosure layer: a cell is sized by the distinct clients behind it (with margins, as a
    client can have both value and failure contacts), complementary suppression never uses
    a zero, and a share is printed only where its failure count and total are."""
    table = [
        [int(g["contacts"] - g["failure"] - g["unknown"]), int(g["failure"]), int(g["unknown"])]
        for g in groups
    ]
    if not table:
        return []
    classes = ("value_clients", "failure_clients", "unknown_clients", "clients")
    people = None
    if all(c in g for g in groups for c in classes) and all(c in overall for c in classes):
        people = [[int(g[c]) for c in classes] for g in groups]
        people.append([int(overall[c]) for c in classes])
    protected = protect_table(np.array(table), min_cell_size=k, people=people)
    published = protected.published()
    names = ["(not recorded)" if g[key] is None else g[key] for g in groups]
    return [
        {
            "name": name,
            "value": row[0],
            "failure": row[1],
            "unknown": row[2],
            "total": row[3],
            "share": protected.share(index, 1),
        }
        for index, (name, row) in enumerate(zip([*names, all_label], published, strict=True))
    ]


def _demand(run: dict[str, Any] | None, k: int, _chart: _Charts) -> dict[str, Any] | None:
    if run is None:
        return None
    r = run["result"]
    channels = r["by_channel"]
    internal = r["internal_customers"]
    hist = r["end_to_end_histogram"]
    channel_rows = _share_rows(channels, "channel", "all channels", r["overall"], k)
    unit_rows = _share_rows(r["by_unit"], "unit", "all units", r["overall"], k)
    internal_values = protect_values(
        [i["failure_contacts"] for i in internal],
        min_cell_size=k,
        people=[int(i.get("failure_clients", i["failure_contacts"])) for i in internal],
    )
    e2e_bins = protect_histogram(
        [h["day"] for h in hist],
        [int(h["needs"]) for h in hist],
        people=[int(h.get("clients", h["needs"])) for h in hist],
        min_cell_size=k,
    )
    internal_rows = [
        {**i, "failure_contacts": v, "shown": v is not None}
        for i, v in zip(internal, internal_values, strict=True)
    ]
    top = internal[0]["backend_unit"] if internal else "none"
    signal_charts = [c for c in r["charts"] if c["has_signal"]]
    noise_charts = [c for c in r["charts"] if not c["has_signal"]]
    shown = signal_charts + noise_charts[: max(0, 6 - len(signal_charts))]
    e2e = r["end_to_end"][0] if r["end_to_end"] else None
    return {
        "r": r,
        "channel_rows": channel_rows,
        "unit_rows": unit_rows,
        "internal_rows": internal_rows,
        "by_channel": _chart(
            charts.bars(
                [c["channel"] for c in channels],
                [row["share"] for row in channel_rows[:-1]],
                f"Failure demand is {r['overall']['failure_share']:.0%} of all contacts, "
                "in every channel",
                "share of contacts",
                percent=True,
            )
        ),
        "internal": _chart(
            charts.bars(
                [i["backend_unit"] for i in internal],
                internal_values,
                f"'{top}' causes the most repeat contacts at the front line",
                "failure-demand contacts",
            )
        ),
        "e2e": _chart(
            charts.histogram(
                e2e_bins,
                f"Half of all needs are resolved within {e2e['median_days']:.1f} days, but 1 in 20 "
                f"takes over {e2e['p95_days']:.0f}"
                if e2e and e2e["median_days"] is not None
                else "End-to-end time: no need was resolved",
            )
        ),
        "controls": [{"chart": c, "plot": _chart(charts.control(c))} for c in shown],
        "hidden_charts": len(r["charts"]) - len(shown),
    }


def voice_section(run: dict[str, Any] | None) -> dict[str, Any] | None:
    from decisionframe.voice.report import voice_section as build

    return build(run)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("decisionframe.report", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )


def build_report(project: Project, *, out: Path | None = None) -> Path:
    """Render the report to ``out`` (default: reports/report.html) and return its path."""
    import plotly.offline

    evidence_run = project.latest("analyze")
    if evidence_run is None and project.latest("demand") is None:
        raise ProjectError(
            "nothing to report yet. Hint: run `decisionframe analyze` (and `decide`, "
            f"`demand`) on {project.directory} first."
        )
    k = project.config.privacy.min_cell_size
    chart = _Charts()
    evidence = _evidence(evidence_run, k, chart)
    verdicts = {e["edge"]: e["verdict"] for e in evidence["edges"]} if evidence else {}
    # A demand-only report needs no theory: failure demand can be studied before anyone
    # writes down why the service should work.
    has_theory = evidence_run is not None or project.theory_path.exists()
    theory = load_theory(project.theory_path) if has_theory else None
    status = project.status()
    html = (
        _environment()
        .get_template("report.html.j2")
        .render(
            name=project.config.name,
            theory=theory,
            diagram=Markup(theory_svg(theory, verdicts=verdicts)) if theory else None,
            evidence=evidence,
            decision=_decision(project.latest("decide"), chart),
            demand=_demand(project.latest("demand"), k, chart),
            voice=voice_section(project.latest("voice")),
            status=status,
            min_cell_size=k,
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            plotly_js=Markup(plotly.offline.get_plotlyjs()),
            verdict_colour=charts.VERDICT_COLOUR,
            safe_count=lambda v: safe_count(v, min_cell_size=k),
        )
    )
    target = out or project.directory / "reports" / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target
