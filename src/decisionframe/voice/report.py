"""The voice section of the HTML report: its context, built from a saved voice run.

Self-contained so the report can include it anywhere (``report/templates/_voice.html.j2``).
Only published numbers: themes and asks already passed the disclosure rules when the run
was made (suppressed ones are ``None`` and are left out here); no comment text at all.
"""

from __future__ import annotations

from typing import Any


def _trend(by_month: dict[str, float | None]) -> str:
    """'rising', 'falling' or 'steady': last three published months against the first three."""
    values = [v for _, v in sorted(by_month.items()) if v is not None]
    if len(values) < 6:
        return "too few months"
    first, last = sum(values[:3]) / 3, sum(values[-3:]) / 3
    if last > 1.5 * first and last - first >= 0.01:
        return "rising"
    if last < first / 1.5 and first - last >= 0.01:
        return "falling"
    return "steady"


def voice_section(run: dict[str, Any] | None) -> dict[str, Any] | None:
    """Context for ``_voice.html.j2`` from ``Project.latest('voice')``, or None."""
    if run is None:
        return None
    r = run["result"]
    themes = [
        {
            "label": t["label"],
            "kind": t["kind"],
            "share": t["share"],
            "clients": t["clients"],
            "sentiment": t["sentiment"],
            "mean_score": t["mean_score"],
            "trend": _trend(t["by_month"]),
            "words_vs_scores": (
                (t["disagreement"] is not None and t["disagreement"] >= 0.2)
                or (
                    t["mean_score"] is not None
                    and t["sentiment"] is not None
                    and t["sentiment"] <= -0.2
                    and t["mean_score"] >= 3.5
                )
            ),
        }
        for t in r["themes"]
        if t["share"] is not None
    ]
    return {
        "comments": r["comments"],
        "themes": themes[:15],
        "asks": [a for a in r["asks"] if a["clients"] is not None][:8],
        "emerging": [e["reading"] for e in r["emerging"]],
        "words_vs_scores": r["words_vs_scores"],
        "suppressed_themes": sum(t["share"] is None for t in r["themes"]),
        "min_cell_size": r["min_cell_size"],
    }
