"""Build the one-file HTML report from the saved runs (analyze, decide, demand)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from decisionframe.decide import DecisionResult
from decisionframe.demand import DemandResult
from decisionframe.disclosure import (
    protect_histogram,
    protect_table,
    protect_values,
    safe_count,
)
from decisionframe.effects import EvidenceResult
from decisionframe.effects.analyze import EdgeResult
from decisionframe.effects.segments import SegmentEffect
from decisionframe.errors import ProjectError
from decisionframe.project import Project
from decisionframe.report import charts
from decisionframe.results import Result
from decisionframe.runs import SavedRun, result_of
from decisionframe.theory import load_theory, theory_svg


class _Charts:
    """Numbers the charts of one report, so two reports built in one process are equal."""

    def __init__(self) -> None:
        self._next = itertools.count()

    def __call__(self, spec: str) -> dict[str, str]:
        return {"id": f"chart-{next(self._next)}", "spec": Markup(spec)}


def _finding(edges: Sequence[EdgeResult]) -> str:
    groups: dict[str, list[str]] = {}
    for e in edges:
        groups.setdefault(e.verdict.verdict, []).append(e.treatment.replace("_", " "))
    return "; ".join(f"{v}: {', '.join(names)}" for v, names in groups.items())


def _evidence(run: SavedRun | None, k: int, _chart: _Charts) -> dict[str, Any] | None:
    if run is None:
        return None
    edges = result_of(run, EvidenceResult).edges
    cards = []
    for e in edges:
        card: dict[str, Any] = {"edge": e, "charts": [], "segments": []}
        diag = e.diagnostics
        if diag and diag.propensity_histogram:
            outside = diag.outside_support
            starts = [i / 20 for i in range(20)]
            bins = {
                group: protect_histogram(
                    starts, [int(c) for c in counts], width=0.05, min_cell_size=k
                )
                for group, counts in diag.propensity_histogram.items()
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
        if diag and diag.balance:
            worst = max(abs(b.after) for b in diag.balance)
            card["charts"].append(
                _chart(
                    charts.balance(
                        diag.balance,
                        diag.balance_metric.split(" (")[0],
                        "Balance after adjustment: "
                        + ("good (all under 0.1)" if worst < 0.1 else f"largest gap {worst:.2f}"),
                    )
                )
            )
        card["segments"] = _published_segments(e.segments, k)
        if diag:
            card["dropped"] = _published_dropped(e.n_used, diag.dropped, k)
        cards.append(card)
    forest = _chart(charts.forest(edges, "What the data says: " + _finding(edges)))
    return {
        "edges": edges,
        "cards": cards,
        "forest": forest,
        "provenance": run.provenance,
        "run_id": run.run_id,
    }


def _published_segments(segments: Sequence[SegmentEffect], k: int) -> list[SegmentEffect]:
    """Segments whose client count may be printed: per variable, the segments' counts add
    up to the clients used (printed beside them), so a small segment is hidden with a
    complement, and a hidden segment's row is left out whole."""
    shown: list[SegmentEffect] = []
    variables: dict[str, list[SegmentEffect]] = {}
    for segment in segments:
        variables.setdefault(segment.variable, []).append(segment)
    for rows in variables.values():
        values = protect_values([r.n for r in rows], min_cell_size=k)
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


def _decision(run: SavedRun | None, _chart: _Charts) -> dict[str, Any] | None:
    if run is None:
        return None
    r = result_of(run, DecisionResult)
    cheap, better = r.frontier_options
    best_share = max(r.frontier, key=lambda p: p.gain_mean).share_on_better
    return {
        "r": r,
        "gains": _chart(
            charts.option_gains(
                r.options,
                f"Outcomes gained by each option for everyone served: {r.objective_label.lower()}",
            )
        ),
        "frontier": _chart(
            charts.frontier(
                r.frontier,
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


def _demand(run: SavedRun | None, k: int, _chart: _Charts) -> dict[str, Any] | None:
    if run is None:
        return None
    r = result_of(run, DemandResult)
    # The result's tables as rows (DataFrames iterate over their column names).
    channels = _rows(r.by_channel)
    internal = _rows(r.internal_customers)
    hist = _rows(r.end_to_end_histogram)
    end_to_end = _rows(r.end_to_end)
    channel_rows = _share_rows(channels, "channel", "all channels", r.overall, k)
    unit_rows = _share_rows(_rows(r.by_unit), "unit", "all units", r.overall, k)
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
    signal_charts = [c for c in r.charts if c.has_signal]
    noise_charts = [c for c in r.charts if not c.has_signal]
    shown = signal_charts + noise_charts[: max(0, 6 - len(signal_charts))]
    e2e = end_to_end[0] if end_to_end else None
    return {
        "r": r,
        "tables": {
            "rules_fired": _rows(r.rules_fired),
            "handoffs": _rows(r.handoffs),
            "end_to_end": end_to_end,
        },
        "channel_rows": channel_rows,
        "unit_rows": unit_rows,
        "internal_rows": internal_rows,
        "by_channel": _chart(
            charts.bars(
                [c["channel"] for c in channels],
                [row["share"] for row in channel_rows[:-1]],
                f"Failure demand is {r.overall['failure_share']:.0%} of all contacts, "
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
        "hidden_charts": len(r.charts) - len(shown),
    }


def voice_section(run: SavedRun | None) -> dict[str, Any] | None:
    from decisionframe.voice.report import voice_section as build

    # The voice section reads the voice result's own (privacy-filtered) to_dict.
    return build({"result": run.result.to_dict()} if run is not None else None)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A result table's rows, missing values as None (what the template tests for)."""
    return [
        {str(k): (None if pd.isna(v) else v) for k, v in row.items()}
        for row in frame.astype(object).to_dict(orient="records")
    ]


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("decisionframe.report", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )


@dataclass(frozen=True)
class ReportResult(Result):
    """A written report: where it is, which runs it shows, and what in it is out of date."""

    kind: ClassVar[str] = "report"
    path: str
    runs: dict[str, str]  # kind -> run id
    stale: tuple[str, ...] = ()

    def summary(self) -> str:
        note = f" (out of date: {'; '.join(self.stale)})" if self.stale else ""
        return f"Report written to {self.path}{note}"


def build_report(project: Project, *, out: Path | None = None, allow_stale: bool = False) -> Path:
    """Render the report to ``out`` (default: reports/report.html) and return its path."""
    return Path(render_report(project, out=out, allow_stale=allow_stale).path)


def render_report(
    project: Project, *, out: Path | None = None, allow_stale: bool = False
) -> ReportResult:
    """Render the report to ``out`` (default: reports/report.html).

    Refuses saved runs that no longer match the current theory and data
    (``StaleResultError``, naming what changed and what to rerun) unless ``allow_stale``;
    then the report's provenance section lists what is out of date.
    """
    import plotly.offline

    runs = {
        kind: project.latest_run(kind, allow_stale=allow_stale)
        for kind in ("analyze", "decide", "demand", "voice")
    }
    if runs["analyze"] is None and runs["demand"] is None:
        raise ProjectError(
            "nothing to report yet. Hint: run `decisionframe analyze` (and `decide`, "
            f"`demand`) on {project.directory} first."
        )
    stale = [note for run in runs.values() if run for note in run.provenance.stale]
    k = project.config.privacy.min_cell_size
    chart = _Charts()
    evidence = _evidence(runs["analyze"], k, chart)
    verdicts = {e.edge: e.verdict.verdict for e in evidence["edges"]} if evidence else {}
    # A demand-only report needs no theory: failure demand can be studied before anyone
    # writes down why the service should work.
    has_theory = runs["analyze"] is not None or project.theory_path.exists()
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
            decision=_decision(runs["decide"], chart),
            demand=_demand(runs["demand"], k, chart),
            voice=voice_section(runs["voice"]),
            stale=stale,
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
    return ReportResult(
        path=str(target),
        runs={kind: run.run_id for kind, run in runs.items() if run is not None},
        stale=tuple(stale),
    )
