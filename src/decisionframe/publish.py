"""Private and publishable outputs, made explicit.

Two kinds of output leave an analysis:

- **Private** (for the analyst): the store and everything else in ``.decisionframe/``,
  saved runs, and plain ``--json FILE`` files. They hold exact counts (a cell of one
  client), single-client series and reason texts as staff typed them. Each carries
  ``"private": true, "publishable": false`` and a note saying so (``mark_private``).
- **Publishable**: the report, and ``--json FILE --publish`` (``publishable``). These
  are *built*, field by field, from the result through the same disclosure layer as the
  report (``decisionframe.disclosure``): counts of fewer than ``min_cell_size`` distinct
  clients are hidden with complementary suppression, histograms merged, series points
  with too few people left out, and reason texts with too few people grouped as
  "other". A field not listed here is not published (it is named in ``left_out``), so a
  new field in a result cannot leak by default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from decisionframe.demand.published import end_to_end_rows, handoff_rows, rules_rows
from decisionframe.disclosure import (
    OTHER,
    group_rare,
    is_small,
    protect_histogram,
    protect_table,
    protect_values,
)

PRIVATE_NOTE = (
    "Private analyst output: exact counts (including groups of fewer than min_cell_size "
    "clients) and text as typed in the data. Do not publish or share it; publish the "
    "report or `--json FILE --publish` instead (see docs/privacy.md)."
)
PUBLISHED_NOTE = (
    "Publishable: every count rests on at least min_cell_size distinct clients (others "
    "hidden as null, with complementary suppression), and no free text is verbatim."
)
_MARKERS = ("private", "publishable", "privacy_note")


def mark_private(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the private markers first (for plain ``--json`` and saved runs)."""
    return {"private": True, "publishable": False, "privacy_note": PRIVATE_NOTE, **data}


def strip_markers(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the markers (a saved run's result is read back by ``from_dict``)."""
    return {k: v for k, v in data.items() if k not in _MARKERS}


def _count(value: float | None, k: int) -> int | None:
    """A single count: published unless 1 to k - 1 (zero says nobody)."""
    if value is None:
        return None
    return None if is_small(float(value), min_cell_size=k) else round(float(value))


# --- analyze ------------------------------------------------------------------------


def _published_row(values: list[int], k: int) -> list[int | None]:
    return [None if v is None else round(v) for v in protect_values(values, min_cell_size=k)]


def _edge(e: dict[str, Any], k: int) -> dict[str, Any]:
    estimate = e.get("estimate") or {}
    diag = e.get("diagnostics") or {}
    dropped = diag.get("dropped") or {}
    names = [n for n in dropped if dropped[n]]
    row = _published_row([int(estimate.get("n_used") or 0), *(int(dropped[n]) for n in names)], k)
    segments = []
    by_variable: dict[str, list[dict[str, Any]]] = {}
    for s in e.get("segments", []):
        by_variable.setdefault(str(s["variable"]), []).append(s)
    for rows in by_variable.values():
        shown = _published_row([int(r["n"]) for r in rows], k)
        segments += [
            {"variable": r["variable"], "segment": r["segment"], "n": n, "effect": r["effect"]}
            for r, n in zip(rows, shown, strict=True)
            if n is not None
        ]
    starts = [i / 20 for i in range(20)]
    histogram = {
        group: [
            {"start": b.start, "end": b.end, "clients": b.count}
            for b in protect_histogram(
                starts, [int(c) for c in counts], width=0.05, min_cell_size=k
            )
        ]
        for group, counts in (diag.get("propensity_histogram") or {}).items()
    }
    verdict = e["verdict"]
    return {
        "treatment": e["treatment"],
        "outcome": e["outcome"],
        "assumption": e["assumption"],
        "unit": e.get("unit"),
        "identification": {
            key: e["identification"].get(key)
            for key in ("strategy", "adjustment_set", "instruments", "to_measure", "explanation")
        },
        "verdict": {
            key: verdict.get(key)
            for key in ("verdict", "min_effect", "posterior", "sentence", "advice")
        },
        "effect": estimate.get("effect"),
        "naive": estimate.get("naive"),
        "estimand": estimate.get("estimand"),
        "method": estimate.get("method"),
        "n_used": row[0],
        "dropped": dict(zip(names, row[1:], strict=True)),
        "outside_support": _count(diag.get("outside_support"), k),
        "propensity_histogram": histogram,
        "balance": diag.get("balance", []),
        "segments": segments,
        "refutations": [
            {key: r.get(key) for key in ("name", "new_effect", "passed", "status", "reading")}
            for r in e.get("refutations", [])
        ],
        "sensitivity": (
            {
                key: e["sensitivity"].get(key)
                for key in ("robustness_value", "explained_away_by_weak_confounder", "reading")
            }
            if e.get("sensitivity")
            else None
        ),
        "specifications": e.get("specifications", []),
    }


def _analyze(data: dict[str, Any], k: int) -> dict[str, Any]:
    return {"seed": data.get("seed"), "edges": [_edge(e, k) for e in data["edges"]]}


# --- decide ---------------------------------------------------------------------------


def _plan(candidate: dict[str, Any] | None, k: int) -> dict[str, Any] | None:
    """A recommended plan: its segments' client counts through the disclosure layer; the
    label (which spells the counts out) only where every count is published."""
    if not candidate:
        return None
    plan = candidate.get("plan") or []
    clients = _published_row([round(a["clients"]) for a in plan], k)
    shown = all(c is not None for c in clients)
    return {
        "kind": candidate.get("kind"),
        "variable": candidate.get("variable"),
        "label": candidate.get("label") if shown else "a targeted plan (segment sizes hidden)",
        "plan": [
            {"segment": a["segment"], "option": a["option"], "clients": c}
            for a, c in zip(plan, clients, strict=True)
        ],
        **{
            key: candidate.get(key)
            for key in (
                "outcomes",
                "p_best",
                "expected_loss",
                "margin",
                "p_beats_runner_up",
                "targeting_note",
            )
            if key in candidate
        },
    }


def _decide(data: dict[str, Any], k: int) -> dict[str, Any]:
    rec = data.get("recommendation") or {}
    return {
        **{
            key: data.get(key)
            for key in (
                "objective",
                "objective_label",
                "budget",
                "baseline",
                "outcome_now",
                "seed",
                "draws",
                "quality_vs_reach",
                "options",
                "cost_sources",
                "cost_warnings",
                "frontier",
                "frontier_options",
                "evpi",
                "evpi_money",
                "cost_per_outcome",
                "measure_next",
                "extra_clients_together",
                "mc_note",
            )
        },
        "recommendation": {**(_plan(rec, k) or {}), "runner_up": _plan(rec.get("runner_up"), k)}
        if rec
        else None,
        "inconclusive": [
            {**m, "n_used": _count(m.get("n_used"), k)} for m in data.get("inconclusive", [])
        ],
    }


# --- demand ---------------------------------------------------------------------------

_CLASSES = ("value_clients", "failure_clients", "unknown_clients", "clients")


def _class_table(
    groups: list[dict[str, Any]], key: str, total_people: list[int] | None, k: int
) -> list[dict[str, Any]]:
    """Value, failure and unclassified contacts per group and in total, each cell sized by
    the distinct clients behind it; a share only where its counts are published (the
    report's own rule, ``report.build._share_rows``)."""
    if not groups:
        return []
    table = [
        [int(g["contacts"] - g["failure"] - g["unknown"]), int(g["failure"]), int(g["unknown"])]
        for g in groups
    ]
    people = None
    if all(c in g for g in groups for c in _CLASSES):
        people = [[int(g[c]) for c in _CLASSES] for g in groups]
        people.append(
            total_people
            if total_people is not None
            # distinct people over several rows are not known: the largest row is a lower
            # bound, so a total is never taken as larger than it is
            else [max(int(g[c]) for g in groups) for c in _CLASSES]
        )
    protected = protect_table(np.array(table), min_cell_size=k, people=people)
    published = protected.published()
    names = [g[key] for g in groups] + ["all"]
    return [
        {
            key: name,
            "value": row[0],
            "failure": row[1],
            "unknown": row[2],
            "contacts": row[3],
            "failure_share": protected.share(index, 1),
        }
        for index, (name, row) in enumerate(zip(names, published, strict=True))
    ]


def _reasons(rows: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """Reason texts with at least k distinct clients as written (lower-cased); the rest
    grouped as 'other', whose people are unknown (a person can have several rare
    reasons), so its cells are always hidden and complemented."""
    if not rows:
        return []
    labels = group_rare(
        [r["reason"] for r in rows],
        [int(r.get("clients", 0)) for r in rows],
        min_cell_size=k,
    )
    # A reason shared by k clients can still name a person ("benefit claim (call 11: jane
    # doe)"): one the personal-details scrubber would change is grouped as 'other' too.
    from decisionframe.voice.scrub import scrub

    labels = [OTHER if label != OTHER and scrub(label) != label else label for label in labels]
    merged: dict[str, dict[str, Any]] = {}
    for label, r in zip(labels, rows, strict=True):
        if label not in merged:
            merged[label] = {"reason": label, "contacts": 0, "failure": 0, "unknown": 0}
            merged[label].update({c: int(r.get(c, 0)) for c in _CLASSES})
        else:
            # unknown overlap: mark as too few people to publish
            merged[label].update(dict.fromkeys(_CLASSES, 1))
        for field in ("contacts", "failure", "unknown"):
            merged[label][field] += int(r[field])
    if OTHER in merged:
        merged[OTHER].update(dict.fromkeys(_CLASSES, 1))
        merged[OTHER] = merged.pop(OTHER)  # listed last
    return _class_table(list(merged.values()), "reason", None, k)


def _demand(data: dict[str, Any], k: int) -> dict[str, Any]:
    overall = data["overall"]
    margins = [int(overall.get(c, 0)) for c in _CLASSES] if "clients" in overall else None
    internal = data.get("internal_customers", [])
    internal_counts = protect_values(
        [int(i["failure_contacts"]) for i in internal],
        min_cell_size=k,
        people=[int(i.get("failure_clients", i["failure_contacts"])) for i in internal],
    )
    hist = data.get("end_to_end_histogram", [])
    bins = protect_histogram(
        [h["day"] for h in hist],
        [int(h["needs"]) for h in hist],
        people=[int(h.get("clients", h["needs"])) for h in hist],
        min_cell_size=k,
    )
    touch = data.get("one_touch") or {}
    one, more = _published_row(
        [int(touch.get("one_touch", 0)), int(touch.get("needs", 0) - touch.get("one_touch", 0))],
        k,
    )
    classifier = data.get("text_classifier")
    return {
        "failure_share": overall.get("failure_share"),
        "contacts": _count(overall.get("contacts"), k),
        "clients": _count(overall.get("clients"), k),
        "by_channel": _class_table(data.get("by_channel", []), "channel", margins, k),
        "by_unit": _class_table(data.get("by_unit", []), "unit", margins, k),
        "by_reason": _reasons(data.get("by_reason", []), k),
        "one_touch": {
            "one_touch": one,
            "needs": one + more if one is not None and more is not None else None,
            "rate": touch.get("rate") if one is not None and more is not None else None,
        },
        "internal_customers": [
            {"backend_unit": i["backend_unit"], "failure_contacts": v}
            for i, v in zip(internal, internal_counts, strict=True)
            if v is not None
        ],
        "rules_fired": rules_rows(
            data.get("rules_fired", []), all_clients=overall.get("clients"), min_cell_size=k
        ),
        "handoffs": handoff_rows(data.get("handoffs", []), min_cell_size=k),
        "end_to_end": end_to_end_rows(data.get("end_to_end", []), min_cell_size=k),
        "end_to_end_histogram": [
            {"from_day": b.start, "to_day": b.end, "needs": b.count} for b in bins
        ],
        "text_classifier": (
            {key: classifier.get(key) for key in ("cv_accuracy", "rules_agreement")}
            if classifier
            else None
        ),
        # Control-chart points already rest on >= min_cell_size distinct clients (points
        # with fewer are left out when the charts are made, demand.charts).
        "charts": [
            {
                key: c.get(key)
                for key in ("title", "kind", "unit", "periods", "values", "n", "phases")
            }
            | {"reading": c.get("reading"), "signals": c.get("signals"), "note": c.get("note")}
            for c in data.get("charts", [])
        ],
    }


# --- voice, profiles, initiatives -----------------------------------------------------


def _shown(rows: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """The groups (themes, asks, emerging needs, profiles) that may be published: with at
    least k clients behind them. A group the analysis already hid carries no count
    (``clients`` None, as the report shows it 'suppressed'); it is left out here too."""
    return [
        r
        for r in rows
        if r.get("clients") is not None and not is_small(float(r["clients"]), min_cell_size=k)
    ]


def _voice(data: dict[str, Any], k: int) -> dict[str, Any]:
    """Themes and asks are word lists (scrubbed), already made from >= k clients; any with
    fewer, or already hidden, are left out here too."""
    return {
        "comments": _count(data.get("comments"), k),
        "clients": _count(data.get("clients"), k),
        "months": data.get("months", []),
        "themes": _shown(data.get("themes", []), k),
        "asks": _shown(data.get("asks", []), k),
        "emerging": _shown(data.get("emerging", []), k),
        "words_vs_scores": {
            key: (data.get("words_vs_scores") or {}).get(key) for key in ("correlation", "rule")
        },
    }


def _profiles(data: dict[str, Any], k: int) -> dict[str, Any]:
    return {
        "profiles": _shown(data.get("profiles", []), k),
        "variety": _shown(data.get("variety", []), k),
        "variety_failure_correlation": data.get("variety_failure_correlation"),
    }


def _initiatives(data: dict[str, Any], k: int) -> dict[str, Any]:
    """Initiatives compare units over months (no client counts): the report's own view."""
    from decisionframe.report.initiatives import initiatives_context

    context = initiatives_context(data) or {}
    return {"initiatives": context.get("rows", []), "answer": context.get("answer", "")}


_BUILDERS: dict[str, Callable[[dict[str, Any], int], dict[str, Any]]] = {
    "analyze": _analyze,
    "decide": _decide,
    "demand": _demand,
    "voice": _voice,
    "profiles": _profiles,
    "initiatives": _initiatives,
}


def publishable_kinds() -> tuple[str, ...]:
    return tuple(_BUILDERS)


class _Result(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def publishable(result: _Result, *, min_cell_size: int) -> dict[str, Any]:
    """The publishable form of ``result``: built through the disclosure layer, marked."""
    data = result.to_dict()
    kind = str(data["kind"])
    build = _BUILDERS.get(kind)
    if build is None:
        raise ValueError(f"'{kind}' has no publishable form")
    body = build(data, min_cell_size)
    left_out = sorted(set(data) - set(body) - {"kind", "schema_version", "summary"})
    return {
        "kind": kind,
        "private": False,
        "publishable": True,
        "privacy_note": PUBLISHED_NOTE,
        "min_cell_size": min_cell_size,
        **body,
        "left_out": left_out,
    }


__all__ = [
    "PRIVATE_NOTE",
    "PUBLISHED_NOTE",
    "mark_private",
    "publishable",
    "publishable_kinds",
    "strip_markers",
]
