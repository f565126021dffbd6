"""Measure bindings: where each node's value comes from, checked against the store."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from decisionframe.errors import Problem
from decisionframe.store import Store, quote
from decisionframe.theory.model import Measure, Node, Theory
from decisionframe.yamlfile import LocatedYaml


@dataclass(frozen=True)
class Binding:
    """A node's measure with defaults filled in (table clients, column = node id)."""

    node: str
    table: str
    column: str | None
    outcome: str | None
    aggregate: str
    within_days: int | None
    at_day: int | None
    theme: str | None = None


def bind(node: Node) -> Binding | None:
    measure: Measure | None = node.measure
    if measure is None:
        return None
    table = measure.table or "clients"
    column = measure.column
    if table == "clients" and column is None:
        column = node.id
    return Binding(
        node.id,
        table,
        column,
        measure.outcome,
        measure.aggregate,
        measure.within_days,
        measure.at_day,
        measure.theme,
    )


def bindings(theory: Theory) -> dict[str, Binding]:
    return {n.id: b for n in theory.nodes if (b := bind(n)) is not None}


def store_catalogue(store: Store) -> dict[str, list[str]]:
    """Table -> columns as held in the store (canonical and attribute columns)."""
    if not store.table_exists("df_columns"):
        return {}
    catalogue: dict[str, list[str]] = {}
    for table, column in store.rows("SELECT table_name, column_name FROM df_columns"):
        catalogue.setdefault(str(table), []).append(str(column))
    return catalogue


def store_outcomes(store: Store, catalogue: dict[str, list[str]]) -> list[str]:
    """The outcome names the outcomes table holds (empty when it is not loaded)."""
    if "outcomes" not in catalogue:
        return []
    return [str(r[0]) for r in store.rows("SELECT DISTINCT outcome FROM outcomes ORDER BY 1")]


def check_bindings(theory: Theory, located: LocatedYaml, store: Store) -> list[Problem]:
    """Each measure must point at a table, column or outcome the store holds, and a
    measure that averages or sums must read numbers."""
    catalogue = store_catalogue(store)
    problems = check_bindings_in(theory, located, catalogue, store_outcomes(store, catalogue))
    return problems or measure_value_problems(theory, located, store)[0]


NUMERIC_AGGREGATES = frozenset({"mean", "sum", "min", "max"})
_SCALE_IN_TEXT = re.compile(r"\b(\d+)\s*-\s*(\d+)\b")


def declared_scale(node: Node) -> tuple[float, float] | None:
    """The scale a node's label or unit declares ('Quality of contact (1-5)', 'point on
    the 1-5 respect rating'), or None."""
    for text in (node.unit.one if node.unit else "", node.title):
        match = _SCALE_IN_TEXT.search(text or "")
        if match and int(match[1]) < int(match[2]):
            return float(match[1]), float(match[2])
    return None


def _files_of(store: Store, table: str) -> str:
    """The files a table was last imported from, as one short phrase."""
    if not store.table_exists("df_imports"):
        return table
    rows = store.rows(
        "SELECT source_path FROM df_imports WHERE table_name = ? AND batch_id = (SELECT "
        "batch_id FROM df_imports ORDER BY imported_at DESC, batch_id LIMIT 1) ORDER BY 1",
        [table],
    )
    names = [str(r[0]) for r in rows]
    if not names:
        return table
    return names[0] if len(names) == 1 else f"{names[0]} ... {names[-1]} ({len(names)} files)"


def measure_value_problems(
    theory: Theory, located: LocatedYaml, store: Store
) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) about the values a measure reads.

    Error: a mean, sum, min or max of a column holding words ("Good"/"Poor" bound as a
    1-5 quality): the analysis failed with a database conversion message naming nothing
    the user wrote. Warning: numbers outside the scale the node declares (0-10 answers on
    a 1-5 scale), which would be estimated as if they were on it. Located by theory line,
    node, table, file and file column; no value is shown but the range of a numeric scale.
    """
    if not store.table_exists("df_columns"):
        return [], []
    info = {
        (str(t), str(c)): (str(kind), str(source))
        for t, c, kind, source in store.rows(
            "SELECT table_name, column_name, logical_type, source_column FROM df_columns"
        )
    }
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for index, node in enumerate(theory.nodes):
        binding = bind(node)
        if binding is None or binding.column is None or binding.table == "outcomes":
            continue
        found = info.get((binding.table, binding.column))
        if found is None or not store.table_exists(binding.table):
            continue
        kind, source = found
        where = f"{binding.table}.{binding.column}" + (
            f" (column '{source}' of {_files_of(store, binding.table)})" if source else ""
        )
        line = located.line_of(("nodes", index, "measure"))
        key = f"nodes.{node.id}.measure"
        if binding.aggregate in NUMERIC_AGGREGATES and kind in ("text", "id"):
            errors.append(
                Problem(
                    str(located.path),
                    "theory-measure-not-numeric",
                    f"node '{node.id}' takes the {binding.aggregate} of {where}, which holds "
                    "words, not numbers",
                    f"recode the words as numbers in decisionframe.yaml: `values: "
                    f"{{{binding.column}: {{'<word>': 1, ...}}}}` on the {binding.table} "
                    "source, then import again",
                    line,
                    key,
                )
            )
            continue
        scale = declared_scale(node)
        if scale is None or kind not in ("float", "int"):
            continue
        low, high = store.rows(
            f"SELECT min({quote(binding.column)}), max({quote(binding.column)}) "
            f"FROM {quote(binding.table)}"
        )[0]
        if low is None or (scale[0] <= float(low) and float(high) <= scale[1]):
            continue
        warnings.append(
            Problem(
                str(located.path),
                "theory-measure-off-scale",
                f"node '{node.id}' is declared on a {scale[0]:g}-{scale[1]:g} scale, but "
                f"{where} runs from {float(low):g} to {float(high):g}",
                "check the node's label or unit, or recode the column onto the scale "
                "(`values:` in decisionframe.yaml)",
                line,
                key,
            )
        )
    return errors, warnings


def check_bindings_in(
    theory: Theory, located: LocatedYaml, catalogue: dict[str, list[str]], outcomes: list[str]
) -> list[Problem]:
    """``check_bindings`` against a catalogue read earlier (the editor checks every draft
    against the catalogue it read once, without reopening the store)."""
    problems = []
    for index, node in enumerate(theory.nodes):
        binding = bind(node)
        if binding is None:
            continue
        where = ("nodes", index, "measure")
        problem = _check_one(binding, catalogue, outcomes)
        if problem is not None:
            rule, message, hint = problem
            problems.append(
                Problem(
                    str(located.path),
                    rule,
                    message,
                    hint,
                    located.line_of(where),
                    f"nodes.{node.id}.measure",
                )
            )
    return problems


def _check_one(
    binding: Binding, catalogue: dict[str, list[str]], outcomes: list[str]
) -> tuple[str, str, str] | None:
    if binding.table not in catalogue:
        # An empty catalogue: no import has loaded anything yet (never run, or refused).
        # "Add a source" then sent users to a config that already had one.
        hint = (
            "nothing is loaded yet: run `decisionframe import` first (and fix what it reports)"
            if not catalogue
            else f"add a source for `{binding.table}` to decisionframe.yaml and run "
            "`decisionframe import` (if it is there already, import again)"
        )
        return (
            "theory-measure-table",
            f"measure of '{binding.node}' reads table '{binding.table}', which is not loaded",
            hint,
        )
    if binding.table == "outcomes":
        if binding.outcome not in outcomes:
            close = difflib.get_close_matches(binding.outcome or "", outcomes, n=3)
            return (
                "theory-measure-outcome",
                f"outcome '{binding.outcome}' of node '{binding.node}' is not in the "
                "outcomes table",
                f"close matches: {', '.join(close)}"
                if close
                else f"outcomes held: {', '.join(sorted(outcomes)[:10]) or 'none'}",
            )
        return None
    if binding.theme is not None:
        return None  # the theme is checked when the frame is built (after `voice`)
    columns = catalogue[binding.table]
    if binding.column not in columns:
        close = difflib.get_close_matches(binding.column or "", columns, n=3)
        return (
            "theory-measure-column",
            f"column '{binding.column}' of node '{binding.node}' is not in table '{binding.table}'",
            f"close matches: {', '.join(close)}"
            if close
            else f"columns held: {', '.join(columns)}",
        )
    return None


@dataclass(frozen=True)
class ColumnInfo:
    """A column a node could be measured by: where it is, its type, how often it is empty.

    Names and shares only, never a value: the editor's measure picker shows these.
    """

    table: str
    column: str
    logical_type: str
    missing_share: float
    rows: int


_MEASURABLE_TABLES = ("clients", "touchpoints", "feedback")


def column_catalogue(store: Store) -> list[ColumnInfo]:
    """Every column of the measurable tables with its type and share of missing values;
    identifiers and pseudonymized columns are left out (no node is measured by them)."""
    if not store.table_exists("df_columns"):
        return []
    listed = store.rows(
        "SELECT table_name, column_name, logical_type FROM df_columns "
        "WHERE NOT pseudonymized AND logical_type <> 'id' ORDER BY table_name, column_name"
    )
    by_table: dict[str, list[tuple[str, str]]] = {}
    for table, column, logical in listed:
        if str(table) in _MEASURABLE_TABLES and store.table_exists(str(table)):
            by_table.setdefault(str(table), []).append((str(column), str(logical)))
    out = []
    for table, columns in by_table.items():
        counts = ", ".join(f"count({quote(c)})" for c, _ in columns)
        row = store.rows(f"SELECT count(*), {counts} FROM {quote(table)}")[0]
        total = int(row[0])
        for (column, logical), present in zip(columns, row[1:], strict=True):
            share = 1.0 - int(present) / total if total else 1.0
            out.append(ColumnInfo(table, column, logical, round(share, 3), total))
    return out
