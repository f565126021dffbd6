"""Stage each source file as text in the store and map its columns onto the canonical table."""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from decisionframe.config import SourceConfig
from decisionframe.errors import Problem, SourceReadError
from decisionframe.ingest.rules import INFERENCE_ORDER, bad_value_sql, cast_sql
from decisionframe.store import CANONICAL, DuckDBStore, TableSpec, quote
from decisionframe.store.duckdb_store import (
    READER_TIMESTAMP_FORMAT,
    sample_file,
    stage_file,
    staged_columns,
)
from decisionframe.store.schema import LogicalType


@dataclass
class StagedSource:
    """A source file staged as text, with its column mapping and line bookkeeping."""

    table: str
    spec: TableSpec
    display_path: str
    temp_table: str
    sha256: str
    header_lines: int
    columns: dict[str, str] = field(default_factory=dict)  # target name -> staged column
    source_names: dict[str, str] = field(default_factory=dict)  # target name -> file column
    extra_types: dict[str, LogicalType] = field(default_factory=dict)
    rejected_lines: list[int] = field(default_factory=list)
    rows: int = 0
    exact: bool = True  # staged in file order, so a row's position gives its line
    typed: set[str] = field(default_factory=set)  # target names the reader already parsed
    padded: set[str] = field(default_factory=set)  # text columns with surrounding spaces

    def text_sql(self, name: str, alias: str = "") -> str:
        """SQL for column ``name``'s text with surrounding spaces removed.

        trim() over millions of strings is a measurable share of an import, so it is
        applied only to columns where some value needs it.
        """
        column = f"{alias}{quote(self.columns[name])}"
        return f"trim({column})" if name in self.padded else column

    def value_sql(self, name: str, alias: str = "") -> str:
        """SQL for column ``name``'s loaded value: as the reader parsed it, text, or a cast."""
        type_ = self.type_of(name)
        if name in self.typed:
            return f"{alias}{quote(self.columns[name])}"
        if type_ in ("id", "text"):
            return self.text_sql(name, alias)
        return cast_sql(f"{alias}{quote(self.columns[name])}", type_)

    def line_of(self, rowid: int) -> int:
        """The file line of staged row ``rowid``, counting the header and rejected lines.

        A quoted field spanning several lines shifts later lines; we count records, as
        DuckDB's reader does for its own errors.
        """
        if not self.exact:
            raise RuntimeError("a fast-staged source has no line numbers; stage it exactly")
        line = rowid + self.header_lines + 1
        for rejected in self.rejected_lines:
            if rejected <= line:
                line += 1
            else:
                break
        return line

    def type_of(self, name: str) -> LogicalType:
        column = self.spec.column(name)
        return column.type if column is not None else self.extra_types[name]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def attribute_name(source_column: str) -> str:
    """Snake-case name for an extra attribute column (safe in SQL and in theory.yaml)."""
    name = re.sub(r"[^0-9a-zA-Z]+", "_", source_column.strip()).strip("_").lower()
    return name if name and not name[0].isdigit() else f"col_{name}"


INFERENCE_SAMPLE_ROWS = 20_000  # rows read to plan a typed read and guess extra columns' types

_REJECT_RULES = {
    "MISSING COLUMNS": ("too-few-fields", "the line has fewer fields than the header"),
    "TOO MANY COLUMNS": ("too-many-fields", "the line has more fields than the header"),
    "UNQUOTED VALUE": ("bad-quoting", "a quote character appears inside an unquoted field"),
    "INVALID UNICODE": ("bad-encoding", "the line is not valid UTF-8"),
    "LINE SIZE OVER MAXIMUM": ("line-too-long", "the line is longer than the reader allows"),
}


def stage_source(
    store: DuckDBStore,
    *,
    table: str,
    source: SourceConfig,
    project_dir: Path,
    sha256: str,
    exact: bool = True,
) -> tuple[StagedSource | None, list[Problem]]:
    """Stage one source; return it (None if unusable) and the problems found so far.

    ``exact`` staging keeps every value as text in file order, so every problem can be
    located by line. Fast staging (``exact=False``) lets DuckDB's parallel reader parse the
    columns whose sampled values it reads exactly as our rules would, in any order: it can
    tell *whether* a file is clean, not *where* it is not. The importer stages fast first
    and exactly only when something is wrong.
    """
    path = project_dir / source.path
    display = source.path
    if not path.exists():
        return None, [
            Problem(
                display,
                "missing-file",
                f"source file for '{table}' not found",
                f"check sources.{table}.path in decisionframe.yaml",
            )
        ]
    staged = StagedSource(
        table=table,
        spec=CANONICAL[table],
        display_path=display,
        temp_table=f"df_stage_{table}",
        sha256=sha256,
        header_lines=1 if source.file_format() == "csv" else 0,
        exact=exact,
    )
    try:
        sample_file(
            store,
            path=path,
            file_format=source.file_format(),
            into=staged.temp_table,
            rows=INFERENCE_SAMPLE_ROWS,
            delimiter=source.delimiter,
        )
    except SourceReadError as exc:
        return None, [_unreadable(display, exc)]
    header = staged_columns(store, staged.temp_table)
    problems = _map_columns(header, staged, source)
    types = None
    if not exact and not problems and source.file_format() == "csv":
        types = _reader_types(store, staged, header)
    try:
        with store.insertion_order(preserve=exact):
            rejects = stage_file(
                store,
                path=path,
                file_format=source.file_format(),
                into=staged.temp_table,
                delimiter=source.delimiter,
                types=types,
            )
    except SourceReadError as exc:
        store.execute(f"DROP TABLE IF EXISTS {quote(staged.temp_table)}")
        return None, [*problems, _unreadable(display, exc)]
    for line, column, error_type in rejects:
        rule, message = _REJECT_RULES.get(error_type, ("unreadable-line", "the line is unreadable"))
        problems.append(
            Problem(display, rule, message, "fix the line's quoting or field count", line, column)
        )
    staged.rejected_lines = sorted(line for line, _, _ in rejects)
    staged.rows = int(store.rows(f"SELECT count(*) FROM {quote(staged.temp_table)}")[0][0])
    if not problems:
        staged.extra_types = _infer_extra_types(store, staged)
        staged.padded = _padded_columns(store, staged)
    return staged, problems


def _unreadable(display: str, exc: SourceReadError) -> Problem:
    return Problem(display, exc.rule, exc.message, exc.hint, exc.line)


def _padded_columns(store: DuckDBStore, staged: StagedSource) -> set[str]:
    """Text columns where some value starts or ends with a space (what trim() removes)."""
    names = [
        n for n in staged.columns if n not in staged.typed and staged.type_of(n) in ("id", "text")
    ]
    if not names:
        return set()
    padded = store.rows(
        "SELECT "
        + ", ".join(
            f"coalesce(bool_or({c} LIKE ' %' OR {c} LIKE '% '), false)"
            for c in (quote(staged.columns[n]) for n in names)
        )
        + f" FROM {quote(staged.temp_table)}"
    )[0]
    return {name for name, is_padded in zip(names, padded, strict=True) if is_padded}


# Value checks on the sample, per logical type, that decide whether DuckDB's reader may parse
# a column: only where it accepts exactly what our rules accept (measured: floats, and
# timestamps in the one layout below; its integer and date parsing is more lenient).
_READER_TYPES: dict[LogicalType, tuple[str, str]] = {
    "float": ("DOUBLE", "TRY_CAST({c} AS DOUBLE) IS NULL"),
    "timestamp": ("TIMESTAMP", f"try_strptime({{c}}, '{READER_TIMESTAMP_FORMAT}') IS NULL"),
}


def _reader_types(store: DuckDBStore, staged: StagedSource, header: list[str]) -> dict[str, str]:
    """SQL type per file column for a fast read: parsed where the sample says it is safe."""
    candidates = {}
    for name, file_column in staged.columns.items():
        spec = staged.spec.column(name)
        if spec is not None and spec.type in _READER_TYPES:
            candidates[name] = (file_column, *_READER_TYPES[spec.type])
    types = dict.fromkeys(header, "VARCHAR")
    if not candidates:
        return types
    failures = store.rows(
        "SELECT "
        + ", ".join(
            f"count(*) FILTER (WHERE {quote(c)} IS NOT NULL AND {bad.format(c=quote(c))})"
            for c, _, bad in candidates.values()
        )
        + f" FROM {quote(staged.temp_table)}"
    )[0]
    for (name, (file_column, sql_type, _)), failed in zip(
        candidates.items(), failures, strict=True
    ):
        if not failed:
            types[file_column] = sql_type
            staged.typed.add(name)
    return types


def _map_columns(header: list[str], staged: StagedSource, source: SourceConfig) -> list[Problem]:
    spec = staged.spec
    problems: list[Problem] = []
    mapped_sources = set()
    for canonical, file_column in source.columns.items():
        if spec.column(canonical) is None:
            close = difflib.get_close_matches(canonical, [c.name for c in spec.columns], n=1)
            hint = f"did you mean '{close[0]}'?" if close else "map only canonical column names"
            problems.append(
                Problem(
                    "decisionframe.yaml",
                    "unknown-canonical-column",
                    f"sources.{staged.table}.columns names '{canonical}', not a column of "
                    f"the {staged.table} table",
                    hint,
                )
            )
            continue
        if file_column not in header:
            close = difflib.get_close_matches(file_column, header, n=3)
            problems.append(
                Problem(
                    staged.display_path,
                    "mapped-column-missing",
                    f"column '{file_column}' (mapped to {canonical}) is not in the header",
                    f"close matches: {', '.join(close)}" if close else "check the header line",
                    1 if staged.header_lines else None,
                    file_column,
                )
            )
            continue
        staged.columns[canonical] = file_column
        staged.source_names[canonical] = file_column
        mapped_sources.add(file_column)
    for file_column in header:
        if file_column in mapped_sources:
            continue
        target = file_column if spec.column(file_column) else attribute_name(file_column)
        if target in staged.columns:
            problems.append(
                Problem(
                    staged.display_path,
                    "column-name-clash",
                    f"column '{file_column}' lands on '{target}', already taken",
                    "rename one of the columns in the file or in sources.*.columns",
                    1 if staged.header_lines else None,
                    file_column,
                )
            )
            continue
        staged.columns[target] = file_column
        staged.source_names[target] = file_column
    for required in spec.required:
        if required not in staged.columns:
            problems.append(
                Problem(
                    staged.display_path,
                    "missing-column",
                    f"required column '{required}' is missing",
                    f"add it, or map your column: sources.{staged.table}.columns: "
                    f"{{{required}: <your column name>}}",
                    1 if staged.header_lines else None,
                    required,
                )
            )
    return problems


def _first_fitting_types(
    store: DuckDBStore, source_sql: str, columns: dict[str, str]
) -> dict[str, LogicalType]:
    """For each column, the first type in INFERENCE_ORDER that all its values fit."""
    selects = []
    for file_column in columns.values():
        column = quote(file_column)
        selects.append(f"count({column})")
        selects += [f"count(*) FILTER (WHERE {bad_value_sql(column, t)})" for t in INFERENCE_ORDER]
    counts = store.rows(f"SELECT {', '.join(selects)} FROM {source_sql}")[0]
    width = 1 + len(INFERENCE_ORDER)
    inferred: dict[str, LogicalType] = {}
    for index, name in enumerate(columns):
        non_null, *failures = counts[index * width : (index + 1) * width]
        fitting = [t for t, failed in zip(INFERENCE_ORDER, failures, strict=True) if not failed]
        inferred[name] = fitting[0] if non_null and fitting else "text"
    return inferred


def _infer_extra_types(store: DuckDBStore, staged: StagedSource) -> dict[str, LogicalType]:
    """Infer extra columns' types: guess on a sample, then confirm on every row.

    Trying every type on every row is slow for text columns (failed timestamp casts), so
    the guess comes from the first rows and one full scan checks the guesses; a column
    whose guess fails the full scan is inferred again on all rows.
    """
    extras = {n: c for n, c in staged.columns.items() if staged.spec.column(n) is None}
    if not extras:
        return {}
    table = quote(staged.temp_table)
    sample = f"(SELECT * FROM {table} LIMIT {INFERENCE_SAMPLE_ROWS})"
    guessed = _first_fitting_types(store, sample, extras)
    checks = [(name, bad_value_sql(quote(extras[name]), type_)) for name, type_ in guessed.items()]
    typed = [(name, predicate) for name, predicate in checks if predicate is not None]
    if typed:
        failed = store.rows(
            "SELECT "
            + ", ".join(f"count(*) FILTER (WHERE {predicate})" for _, predicate in typed)
            + f" FROM {table}"
        )[0]
        wrong = {name: extras[name] for (name, _), bad in zip(typed, failed, strict=True) if bad}
        if wrong:
            guessed.update(_first_fitting_types(store, table, wrong))
    return guessed


def lines_for(staged: StagedSource, rowids: list[int]) -> list[int]:
    return [staged.line_of(r) for r in rowids]


__all__ = ["StagedSource", "attribute_name", "file_sha256", "stage_source"]
