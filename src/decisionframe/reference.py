"""The schema reference: canonical tables and every decisionframe.yaml and theory.yaml key.

Generated from the code itself (the canonical table specs and the pydantic models behind
both files), so `decisionframe schema` and docs/schema.md cannot drift from what is checked.
A key's meaning is its pydantic description, else the entry in ``MEANINGS`` below.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from decisionframe.config import ColumnSource, ProjectConfig, SourceConfig
from decisionframe.store import CANONICAL
from decisionframe.store.schema import SQL_TYPES
from decisionframe.theory.model import Theory

COLUMN_MEANINGS: dict[str, str] = {
    "clients.client_id": "the client's identifier in your system (pseudonymized on import)",
    "clients.enrolled_on": "the day the client was referred or enrolled",
    "touchpoints.touchpoint_id": "one contact's identifier (a call, visit, email, form)",
    "touchpoints.client_id": "the client the contact was with",
    "touchpoints.started_at": "when the contact started (stored in UTC)",
    "touchpoints.channel": "how: one of `channels:` (recode yours with `values:`)",
    "touchpoints.unit": "team, office or project that handled it",
    "touchpoints.service": "the service it was about",
    "touchpoints.reason": "why the client got in touch (free text; classified for demand)",
    "touchpoints.need_id": "the need this contact served (contacts of one need share it)",
    "touchpoints.resolved": "whether the need was met at this contact (yes/no)",
    "touchpoints.waiting_on": "who or what the case waits on after the contact",
    "touchpoints.wait_minutes": "minutes the client waited",
    "touchpoints.handle_minutes": "minutes staff spent on it",
    "touchpoints.staff_id": "who handled it (pseudonymized on import)",
    "touchpoints.cost": "its cost, in your currency",
    "outcomes.client_id": "whose outcome",
    "outcomes.outcome": "which outcome (housed, employed, ...): the name theory.yaml uses",
    "outcomes.value": "the outcome's value: 1/0 for yes/no outcomes, or a number",
    "outcomes.measured_on": "the day it was measured",
    "feedback.feedback_id": "one comment's identifier",
    "feedback.text": "what the client wrote (free text; never printed as is)",
    "feedback.client_id": "who wrote it",
    "feedback.touchpoint_id": "the contact it is about",
    "feedback.given_on": "when it was given",
    "feedback.score": "a rating given with it",
    "costs.option": "a decision option's id (as in theory.yaml decision.options)",
    "costs.cost_per_client": "what the option costs per client",
    "costs.capacity": "how many clients it can take",
    "initiatives.initiative_id": "one change you made (a pilot, a new process)",
    "initiatives.name": "its name",
    "initiatives.started_on": "when it started",
    "initiatives.ended_on": "when it ended (empty: still running)",
    "initiatives.units": "the units it applied to (comma-separated; empty: all)",
    "initiatives.channels": "the channels it applied to (comma-separated; empty: all)",
}

MEANINGS: dict[str, str] = {
    # decisionframe.yaml
    "name": "your organization or project's name, shown on reports",
    "store": "where the DuckDB store is written (keep .decisionframe/ private)",
    "sources": "one entry per canonical table: where its export is and how to read it; or "
    "a preset, {preset: hmis, path: data/hmis/} or {preset: zendesk, path: data/tickets.csv} "
    "(see Presets below)",
    "privacy": "what is pseudonymized, and the smallest group any number is published for",
    "privacy.min_cell_size": "no published number rests on fewer distinct clients than this",
    "privacy.pseudonymize": "columns replaced by keyed pseudonyms (HMAC-SHA-256) on import",
    "privacy.key_env": "environment variable holding the pseudonym key (else .decisionframe/key)",
    "channels": "the contact channels touchpoints.channel may hold (case-insensitive)",
    "demand": "settings for failure-demand classification",
    "demand.repeat_window_days": "a contact within this many days of the last on one need is a "
    "repeat",
    "demand.progress_chasing": "words marking a contact that chases progress (failure demand)",
    "demand.error_correction": "words marking a contact that corrects an error (failure demand)",
    "voice": "settings for `voice` (feedback themes, asks, emerging needs) and `profiles`",
    "voice.themes": "analyst-named themes: {id: {label, seeds: [words]}}",
    "voice.themes.*.label": "the theme's name on the report",
    "voice.themes.*.seeds": "words or phrases marking the theme (`rush*` matches rushed)",
    "voice.baseline_months": "months a need's share is compared against to call it emerging",
    "voice.label_column": "feedback column with staff's own theme labels (for agreement)",
    "theory": "the impact theory file",
    "sources.*.columns.*.column": "the column's name in the source file",
    # theory.yaml
    "question": "the question the theory answers, in your words",
    "counterfactual": "what would happen to clients without you (the comparison)",
    "nodes": "things that vary between clients: causes, qualities, mediators, outcomes, context",
    "nodes[].id": "a short name (letters, digits, _) used by edges",
    "nodes[].kind": "intervention, service_quality, mediator, outcome or context",
    "nodes[].label": "the name shown on reports",
    "nodes[].description": "what it means, for readers",
    "nodes[].measure": "how it is read from the store, one value per client",
    "nodes[].unit": "how readers count it: a string (one unit) or {one, many, per_100}",
    "nodes[].counterfactual": "for an intervention: what would be different for clients without it",
    "nodes[].measure.table": "clients, touchpoints, outcomes or feedback",
    "nodes[].measure.column": "the column (canonical or attribute) to read",
    "nodes[].measure.outcome": "for table: outcomes, which outcome",
    "nodes[].measure.aggregate": "how a client's many rows become one value: mean, sum, count, "
    "min, max, share_true, first, last",
    "nodes[].measure.within_days": "only rows within this many days of enrolment",
    "nodes[].measure.at_day": "the outcome as measured at this day after enrolment",
    "edges": "causes: {from: node, to: node}, each maybe with an assumption to test",
    "edges[].from": "the cause node",
    "edges[].to": "the effect node",
    "edges[].assumption": "a belief about this edge that decisionframe tests against the data",
    "edges[].assumption.claim": "the belief in words",
    "edges[].assumption.expected": "increase, decrease or none",
    "edges[].assumption.prior": "what you believed before the data: {mean, sd}",
    "edges[].assumption.prior.mean": "the effect you expect",
    "edges[].assumption.prior.sd": "how unsure you are of it",
    "edges[].assumption.estimand": "ATE (everyone), ATT (those who got it) or ATC (those who did "
    "not)",
    "edges[].assumption.source": "where the belief comes from (an interview, a study)",
    "decision": "a choice to make with the estimates: options, budget and objective",
    "decision.objective": "the outcome node to maximize",
    "decision.budget": "money available for the options",
    "decision.baseline": "the outcome's value with none of the options",
    "decision.options": "the options: {id, cost_per_client, capacity, set}",
    "decision.options[].id": "the option's name (matches costs.option)",
    "decision.options[].cost_per_client": "what it costs per client (or in the costs table)",
    "decision.options[].capacity": "how many clients it can take",
    "decision.options[].set": "what the option sets: {node: value}",
    "decision.min_coverage": "least share of clients each option must reach: {option: share}",
}


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args if a is not type(None)) + (
            " (optional)" if type(None) in args else ""
        )
    if origin is typing.Literal:
        return " | ".join(str(a) for a in args)
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"mapping {_type_name(args[0])} -> {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: Any) -> str:
    if field.default is not PydanticUndefined and field.default is not None:
        return repr(field.default)
    if field.default_factory is not None:
        value = field.default_factory()
        return repr(value) if value not in ({}, []) else ""
    return "required" if field.is_required() else ""


def _models_in(annotation: Any) -> list[tuple[type[BaseModel], str]]:
    """Models nested in an annotation, with the key suffix they sit under."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, "")]
    if origin in (typing.Union, types.UnionType):
        return [m for a in args for m in _models_in(a)]
    if origin in (list, tuple) and args:
        return [(m, "[]" + s) for m, s in _models_in(args[0])]
    if origin is dict and args:
        return [(m, ".*" + s) for m, s in _models_in(args[1])]
    return []


def keys_of(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(key, type, default, meaning) of every key of ``model``, nested keys after their parent."""
    rows: list[tuple[str, str, str, str]] = []
    for name, field in model.model_fields.items():
        key_name = field.alias or name
        key = f"{prefix}{key_name}"
        general = key.replace("sources.*.", "sources.<table>.")
        meaning = field.description or MEANINGS.get(key) or MEANINGS.get(general) or ""
        if model is ColumnSource or model is SourceConfig:
            meaning = field.description or meaning
        rows.append((key, _type_name(field.annotation), _default(field), meaning))
        for nested, suffix in _models_in(field.annotation):
            rows += keys_of(nested, f"{key}{suffix}.")
    return rows


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def schema_markdown() -> str:
    """The whole reference as Markdown (what docs/schema.md holds)."""
    out = [
        "# Schema reference",
        "",
        "Generated by `decisionframe schema` from the code; do not edit by hand "
        "(`decisionframe schema > docs/schema.md` regenerates it).",
        "",
        "## Canonical tables",
        "",
        "Every export is mapped onto these tables (`sources.<table>.columns` maps your column "
        "names). Any other column of your file is kept as an attribute column, its name "
        "snake-cased (`Respect Score` -> `respect_score`), with its type inferred; theory.yaml "
        "measures can read attribute columns by name.",
        "",
    ]
    for spec in CANONICAL.values():
        out += [f"### {spec.name}", "", f"Key: {' + '.join(spec.key)}.", ""]
        rows = [
            (
                c.name,
                f"{c.type} ({SQL_TYPES[c.type]})",
                "yes" if c.required else "",
                c.references or "",
                COLUMN_MEANINGS.get(f"{spec.name}.{c.name}", ""),
            )
            for c in spec.columns
        ]
        out += _table(rows, ("column", "type", "required", "refers to", "meaning"))  # type: ignore[arg-type]
        out.append("")
    out += [
        "## decisionframe.yaml",
        "",
        "`sources.<table>` keys also work per column: `columns: {started_at: {column: Contact "
        "Date, date_format: '%d/%m/%Y'}}`.",
        "",
    ]
    out += _table(keys_of(ProjectConfig), ("key", "type", "default", "meaning"))  # type: ignore[arg-type]
    out += ["", "## theory.yaml", ""]
    out += _table(keys_of(Theory), ("key", "type", "default", "meaning"))  # type: ignore[arg-type]
    out += _presets_markdown()
    return "\n".join(out) + "\n"


def _presets_markdown() -> list[str]:
    """Each preset's expansion, as the YAML it stands for (see docs/presets.md)."""
    import yaml

    from decisionframe.presets import PRESET_KEYS, PRESETS, expand_preset

    examples = {"hmis": "data/hmis/", "zendesk": "data/tickets.csv"}
    out = [
        "",
        "## Presets",
        "",
        "`sources: {preset: NAME, path: ...}` stands for the sources below (shown for the "
        "example path); copy one into decisionframe.yaml to adapt it. What each mapping "
        "rests on is in [presets.md](presets.md).",
    ]
    for name in PRESETS:
        expanded = expand_preset({"preset": name, "path": examples[name]})
        text = yaml.safe_dump({"sources": expanded}, sort_keys=False, allow_unicode=True, width=100)
        keys = ", ".join(f"`{k}`" for k in PRESET_KEYS[name])
        out += ["", f"### {name}", "", f"Keys: {keys}.", "", "```yaml", text.rstrip(), "```"]
    return out


__all__ = ["COLUMN_MEANINGS", "MEANINGS", "keys_of", "schema_markdown"]
