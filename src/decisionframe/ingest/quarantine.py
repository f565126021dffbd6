"""Opt-in quarantine (``on_error: quarantine``): load the valid rows, set the others aside.

All-or-nothing stays the default. With quarantine, a source whose problems are all about
single rows (a bad cell, a repeated key, a reference to a missing client, a line the
reader could not split) loads its other rows; problems with the file itself (missing,
unreadable, a required column absent, an ambiguous date format) still refuse the import.

Rows are removed parents first, so a touchpoint of a quarantined client is quarantined as
an orphan rather than loaded with a dangling reference. What is set aside is recorded by
file, line, column and rule, never by value: the quarantine file (private, inside
``.decisionframe/``) and the store's ``df_quarantine`` log hold no identifier, so nothing
raw is kept outside the source files themselves. Fix the lines in the source and import
again: the changed file's hash makes it a normal re-import.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from decisionframe import spreadsheet
from decisionframe.config import ProjectConfig
from decisionframe.errors import Problem
from decisionframe.ingest.stage import BAD_BIRTH_DATE, StagedSource, finish_staging
from decisionframe.ingest.validate import cell_checks, set_channels
from decisionframe.store import DuckDBStore, quote

QUARANTINE_DIR = "quarantine"
_ROW_RULES = frozenset(
    {
        "required-value-missing",
        "negative-value",
        "unknown-channel",
        "unlisted-value",
        "duplicate-key",
        "orphan-reference",
        "bad-date-of-birth",
    }
)


@dataclass(frozen=True)
class SetAside:
    """One row set aside: where it is in its file and which rule it broke (no values)."""

    table: str
    file: str
    line: int
    rule: str
    column: str


def row_level(problem: Problem, staged: dict[str, StagedSource]) -> bool:
    """Whether ``problem`` concerns single rows (quarantinable), not the file itself."""
    if problem.rule in _ROW_RULES or problem.rule.startswith("not-a-"):
        return True
    for source in staged.values():  # a line the reader rejected (field count, quoting)
        for part in source.parts:
            if part.display == problem.file and problem.line in part.rejected_at:
                return True
    return False


def quarantinable(
    config: ProjectConfig, staged: dict[str, StagedSource], problems: list[Problem]
) -> bool:
    """True when every problem is row-level and in a source that opted in to quarantine."""
    if not problems or len(staged) != len(config.sources):
        return False
    by_file = {p.display: t for t, s in staged.items() for p in s.parts}
    by_file.update({s.display_path: t for t, s in staged.items()})
    for problem in problems:
        table = by_file.get(problem.file)
        if table is None or config.sources[table].on_error != "quarantine":  # type: ignore[index]
            return False
        if not row_level(problem, staged):
            return False
    return True


def mark_quarantinable(
    config: ProjectConfig, staged: dict[str, StagedSource], problems: list[Problem]
) -> tuple[list[Problem], int]:
    """Each problem of a refused import marked with whether quarantine would set its rows
    aside, the hint saying so; and how many are.

    A refused import listed bad cells and missing files alike, so a user could not tell
    that `on_error: quarantine` would load the rest (or, where it is already on, why it
    did not: a problem with a file itself refuses regardless).
    """
    by_file = {p.display: t for t, s in staged.items() for p in s.parts}
    by_file.update({s.display_path: t for t, s in staged.items()})
    out, rows = [], 0
    for problem in problems:
        table = by_file.get(problem.file)
        single = table is not None and row_level(problem, staged)
        hint = problem.hint
        if single:
            rows += 1
            on = config.sources[table].on_error == "quarantine"  # type: ignore[index,literal-required]
            hint += (
                "; quarantine would set these rows aside once the file problems are fixed"
                if on
                else f"; or set `on_error: quarantine` on the {table} source to set these "
                "rows aside and load the rest"
            )
        inner = tuple(replace(p, quarantinable=single) for p in problem.by_file)
        out.append(replace(problem, hint=hint, quarantinable=single, by_file=inner))
    return out, rows


def _delete(store: DuckDBStore, source: StagedSource, rowids: list[int]) -> None:
    if rowids:
        store.execute(
            f"DELETE FROM {quote(source.temp_table)} WHERE rowid IN (SELECT unnest(?::BIGINT[]))",
            [sorted(set(rowids))],
        )


def _set_aside(source: StagedSource, rows: list[tuple[int, str, str]]) -> list[SetAside]:
    out = []
    for rowid, rule, column in rows:
        part = source.part_of(rowid)
        out.append(SetAside(source.table, part.display, source.line_of(rowid), rule, column))
    return out


def quarantine_rows(
    store: DuckDBStore, staged: dict[str, StagedSource], *, channels: list[str]
) -> list[SetAside]:
    """Remove every row that breaks a rule from the staging tables; return what was removed.

    ``staged`` is in load order (parents first). Rows rejected by the reader are already
    absent from staging; they are reported from the parts' rejected lines.
    """
    removed: list[SetAside] = []
    set_channels(store, channels)
    for source in staged.values():
        finish_staging(store, source)
        table = quote(source.temp_table)
        for part in source.parts:
            removed += [
                SetAside(source.table, part.display, line, "unreadable-line", "")
                for line in part.rejected_at
            ]
        found: list[tuple[int, str, str]] = []
        for check in cell_checks(source):
            found += [
                (rowid, check.rule, check.column)
                for rowid in _rowids(store, table, f"({check.predicate})")
            ]
        for column in source.birth_columns:  # a date of birth that could not be read
            found += [
                (rowid, "bad-date-of-birth", column)
                for rowid in _rowids(store, table, f"{quote(column)} = '{BAD_BIRTH_DATE}'")
            ]
        _delete(store, source, [r for r, _, _ in found])
        if source.spec.key and all(k in source.columns for k in source.spec.key):
            keys = ", ".join(source.text_sql(k) for k in source.spec.key)
            repeats = [
                int(r[0])
                for r in store.rows(
                    f"SELECT rowid FROM (SELECT rowid, row_number() OVER (PARTITION BY {keys} "
                    f"ORDER BY rowid) AS n FROM {table}) WHERE n > 1"
                )
            ]
            column = source.columns[source.spec.key[0]]
            found += [(r, "duplicate-key", column) for r in repeats]
            _delete(store, source, repeats)
        for name, file_column in source.columns.items():
            spec = source.spec.column(name)
            if spec is None or spec.references is None:
                continue
            parent_table, parent_column = spec.references.split(".")
            parent = staged.get(parent_table)
            if parent is None or parent_column not in parent.columns:
                continue
            child, key = source.text_sql(name, "c."), parent.text_sql(parent_column, "p.")
            orphans = [
                int(r[0])
                for r in store.rows(
                    f"SELECT c.rowid FROM {table} c ANTI JOIN {quote(parent.temp_table)} p "
                    f"ON {child} = {key} WHERE {child} IS NOT NULL"
                )
            ]
            found += [(r, "orphan-reference", file_column) for r in orphans]
            _delete(store, source, orphans)
        removed += _set_aside(source, found)
        after = Counter(source.part_of(r).display for r in _rowids(store, table))
        for part in source.parts:
            part.loaded = after.get(part.display, 0)
        source.rows = sum(after.values())
    return sorted(removed, key=lambda s: (s.table, s.file, s.line, s.rule))


def _rowids(store: DuckDBStore, table: str, where: str = "true") -> list[int]:
    return [int(r[0]) for r in store.rows(f"SELECT rowid FROM {table} WHERE {where}")]


def write_quarantine(state_dir: Path, batch_id: str, rows: list[SetAside]) -> Path:
    """The set-aside rows as a private CSV (owner-only): table, file, line, rule, column.

    File and column names come from the source files, so they go through
    ``spreadsheet.row``: a header such as ``=HYPERLINK(...)`` is text, not a formula.
    """
    folder = state_dir / QUARANTINE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "latest.csv"
    temporary = folder / f".{batch_id}.part"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["batch_id", "table", "file", "line", "rule", "column"])
        writer.writerows(
            spreadsheet.row([batch_id, r.table, r.file, r.line, r.rule, r.column]) for r in rows
        )
    temporary.replace(path)
    return path


def record_quarantine(store: DuckDBStore, batch_id: str, rows: list[SetAside]) -> None:
    """Log the set-aside rows in the store (inside the import's transaction)."""
    store.execute("DELETE FROM df_quarantine")
    if rows:
        store.execute(
            "INSERT INTO df_quarantine SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
            "unnest(?::BIGINT[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
            [
                batch_id,
                [r.table for r in rows],
                [r.file for r in rows],
                [r.line for r in rows],
                [r.rule for r in rows],
                [r.column for r in rows],
            ],
        )


__all__ = [
    "SetAside",
    "mark_quarantinable",
    "quarantinable",
    "quarantine_rows",
    "record_quarantine",
    "row_level",
    "write_quarantine",
]
