"""Validate staged sources: collect *every* problem, located, before anything is loaded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from decisionframe.errors import Problem
from decisionframe.ingest.rules import HINTS, bad_value_sql
from decisionframe.ingest.stage import StagedSource
from decisionframe.store import DuckDBStore, quote

MAX_LINES_PER_RULE = 1000  # per rule and column; the rest is summarized in one problem


@dataclass(frozen=True)
class _Check:
    rule: str
    column: str
    predicate: str
    message: str
    hint: str
    params: tuple[object, ...] = field(default=())  # values for the predicate's ``?``


def _cell_checks(staged: StagedSource, channels: list[str]) -> list[_Check]:
    checks: list[_Check] = []
    for name, file_column in staged.columns.items():
        column = quote(file_column)
        spec = staged.spec.column(name)
        type_ = staged.type_of(name)
        typed = name in staged.typed  # parsed by the reader: no text left to check
        text = staged.text_sql(name)
        if spec is not None and spec.required:
            checks.append(
                _Check(
                    "required-value-missing",
                    file_column,
                    f"{column} IS NULL" if typed else f"{column} IS NULL OR {text} = ''",
                    f"'{name}' is required but empty",
                    "fill it in, or remove the row if it is not a real record",
                )
            )
        bad = None if typed else bad_value_sql(column, type_)
        if bad is not None:
            checks.append(
                _Check(
                    f"not-a-{type_}",
                    file_column,
                    bad,
                    f"value cannot be read as {type_}",
                    HINTS[type_],
                )
            )
        if spec is not None and spec.non_negative:
            checks.append(
                _Check(
                    "negative-value",
                    file_column,
                    f"{column} < 0" if typed else f"TRY_CAST(trim({column}) AS DOUBLE) < 0",
                    f"'{name}' cannot be negative",
                    "check the sign and the unit of the column",
                )
            )
    if staged.table == "touchpoints" and "channel" in staged.columns:
        column = quote(staged.columns["channel"])
        # Configured names are values: passed as a parameter, never spliced into the SQL.
        checks.append(
            _Check(
                "unknown-channel",
                staged.columns["channel"],
                f"{column} IS NOT NULL AND NOT list_contains(?::VARCHAR[], lower(trim({column})))",
                "channel is not one of the configured channels",
                f"use one of {', '.join(channels)}, or add it under `channels:` in "
                "decisionframe.yaml",
                (list(channels),),
            )
        )
    return checks


def _locate(store: DuckDBStore, staged: StagedSource, check: _Check, count: int) -> list[Problem]:
    rowids = store.rows(
        f"SELECT rowid FROM {quote(staged.temp_table)} WHERE {check.predicate} "
        f"ORDER BY rowid LIMIT {MAX_LINES_PER_RULE}",
        list(check.params),
    )
    problems = [
        Problem(
            staged.display_path,
            check.rule,
            check.message,
            check.hint,
            staged.line_of(int(r[0])),
            check.column,
        )
        for r in rowids
    ]
    if count > len(problems):
        problems.append(
            Problem(
                staged.display_path,
                check.rule,
                f"{count - len(problems)} more lines with the same problem",
                check.hint,
                None,
                check.column,
            )
        )
    return problems


def _check_cells(store: DuckDBStore, staged: StagedSource, channels: list[str]) -> list[Problem]:
    checks = _cell_checks(staged, channels)
    if not checks:
        return []
    counts = store.rows(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {c.predicate})" for c in checks)
        + f" FROM {quote(staged.temp_table)}",
        [value for check in checks for value in check.params],
    )[0]
    problems: list[Problem] = []
    for check, count in zip(checks, counts, strict=True):
        if count and staged.exact:
            problems += _locate(store, staged, check, int(count))
        elif count:
            problems.append(_unlocated(staged, check.rule, check.column, int(count)))
    return problems


def _unlocated(staged: StagedSource, rule: str, column: str, count: int) -> Problem:
    """A problem found in a fast-staged source, which has no line numbers to give."""
    return Problem(
        staged.display_path,
        rule,
        f"{count} rows break this rule",
        "stage exactly to locate",
        None,
        column,
    )


def _check_duplicate_keys(store: DuckDBStore, staged: StagedSource) -> list[Problem]:
    key_columns = [staged.columns[k] for k in staged.spec.key if k in staged.columns]
    if not key_columns:
        return []
    keys = ", ".join(staged.text_sql(k) for k in staged.spec.key if k in staged.columns)
    table = quote(staged.temp_table)
    # A hash aggregate finds whether any key repeats (cheap); only then are rows located.
    repeated = store.rows(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {keys} HAVING count(*) > 1)"
    )[0][0]
    if not repeated:
        return []
    if not staged.exact:
        return [_unlocated(staged, "duplicate-key", key_columns[0], int(repeated))]
    rows = store.rows(
        f"SELECT rowid, first_rowid FROM (SELECT rowid, min(rowid) OVER (PARTITION BY {keys}) "
        f"AS first_rowid FROM {table}) WHERE rowid <> first_rowid "
        f"ORDER BY rowid LIMIT {MAX_LINES_PER_RULE}"
    )
    label = " + ".join(staged.spec.key)
    return [
        Problem(
            staged.display_path,
            "duplicate-key",
            f"duplicate {label}: same key as line {staged.line_of(int(first))}",
            "keep one row per key; merge or delete the repeated row",
            staged.line_of(int(rowid)),
            key_columns[0],
        )
        for rowid, first in rows
    ]


def _check_references(
    store: DuckDBStore, staged: StagedSource, all_staged: Mapping[str, StagedSource]
) -> list[Problem]:
    problems: list[Problem] = []
    for name, file_column in staged.columns.items():
        spec = staged.spec.column(name)
        if spec is None or spec.references is None:
            continue
        parent_table, parent_column = spec.references.split(".")
        parent = all_staged.get(parent_table)
        if parent is None or parent_column not in parent.columns:
            problems.append(
                Problem(
                    staged.display_path,
                    "missing-parent-source",
                    f"'{name}' refers to {parent_table}, which is not being imported",
                    f"add a `{parent_table}` source in decisionframe.yaml",
                    None,
                    file_column,
                )
            )
            continue
        child, key = staged.text_sql(name, "c."), parent.text_sql(parent_column, "p.")
        orphans = (
            f"FROM {quote(staged.temp_table)} c ANTI JOIN {quote(parent.temp_table)} p "
            f"ON {child} = {key} WHERE {child} IS NOT NULL"
        )
        if not staged.exact:
            count = int(store.rows(f"SELECT count(*) {orphans}")[0][0])
            if count:
                problems.append(_unlocated(staged, "orphan-reference", file_column, count))
            continue
        rows = store.rows(f"SELECT c.rowid {orphans} ORDER BY c.rowid LIMIT {MAX_LINES_PER_RULE}")
        problems += [
            Problem(
                staged.display_path,
                "orphan-reference",
                f"'{name}' refers to a {parent_table[:-1]} that is not in {parent.display_path}",
                f"add the missing {parent_table[:-1]} to {parent.display_path}, or remove the row",
                staged.line_of(int(r[0])),
                file_column,
            )
            for r in rows
        ]
    return problems


def validate_staged(
    store: DuckDBStore, staged: Mapping[str, StagedSource], *, channels: list[str]
) -> list[Problem]:
    """Every problem in every staged source, in file then line order."""
    problems: list[Problem] = []
    for source in staged.values():
        problems += _check_cells(store, source, channels)
        problems += _check_duplicate_keys(store, source)
        problems += _check_references(store, source, staged)
    return sorted(problems, key=lambda p: (p.file, p.line if p.line is not None else 1 << 62))
