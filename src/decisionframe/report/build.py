"""Build the one-file HTML report from the saved runs (analyze, decide, demand).

The first screen answers (verdicts, the decision, where the work goes wrong, what to
measure next); one section per question follows; method details sit in an appendix for
evaluators. Words come from ``report.words``; charts from ``report.charts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import jinja2
import numpy as np
from markupsafe import Markup

from decisionframe.decide.voi import CHOICE_GOAL, clients_words
from decisionframe.demand.published import (
    classifier_sentence,
    end_to_end_rows,
    handoff_rows,
    rules_rows,
)
from decisionframe.disclosure import (
    protect_histogram,
    protect_table,
    protect_values,
    safe_count,
)
from decisionframe.effects.verdict import DEFAULT_MIN_EFFECT, smallest_effect_that_matters
from decisionframe.errors import ProjectError
from decisionframe.project import Project
from decisionframe.report import charts
from decisionframe.report.words import (
    MEASURE_NEXT_HEADING,
    AssumptionWords,
    assumption_words,
    label_of,
    outcome_scale,
    probability,
    quoted,
)
from decisionframe.results import Result
from decisionframe.runs import SavedRun
from decisionframe.theory import load_theory, theory_svg
from decisionframe.theory.model import Theory

PLOTLY_BUNDLE = "plotly-basic-4.1.1.min.js"


def _plotly_js() -> str:
    return (resources.files("decisionframe.report") / "vendor" / PLOTLY_BUNDLE).read_text(
        encoding="utf-8"
    )


def _effect_chart(
    edge: dict[str, Any], words: AssumptionWords, colour: str, theory: Theory | None
) -> charts.Chart:
    scale = words.scale
    naive = edge["naive"]["estimate"] if edge.get("naive") else None
    min_effect = _min_effect(edge, theory)
    naive_text = (
        f"; the naive comparison that ignores who gets what: {scale.amount(naive)}"
        if naive is not None
        else ""
    )
    return charts.effect_panel(
        estimate=scale.value(edge["estimate"]),
        low=scale.value(edge["ci_low"]),
        high=scale.value(edge["ci_high"]),
        naive=scale.value(naive) if naive is not None else None,
        min_effect=scale.value(min_effect),
        colour=colour,
        axis=scale.axis,
        title=f"{words.cause_phrase}: effect on {quoted(words.outcome)}",
        description=(
            f"Adjusted estimate: {scale.amount(edge['estimate'])} "
            f"({scale.interval(edge['ci_low'], edge['ci_high'])}){naive_text}. The grey band "
            f"marks effects smaller than {abs(scale.value(min_effect)):.1f}, too small to matter."
        ),
    )


def _min_effect(edge: dict[str, Any], theory: Theory | None) -> float:
    """The smallest effect that matters, as the verdict used it."""
    if theory is not None:
        for e in theory.assumption_edges:
            if e.source == edge["treatment"] and e.target == edge["outcome"] and e.assumption:
                return smallest_effect_that_matters(e.assumption)
    return DEFAULT_MIN_EFFECT


def _balance_chart(edge: dict[str, Any], theory: Theory | None, k: int) -> charts.Chart | None:
    diag = edge.get("diagnostics")
    if not diag or not diag["balance"]:
        return None
    rows = [{**b, "label": label_of(theory, b["covariate"])} for b in diag["balance"]]
    worst = max(abs(b["after"]) for b in rows)
    metric = diag["balance_metric"].split(" (")[0]
    verdict = "good: every gap under 0.1" if worst < 0.1 else f"largest gap {worst:.2f}"
    return charts.balance(
        rows,
        metric,
        f"Balance after adjustment: {verdict}",
        "Gap before and after adjustment, per adjustment variable: "
        + "; ".join(f"{r['label']} {abs(r['before']):.2f} to {abs(r['after']):.2f}" for r in rows)
        + ". Under 0.1 counts as balanced.",
    )


def _overlap_chart(edge: dict[str, Any], k: int) -> charts.Chart | None:
    diag = edge.get("diagnostics")
    if not diag or not diag["propensity_histogram"]:
        return None
    outside = safe_count(diag["outside_support"], min_cell_size=k)
    starts = [i / 20 for i in range(20)]
    bins = {
        group: protect_histogram(starts, [int(c) for c in counts], width=0.05, min_cell_size=k)
        for group, counts in diag["propensity_histogram"].items()
    }
    return charts.propensity_overlap(
        bins,
        f"Overlap: {outside} clients have no comparable client in the other group",
        "Histograms of the estimated chance of getting it, for clients who got it and "
        f"clients who did not; {outside} clients fall outside the range both groups share.",
    )


def _published_segments(segments: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """Segments whose client count may be printed: per variable, the segments' counts add
    up to the clients used (printed beside them), so a small segment is hidden with a
    complement, and a hidden segment's row is left out whole (#13)."""
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
    subtraction (#13)."""
    names = list(dropped)
    values = protect_values([int(n_used or 0), *(int(dropped[n]) for n in names)], min_cell_size=k)
    return {
        "n_used": values[0],
        "reasons": [(name, v) for name, v in zip(names, values[1:], strict=True) if dropped[name]],
    }


def _segments(
    edge: dict[str, Any], words: AssumptionWords, theory: Theory | None, k: int
) -> list[dict[str, Any]]:
    rows = []
    for s in _published_segments(edge["segments"], k):
        e = s["effect"]
        rows.append(
            {
                "segment": f"{label_of(theory, s['variable'])}: {s['segment']}",
                "n": s["n"],
                "effect": words.scale.amount(e["estimate"]),
                "interval": (
                    f"{words.scale.amount(e['ci_low'])} to {words.scale.amount(e['ci_high'])}"
                ),
            }
        )
    return rows


def _evidence(
    run: dict[str, Any] | None, theory: Theory | None, decision: dict[str, Any] | None, k: int
) -> dict[str, Any] | None:
    if run is None:
        return None
    edges = run["result"]["edges"]
    measured_next = (
        {m["edge"] for m in decision["measure_rows"]}
        | {m["edge"] for m in decision["inconclusive"]}
        if decision
        else set()
    )
    cards = []
    for e in edges:
        words = assumption_words(
            e, theory, measured_next=measured_next, decided=decision is not None
        )
        colour = charts.VERDICT_COLOUR.get(e["verdict"], "#333")
        card: dict[str, Any] = {"edge": e, "words": words, "colour": colour, "charts": []}
        card["effect"] = (
            _effect_chart(e, words, colour, theory) if e["estimate"] is not None else None
        )
        for chart in (_overlap_chart(e, k), _balance_chart(e, theory, k)):
            if chart is not None:
                card["charts"].append(chart)
        card["segments"] = _segments(e, words, theory, k)
        diag = e.get("diagnostics") or {}
        card["dropped"] = _published_dropped(e.get("n_used"), diag.get("dropped") or {}, k)
        card["adjusted_for"] = [label_of(theory, n) for n in e["identification"]["adjustment_set"]]
        if e.get("posterior"):
            card["p_expected"] = probability(e["posterior"]["p_expected_direction"])
        cards.append(card)
    return {"cards": cards, "provenance": run["provenance"], "run_id": run["run_id"]}


def _worded(rec: dict[str, Any] | None, theory: Theory | None) -> dict[str, Any] | None:
    """The recommendation with the segment variable's label instead of its id."""
    if not rec or not rec.get("variable"):
        return rec
    variable = rec["variable"]
    name = quoted(label_of(theory, variable))

    def say(text: str) -> str:
        return text.replace(variable, name)

    out = {**rec, "label": say(rec["label"]), "targeting_note": say(rec["targeting_note"])}
    out["candidates"] = [{**c, "label": say(c["label"])} for c in rec["candidates"]]
    if rec.get("runner_up"):
        out["runner_up"] = {**rec["runner_up"], "label": say(rec["runner_up"]["label"])}
    return out


def _plan_sentence(rec: dict[str, Any], many: str) -> str:
    """The recommendation (#16's one plan) in the report's words."""
    band = rec["outcomes"]
    head = (
        f"Choose {rec['label']}: about {band['mean']:,.0f} more {many} than without us "
        f"(90% interval {band['low']:,.0f} to {band['high']:,.0f})"
    )
    runner, margin = rec.get("runner_up"), rec.get("margin")
    if not runner or not margin or rec.get("p_beats_runner_up") is None:
        return head + "."
    rel = "more" if margin["mean"] >= 0 else "fewer"
    return (
        f"{head}; {abs(margin['mean']):,.0f} {rel} than the next best plan "
        f"({runner['label']}), with a chance of being the better of the two of "
        f"{probability(rec['p_beats_runner_up'])}."
    )


def _decision(run: dict[str, Any] | None, theory: Theory | None) -> dict[str, Any] | None:
    if run is None:
        return None
    r = run["result"]
    scale = outcome_scale(theory, r["objective"])
    many = scale.outcome_many
    rec = _worded(r.get("recommendation"), theory)
    best = max(r["options"], key=lambda o: o["p_best"])
    cheap, better = r["frontier_options"]
    best_point = max(r["frontier"], key=lambda p: p["gain_mean"])
    if rec:
        sentence = _plan_sentence(rec, many)
    else:  # a run saved before plans existed
        sentence = (
            f"Choose '{best['option']}': about {best['gain_mean']:,.0f} more {many} than "
            f"without us (90% interval {best['gain_low']:,.0f} to {best['gain_high']:,.0f}); "
            f"the chance that it is the better choice: {probability(best['p_best'])}."
        )
    per_year = r.get("clients_per_year")
    inconclusive = [
        {
            "edge": m["edge"],
            "claim": m["claim"],
            "extra_clients": m["extra_clients"],
            "goal": m["goal"],
            "clients": (
                "more clients cannot settle it at this precision"
                if m["extra_clients"] is None
                else clients_words(
                    m["extra_clients"], goal=m["goal"], per_year=per_year, analysed=m["n_used"]
                )
            ),
        }
        for m in r.get("inconclusive", [])
    ]
    measure_rows = [
        {
            "edge": m["edge"],
            "cause": label_of(theory, m["node"]),
            "evppi": m["evppi"],
            "collect": (
                f"more clients with {quoted(label_of(theory, m['node']))} and "
                f"{quoted(label_of(theory, r['objective']))} measured"
            ),
            "extra_clients": m["extra_clients"],
            "clients": clients_words(m["extra_clients"], goal=CHOICE_GOAL, per_year=per_year),
        }
        for m in r["measure_next"]
    ]
    plan_rows = []
    if rec and rec.get("plan"):
        plan_rows = [
            {
                "segment": a["segment"],
                "option": a["option"],
                "clients": a["clients"],
            }
            for a in rec["plan"]
        ]
    axis = "more than without us"
    return {
        "r": r,
        "rec": rec,
        "sentence": sentence,
        "variable": label_of(theory, rec["variable"]) if rec and rec.get("variable") else None,
        "plan_rows": plan_rows,
        "quality_vs_reach": (r.get("quality_vs_reach") or {}).get("sentence"),
        "measure_rows": measure_rows,
        "together": (
            clients_words(r["extra_clients_together"], goal=CHOICE_GOAL, per_year=per_year)
            if r.get("extra_clients_together") and r["measure_next"]
            else None
        ),
        "inconclusive": inconclusive,
        "per_100": scale.per_100,
        "gains": charts.option_gains(
            r["options"],
            axis,
            f"Each option for the whole budget ({many}, more than without us)",
            "Expected gain for the whole budget, with 90% band: "
            + "; ".join(
                f"{o['option']} {o['gain_mean']:,.0f} ({o['gain_low']:,.0f} to "
                f"{o['gain_high']:,.0f})"
                for o in r["options"]
            )
            + ".",
        ),
        "frontier": charts.frontier(
            r["frontier"],
            better,
            axis,
            _split_title(best_point["share_on_better"], better, cheap)
            + f" ({many}, more than without us)",
            f"Expected gain as the share of the budget spent on '{better}' goes from 0% to "
            f"100%: from {r['frontier'][0]['gain_mean']:,.0f} to "
            f"{r['frontier'][-1]['gain_mean']:,.0f}, highest at "
            f"{best_point['share_on_better']:.0%} ({best_point['gain_mean']:,.0f}).",
        ),
    }


def _split_title(share: float, better: str, cheap: str) -> str:
    if share >= 0.999:
        return f"Best split: the whole budget on '{better}'"
    if share <= 0.001:
        return f"Best split: the whole budget on '{cheap}'"
    return f"Best split: {share:.0%} of the budget on '{better}', the rest on '{cheap}'"


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


def _demand(run: dict[str, Any] | None, k: int) -> dict[str, Any] | None:
    if run is None:
        return None
    r = run["result"]
    channels = r["by_channel"]
    overall_share = r["overall"]["failure_share"]
    channel_rows = _share_rows(channels, "channel", "all channels", r["overall"], k)
    unit_rows = _share_rows(r["by_unit"], "unit", "all units", r["overall"], k)
    internal = r["internal_customers"]
    internal_values = protect_values(
        [i["failure_contacts"] for i in internal],
        min_cell_size=k,
        people=[int(i.get("failure_clients", i["failure_contacts"])) for i in internal],
    )
    internal_rows = [
        {**i, "failure_contacts": v, "shown": v is not None}
        for i, v in zip(internal, internal_values, strict=True)
    ]
    shown_internal = [i for i in internal_rows if i["shown"]]
    top = internal[0]["backend_unit"] if internal else None
    signal_charts = [c for c in r["charts"] if c["has_signal"]]
    noise_charts = [c for c in r["charts"] if not c["has_signal"]]
    shown = signal_charts + noise_charts[: max(0, 6 - len(signal_charts))]
    hist = r["end_to_end_histogram"]
    e2e_bins = protect_histogram(
        [h["day"] for h in hist],
        [int(h["needs"]) for h in hist],
        people=[int(h.get("clients", h["needs"])) for h in hist],
        min_cell_size=k,
    )
    e2e_rows = end_to_end_rows(r["end_to_end"], min_cell_size=k)
    e2e = e2e_rows[0] if e2e_rows else None
    # Only channels whose share is published are charted.
    charted = [(row["name"], row["share"]) for row in channel_rows[:-1] if row["share"] is not None]
    shares = [s for _, s in charted]
    spread = (
        "in every channel"
        if shares and max(shares) - min(shares) < 0.1
        else "and it differs by channel"
    )
    return {
        "r": r,
        "top": top,
        "channel_rows": channel_rows,
        "unit_rows": unit_rows,
        "internal_rows": internal_rows,
        # the channel table's own protected total: the sentence prints no count it hides
        "unclassified": channel_rows[-1]["unknown"] if channel_rows else None,
        "rules_rows": rules_rows(
            r["rules_fired"], all_clients=r["overall"].get("clients"), min_cell_size=k
        ),
        "handoff_rows": handoff_rows(r["handoffs"], min_cell_size=k),
        "e2e_rows": e2e_rows,
        "by_channel": charts.bars(
            [n for n, _ in charted],
            shares,
            title=f"Failure demand is {overall_share:.0%} of all contacts, {spread}",
            description="Share of contacts that are failure demand, per channel: "
            + "; ".join(f"{n} {s:.0%}" for n, s in charted)
            + ".",
            axis="share of contacts that are failure demand",
            percent=True,
        ),
        "internal": charts.bars(
            [i["backend_unit"] for i in shown_internal],
            [i["failure_contacts"] for i in shown_internal],
            title=f"'{top}' causes the most repeat contacts at the front line"
            if top
            else "No back-end unit causes repeat contacts",
            description="Failure-demand contacts while a need waited on each back-end unit: "
            + "; ".join(f"{i['backend_unit']} {i['failure_contacts']:,}" for i in shown_internal)
            + ".",
            axis="failure-demand contacts",
        )
        if shown_internal
        else None,
        "e2e": charts.histogram(
            e2e_bins,
            f"Half of all needs are resolved within {e2e['median_days']:.1f} days, but 1 in 20 "
            f"takes over {e2e['p95_days']:.0f}"
            if e2e and e2e["median_days"] is not None
            else "End-to-end time: no need was resolved",
            "Number of needs by days from first contact to resolution"
            + (
                f": median {e2e['median_days']:.1f} days, 95th percentile "
                f"{e2e['p95_days']:.0f} days."
                if e2e and e2e["median_days"] is not None
                else "."
            ),
        ),
        "controls": [
            {
                "chart": c,
                "plot": charts.control(
                    c,
                    f"{c['title']}: {'signal' if c['has_signal'] else 'only noise'}",
                    c["reading"],
                ),
            }
            for c in shown
        ],
        "hidden_charts": len(r["charts"]) - len(shown),
    }


def _measure_next_items(
    evidence: dict[str, Any] | None, decision: dict[str, Any] | None
) -> list[str]:
    """The first screen's 'what to measure next': the decision's table first, then the
    assumptions the data cannot judge yet."""
    items = []
    if decision:
        needed = [m for m in decision["measure_rows"] if m["extra_clients"]]
        for m in needed[:2]:
            items.append(f"{m['collect'][:1].upper()}{m['collect'][1:]}: {m['clients']}.")
        if decision.get("together"):
            items.append(f"New clients with every lever measured: {decision['together']}.")
        for m in decision["inconclusive"]:
            if m["extra_clients"]:
                items.append(f"{m['claim']}: {m['clients']}.")
        if decision["measure_rows"] and not needed and not decision.get("together"):
            items.append(
                "Nothing more for the decision: it is already 90% sure whatever the remaining "
                "uncertainty."
            )
    for card in (evidence or {}).get("cards", []):
        words: AssumptionWords = card["words"]
        pending = words.verdict in ("inconclusive", "not identifiable", "fragile")
        if pending and not words.advice_points_to_measure_next:
            items.append(f"{words.claim}: {words.advice}")
    return items


def initiatives_context(run: dict[str, Any] | None) -> dict[str, Any] | None:
    from decisionframe.report.initiatives import initiatives_context as build

    return build(run)


def voice_section(run: dict[str, Any] | None) -> dict[str, Any] | None:
    from decisionframe.voice.report import voice_section as build

    return build(run)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("decisionframe.report", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )
    return env


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


def _plain_run(run: SavedRun | None) -> dict[str, Any] | None:
    """A typed saved run in the shape the report's pages read: the result's own
    ``to_dict()`` (its published, JSON-schema'd form), the provenance and the run id."""
    if run is None:
        return None
    result = run.result.to_dict()
    if run.kind == "analyze":
        result["edges"] = [_flat_edge(e) for e in result["edges"]]
    if run.kind == "demand":
        # each control chart's own to_dict (phases with limits, has_signal)
        result["charts"] = [c.to_dict() for c in getattr(run.result, "charts", ())]
    if run.kind == "decide":
        qvr = getattr(run.result, "quality_vs_reach", None)
        if qvr is not None and result.get("quality_vs_reach") is not None:
            result["quality_vs_reach"]["sentence"] = qvr.sentence()
    return {"result": result, "provenance": run.provenance, "run_id": run.run_id}


def _flat_edge(e: dict[str, Any]) -> dict[str, Any]:
    """One assumption's saved result, flattened to the names the report's words use."""
    estimate = e.get("estimate") or {}
    effect = estimate.get("effect") or {}
    assumption, verdict = e["assumption"], e["verdict"]
    return {
        **e,
        "edge": f"{e['treatment']} -> {e['outcome']}",
        "claim": assumption["claim"],
        "expected": assumption["expected"],
        "estimand": assumption.get("estimand", "ATE"),
        "prior": assumption.get("prior"),
        "estimate": effect.get("estimate"),
        "se": effect.get("se"),
        "ci_low": effect.get("ci_low"),
        "ci_high": effect.get("ci_high"),
        "naive": estimate.get("naive"),
        "n_used": estimate.get("n_used", 0),
        "method": estimate.get("method"),
        "verdict": verdict["verdict"],
        "posterior": verdict.get("posterior"),
        "sentence": verdict.get("sentence", ""),
        "advice": verdict.get("advice", ""),
    }


def build_report(project: Project, *, out: Path | None = None, allow_stale: bool = False) -> Path:
    """Render the report to ``out`` (default: reports/report.html) and return its path."""
    return Path(render_report(project, out=out, allow_stale=allow_stale).path)


def render_report(
    project: Project, *, out: Path | None = None, allow_stale: bool = False
) -> ReportResult:
    """Render the report to ``out`` (default: reports/report.html).

    Refuses saved runs that no longer match the current theory and data
    (``StaleResultError``, naming what changed and what to rerun) unless ``allow_stale``;
    then the report says so on its first screen and lists what is out of date.
    """
    saved = {
        kind: project.latest_run(kind, allow_stale=allow_stale)
        for kind in ("analyze", "decide", "demand", "voice", "initiatives")
    }
    # Any one analysis makes a report: an organization may start from its feedback or its
    # contacts alone, before anyone writes down (or can measure) its impact theory.
    if all(run is None for run in saved.values()):
        raise ProjectError(
            "nothing to report yet. Hint: run `decisionframe analyze` (and `decide`), "
            f"`demand`, `voice` or `initiatives` on {project.directory} first."
        )
    stale = [note for run in saved.values() if run for note in run.provenance.stale]
    runs = {kind: _plain_run(run) for kind, run in saved.items()}
    evidence_run = runs["analyze"]
    k = project.config.privacy.min_cell_size
    charts.start_report()
    # A demand-only report needs no theory: failure demand can be studied before anyone
    # writes down why the service should work.
    has_theory = evidence_run is not None or project.theory_path.exists()
    theory = load_theory(project.theory_path) if has_theory else None
    decision = _decision(runs["decide"], theory)
    evidence = _evidence(evidence_run, theory, decision, k)
    verdicts = (
        {c["edge"]["edge"]: c["edge"]["verdict"] for c in evidence["cards"]} if evidence else {}
    )
    demand = _demand(runs["demand"], k)
    status = project.status()
    html = (
        _environment()
        .get_template("report.html.j2")
        .render(
            name=project.config.name,
            theory=theory,
            diagram=Markup(theory_svg(theory, verdicts=verdicts)) if theory else None,
            evidence=evidence,
            decision=decision,
            demand=demand,
            voice=voice_section(runs["voice"]),
            initiatives=initiatives_context(runs["initiatives"]),
            has_contacts=any(t.table == "touchpoints" for t in status.tables),
            stale=stale,
            measure_next=_measure_next_items(evidence, decision),
            measure_next_heading=MEASURE_NEXT_HEADING,
            status=status,
            min_cell_size=k,
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            plotly_js=Markup(_plotly_js()),
            plotly_bundle=PLOTLY_BUNDLE,
            safe_count=lambda v: safe_count(v, min_cell_size=k),
            classifier_sentence=classifier_sentence,
            label=lambda node_id: label_of(theory, node_id),
            probability=probability,
            verdict_colour=lambda v: charts.VERDICT_COLOUR.get(v, "#333"),
        )
    )
    target = out or project.reports_dir / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return ReportResult(
        path=str(target),
        runs={kind: run.run_id for kind, run in saved.items() if run is not None},
        stale=tuple(stale),
    )


def report_context(project: Project, *, allow_stale: bool = False) -> dict[str, Any]:
    """What the report's first screen and sections show, through the disclosure layer,
    without rendering: the web app (`decisionframe serve`) builds its pages from it.
    (Mirrors ``render_report``'s gathering; folding the two together is open.)"""
    saved = {
        kind: project.latest_run(kind, allow_stale=allow_stale)
        for kind in ("analyze", "decide", "demand", "voice", "initiatives")
    }
    runs = {kind: _plain_run(run) for kind, run in saved.items()}
    k = project.config.privacy.min_cell_size
    has_theory = runs["analyze"] is not None or project.theory_path.exists()
    theory = load_theory(project.theory_path) if has_theory else None
    decision = _decision(runs["decide"], theory)
    evidence = _evidence(runs["analyze"], theory, decision, k)
    return {
        "name": project.config.name,
        "theory": theory,
        "evidence": evidence,
        "decision": decision,
        "demand": _demand(runs["demand"], k),
        "voice": voice_section(runs["voice"]),
        "initiatives": initiatives_context(runs["initiatives"]),
        "stale": [note for run in saved.values() if run for note in run.provenance.stale],
        "measure_next": _measure_next_items(evidence, decision),
        "measure_next_heading": MEASURE_NEXT_HEADING,
        "min_cell_size": k,
    }
