"""The report's initiatives section: a template partial and the function building its context.

Self-contained so the report can include it wherever it likes:

    {% include "initiatives.html.j2" %}   with   initiatives = initiatives_context(run)

Numbers here are estimates on monthly aggregates (means and shares per unit and month), not
counts of people, so they pass no small-cell suppression; the aggregates themselves are
built only from months with at least ``min_cell_size`` contacts, needs or clients.
"""

from __future__ import annotations

from typing import Any

import jinja2

from decisionframe.initiatives import InitiativesResult
from decisionframe.initiatives.verdict import table_cells
from decisionframe.numbers import probability

DESIGN_NAMES = {
    "its": "interrupted time series",
    "did": "difference-in-differences",
    "staggered": "staggered roll-out (Callaway-Sant'Anna)",
    "synthetic_control": "synthetic control",
    "none": "no design possible",
}


def _placebo_lines(effect: dict[str, Any]) -> list[str]:
    p = effect["placebos"]
    lines = []
    if p.get("dates"):
        flagged = sum(1 for d in p["dates"] if d["ci_low"] > 0 or d["ci_high"] < 0)
        lines.append(
            f"Pretend start dates before the real one: {flagged} of {len(p['dates'])} show an "
            "'effect'."
        )
    elif p.get("dates_note"):
        lines.append(f"No pretend dates: {p['dates_note']}.")
    if p.get("units_p_value") is not None:
        lines.append(
            f"Placebo units: {p['units_p_value']:.0%} of {p['units_count']} assignments to "
            "other units give an estimate at least as large."
        )
    if p.get("leave_one_out"):
        values = [d["estimate"] for d in p["leave_one_out"]]
        unit = effect.get("unit", "")
        low, high = (table_cells(v, None, None, unit)[0] for v in (min(values), max(values)))
        lines.append(f"Leaving out one unit: estimates from {low} to {high}.")
    trend = p.get("pre_trend")
    if trend:
        lines.append(
            f"Pre-trend check: p = {trend['p_value']:.2f}; it would catch a trend that explains "
            f"the whole estimate with probability {probability(trend['power'])}."
        )
    return lines


def initiatives_context(run: dict[str, Any] | InitiativesResult | None) -> dict[str, Any] | None:
    """What the partial needs, from a saved run's result (or the result itself)."""
    if run is None:
        return None
    data = run.to_dict() if isinstance(run, InitiativesResult) else run.get("result", run)
    rows = []
    for e in data["initiatives"]:
        unit = e.get("unit", "")
        estimate, interval = table_cells(e["estimate"], e["ci_low"], e["ci_high"], unit)
        rows.append(
            {
                "name": e["name"],
                "measure": e.get("label") or e["measure"].replace("_", " "),
                "design": DESIGN_NAMES.get(e["design"], e["design"]),
                "why": e["why"],
                "estimate": estimate,
                "interval": interval,
                "verdict": e["verdict"],
                "sentence": e["sentence"],
                "inference": e["inference"],
                "placebos": _placebo_lines(e),
            }
        )
    return {
        "rows": rows,
        "answer": _answer(rows),
        "summary": data.get("summary", ""),
        "multiplicity": data.get("multiplicity", ""),
        "notes": data.get("notes", []),
    }


VERDICT_ORDER = ("worked", "backfired", "fragile", "no detectable effect", "inconclusive")


def _answer(rows: list[dict[str, Any]]) -> str:
    """The first screen's sentence: which initiatives worked, by name, then the rest counted."""
    if not rows:
        return ""
    by_name: dict[str, list[str]] = {}
    for r in rows:
        if r["verdict"] == "worked":
            by_name.setdefault(r["name"], []).append(r["measure"])
    worked = [f"{name} ({', '.join(sorted(m))})" for name, m in sorted(by_name.items())]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    order = [v for v in VERDICT_ORDER if v in counts] + sorted(set(counts) - set(VERDICT_ORDER))
    tally = ", ".join(f"{counts[v]} {v}" for v in order)
    head = (
        "Worked: " + "; ".join(worked) + "." if worked else "No initiative is shown to have worked."
    )
    return f"{head} Of {len(rows)} effects judged: {tally}."


def render_initiatives(context: dict[str, Any] | None) -> str:
    """The partial on its own (for tests and for reports that do not include it)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("decisionframe.report", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    )
    return env.get_template("initiatives.html.j2").render(initiatives=context)
