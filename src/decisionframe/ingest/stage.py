"""Stage each source file as text in the store and map its columns onto the canonical table."""

from __future__ import annotations

import bisect
import difflib
import hashlib
import itertools
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from decisionframe.config import ColumnSource, LookupStep, SourceConfig
from decisionframe.errors import Problem, SourceReadError, StoreError
from decisionframe.ingest.chunked import EXPRESSIONS_PER_QUERY, aggregate, sample_table
from decisionframe.ingest.files import (
    PreparedFile,
    SourceFile,
    file_sha256,
    prepare_csv,
    read_spreadsheet,
)
from decisionframe.ingest.rules import INFERENCE_ORDER, bad_value_sql, cast_sql, register_words
from decisionframe.ingest.values import Reading, detect_formats
from decisionframe.store import CANONICAL, DuckDBStore, TableSpec, quote
from decisionframe.store.base import batched
from decisionframe.store.duckdb_store import (
    FILE_COLUMN,
    READER_DATE_FORMAT,
    READER_TIMESTAMP_FORMAT,
    DiskFullError,
    StoreDamagedError,
    parquet_header,
    sample_file,
    stage_file,
    stage_frame,
    staged_columns,
)
from decisionframe.store.schema import LogicalType

_TARGET_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass
class FilePart:
    """One file of a staged source: where its rows are and how to give their lines."""

    display: str
    sha256: str
    header_lines: int
    start: int = 0  # first rowid (exact staging keeps files in order, one after another)
    rows: int = 0
    rejected_lines: list[int] = field(default_factory=list)
    # Records whose quoted fields hold line breaks: their rowids, and the running total of
    # the extra lines they add (a record over 4 lines adds 3), for ``line_of``.
    multiline_rowids: list[int] = field(default_factory=list)
    multiline_extra: list[int] = field(default_factory=list)
    loaded: int | None = None  # rows loaded when quarantine set some aside (else ``rows``)

    def extra_lines_before(self, rowid: int) -> int:
        """Line breaks inside quoted fields of the staged records before ``rowid``."""
        earlier = bisect.bisect_left(self.multiline_rowids, rowid)
        return self.multiline_extra[earlier - 1] if earlier else 0

    def physical_line(self, record: int) -> int:
        """The file line where record number ``record`` starts (DuckDB numbers records,
        header first, as if every record were one line)."""
        rejected_before = bisect.bisect_left(self.rejected_lines, record)
        staged_before = record - self.header_lines - 1 - rejected_before
        return record + self.extra_lines_before(self.start + max(staged_before, 0))

    @property
    def rejected_at(self) -> list[int]:
        """File lines of the records the reader rejected."""
        return [self.physical_line(r) for r in self.rejected_lines]

    @property
    def loaded_rows(self) -> int:
        return self.rows if self.loaded is None else self.loaded


@dataclass
class StagedSource:
    """A source's file(s) staged in the store, with column mapping and line bookkeeping."""

    table: str
    spec: TableSpec
    display_path: str
    temp_table: str
    parts: list[FilePart] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # target name -> staged column
    source_names: dict[str, str] = field(default_factory=dict)  # target name -> file column
    extra_types: dict[str, LogicalType] = field(default_factory=dict)
    readings: dict[str, Reading] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    exact: bool = True  # staged in file order, so a row's position gives its file and line
    typed: set[str] = field(default_factory=set)  # target names the reader already parsed
    padded: set[str] = field(default_factory=set)  # text columns with surrounding spaces
    read_paths: list[str] = field(default_factory=list)  # FILE_COLUMN's value of each part
    # Looked-up targets: the staging column the lookup joins their value into, and the
    # temp table (key, value) it joins; see ``_plan_lookup`` and ``apply_lookups``.
    lookup_columns: dict[str, str] = field(default_factory=dict)
    lookup_tables: dict[str, tuple[str, str]] = field(default_factory=dict)  # (table, files)
    as_of: date | None = None  # the day ages were counted to (a date-of-birth column)
    # Staged columns read as dates of birth (``age_bands``): each holds an age band, or
    # BAD_BIRTH_DATE where the date could not be read (quarantine sets those rows aside).
    birth_columns: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        if len(self.parts) == 1:
            return self.parts[0].sha256
        joined = "".join(f"{p.display}:{p.sha256};" for p in self.parts)
        return hashlib.sha256(joined.encode()).hexdigest()

    def reading(self, name: str) -> Reading:
        return self.readings.get(name) or Reading(var="df_unused")

    def stored_sql(self, name: str, alias: str = "") -> str:
        """The staging column holding ``name``'s text: its file column, or for a looked-up
        target the column the lookup joined its value into."""
        return f"{alias}{quote(self.lookup_columns.get(name, self.columns[name]))}"

    def text_sql(self, name: str, alias: str = "") -> str:
        """SQL for column ``name``'s text with surrounding spaces removed.

        trim() over millions of strings is a measurable share of an import, so it is
        applied only to columns where some value needs it.
        """
        column = self.stored_sql(name, alias)
        return f"trim({column})" if name in self.padded else column

    def input_sql(self, name: str, alias: str = "") -> str:
        """The text to read column ``name`` from: trimmed, then recoded by ``values``."""
        return self.reading(name).recoded(self.text_sql(name, alias))

    def bad_sql(self, name: str) -> str | None:
        """Predicate true where column ``name``'s cell cannot be read as its type."""
        if name in self.typed:
            return None
        return self.reading(name).bad_sql(self.input_sql(name), self.type_of(name))

    def value_sql(self, name: str, alias: str = "") -> str:
        """SQL for column ``name``'s loaded value: as the reader parsed it, text, or a cast."""
        type_ = self.type_of(name)
        if name in self.typed:
            return self.reading(name).typed_sql(self.stored_sql(name, alias), type_)
        if type_ in ("id", "text"):
            return self.input_sql(name, alias)
        reading = self.reading(name)
        if reading.plain:
            return cast_sql(self.stored_sql(name, alias), type_)
        return reading.cast_sql(self.input_sql(name, alias), type_)

    def part_of(self, rowid: int) -> FilePart:
        if not self.exact:
            raise RuntimeError("a fast-staged source has no line numbers; stage it exactly")
        for part in self.parts:
            if rowid < part.start + part.rows:
                return part
        return self.parts[-1]

    def part_sql(self, rowid: str = "rowid") -> str:
        """SQL giving the index in ``parts`` of the row ``rowid`` (exact staging)."""
        if len(self.parts) == 1:
            return "0"
        cases = " ".join(
            f"WHEN {rowid} < {int(p.start + p.rows)} THEN {i}" for i, p in enumerate(self.parts)
        )
        return f"(CASE {cases} ELSE {len(self.parts) - 1} END)"

    def line_of(self, rowid: int) -> int:
        """The file line where staged row ``rowid`` starts, counting the header, the line
        breaks inside quoted fields of earlier records, and rejected lines.
        """
        part = self.part_of(rowid)
        record = rowid - part.start + part.header_lines + 1
        for rejected in part.rejected_lines:  # record numbers, as the reader gives them
            if rejected <= record:
                record += 1
            else:
                break
        return record + part.extra_lines_before(rowid)

    def type_of(self, name: str) -> LogicalType:
        column = self.spec.column(name)
        return column.type if column is not None else self.extra_types[name]


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
_REJECT_HINTS = {
    "bad-encoding": "the file is not all UTF-8: set `encoding:` for this source (exports from "
    "Windows are often cp1252)",
}


def _display(source: SourceConfig) -> str:
    return source.path if isinstance(source.path, str) else ", ".join(source.path)


def stage_source(
    store: DuckDBStore,
    *,
    table: str,
    source: SourceConfig,
    files: list[SourceFile],
    scratch: Path,
    exact: bool = True,
    lookups: dict[str, SourceFile] | None = None,
    band_days: dict[str, tuple[date, str]] | None = None,
) -> tuple[StagedSource | None, list[Problem]]:
    """Stage one source's files; return it (None if unusable) and the problems found so far.

    ``exact`` staging keeps every value as text in file order, so every problem can be
    located by file and line. Fast staging (``exact=False``) lets DuckDB's parallel reader
    read all of a source's CSV files at once and parse the columns whose sampled values it
    reads exactly as our rules would, in any order: it can tell *whether* a source is clean,
    not *where* it is not. The importer stages fast first and exactly only when something is
    wrong. ``band_days`` gives each date-of-birth column (by file column) the day its ages
    are counted to and where that day came from, said in the notes.
    """
    register_words(store)
    file_format = source.file_format(files[0].display)
    staged = StagedSource(
        table=table,
        spec=CANONICAL[table],
        display_path=files[0].display if len(files) == 1 else _display(source),
        temp_table=f"df_stage_{table}",
        exact=exact or file_format == "excel",
    )
    for written, strftime in source.translated_formats():
        staged.notes.append(f"{table}: date_format '{written}' read as '{strftime}'")
    for target in source.columns:
        own = source.options_for(target)
        for written, strftime in own.translated_formats() if own is not None else []:
            staged.notes.append(f"{table}.{target}: date_format '{written}' read as '{strftime}'")
    prepared: list[PreparedFile] = []
    frames: list[Any] = []
    problems: list[Problem] = []
    for file in files:
        if file_format == "csv":
            ready, found = prepare_csv(file, source, table, scratch)
            problems += found
            if ready is not None:
                prepared.append(ready)
                staged.notes += ready.notes
        elif file_format == "excel":
            frame, found = read_spreadsheet(file, source.sheet)
            problems += found
            if frame is not None:
                frames.append(frame)
                prepared.append(PreparedFile(file, file.path, header=list(frame.columns)))
        else:
            prepared.append(PreparedFile(file, file.path))
        header_lines = 0 if file_format == "parquet" else 1
        staged.parts.append(FilePart(file.display, file.sha256, header_lines))
    if problems:
        return None, problems
    first = prepared[0]
    for other in prepared[1:]:
        if other.header and set(other.header) != set(first.header):
            problems.append(
                Problem(
                    other.file.display,
                    "header-differs",
                    f"the columns differ from {first.file.display}'s",
                    "every file of one source needs the same columns (in any order)",
                    1,
                )
            )
    if file_format == "csv" and len({p.delimiter for p in prepared}) > 1:
        problems.append(
            Problem(
                _display(source),
                "mixed-delimiters",
                "the files of this source use different field separators",
                "set `delimiter:` or export the files the same way",
            )
        )
    if problems:
        return None, problems
    try:
        full_header = (
            parquet_header(store, first.read_path) if file_format == "parquet" else first.header
        )
    except SourceReadError as exc:
        return None, [_unreadable(first.file.display, exc)]
    projection = _projection(store, staged, source, full_header, band_days or {})
    if file_format == "excel":
        for index, frame in enumerate(frames):
            stage_frame(
                store, frame, into=staged.temp_table, append=index > 0, projection=projection
            )
    else:
        try:
            sample_file(
                store,
                path=first.read_path,
                file_format=file_format,
                into=staged.temp_table,
                rows=INFERENCE_SAMPLE_ROWS,
                delimiter=first.delimiter,
                projection=projection,
            )
        except SourceReadError as exc:
            return None, [_unreadable(first.file.display, exc)]
    header = staged_columns(store, staged.temp_table)
    problems = _map_columns(header, staged, source, full_header)
    if not problems:
        problems = _plan_readings(store, staged, source, lookups or {})
    if problems:
        return staged, problems
    if file_format == "excel":
        for index, frame in enumerate(frames):
            staged.parts[index].rows = len(frame)
            staged.parts[index].start = sum(len(f) for f in frames[:index])
    else:
        try:
            problems += _stage_files(
                store,
                staged,
                prepared,
                file_format,
                full_header if projection else header,
                projection,
            )
        except SourceReadError as exc:
            store.execute(f"DROP TABLE IF EXISTS {quote(staged.temp_table)}")
            display = first.file.display if len(prepared) == 1 else staged.display_path
            return None, [*problems, _unreadable(display, exc)]
    staged.rows = int(store.rows(f"SELECT count(*) FROM {quote(staged.temp_table)}")[0][0])
    if not problems:
        problems += _leave_out_rows(store, staged, source)
    apply_lookups(store, staged)
    problems += _pair_codes(store, staged, source, header)
    problems += _unreadable_birth_dates(store, staged, source)
    if not problems:
        staged.extra_types = _infer_extra_types(store, staged)
        staged.padded = _padded_columns(store, staged)
    return staged, problems


def finish_staging(store: DuckDBStore, staged: StagedSource) -> None:
    """Infer attribute types and padded columns of a source staged with problems (their
    rows are about to be quarantined; the clean path does this in ``stage_source``)."""
    if any(staged.spec.column(n) is None for n in staged.columns) and not staged.extra_types:
        staged.extra_types = _infer_extra_types(store, staged)
    staged.padded = _padded_columns(store, staged)


def _stage_files(
    store: DuckDBStore,
    staged: StagedSource,
    prepared: list[PreparedFile],
    file_format: str,
    header: list[str],
    projection: str | None = None,
) -> list[Problem]:
    """Read every file into the staging table: all at once (fast) or one by one in order.

    ``header`` is the file's whole header (the reader is given a type for every column);
    ``projection`` keeps only the columns the source reads.
    """
    problems: list[Problem] = []
    types, formats = None, (READER_TIMESTAMP_FORMAT, READER_DATE_FORMAT)
    if not staged.exact and file_format == "csv":
        types, formats = _reader_types(store, staged, header)
    delimiter = prepared[0].delimiter
    if not staged.exact and file_format == "csv" and len(prepared) > 1:
        with store.insertion_order(preserve=False):
            rejects = stage_file(
                store,
                path=[p.read_path for p in prepared],
                file_format=file_format,
                into=staged.temp_table,
                delimiter=delimiter,
                types=types,
                timestamp_format=formats[0],
                date_format=formats[1],
                file_column=True,
                projection=projection,
            )
        counts = dict(
            store.rows(
                f"SELECT {quote(FILE_COLUMN)}, count(*) FROM {quote(staged.temp_table)} GROUP BY 1"
            )
        )
        staged.read_paths = [str(ready.read_path) for ready in prepared]
        for part, ready in zip(staged.parts, prepared, strict=True):
            part.rows = int(counts.get(str(ready.read_path), 0))
        if rejects:
            problems.append(_unlocated_rejects(staged, len(rejects)))
        return problems
    start = 0
    for index, (part, ready) in enumerate(zip(staged.parts, prepared, strict=True)):
        with store.insertion_order(preserve=staged.exact):
            rejects = stage_file(
                store,
                path=ready.read_path,
                file_format=file_format,
                into=staged.temp_table,
                delimiter=ready.delimiter,
                types=types,
                timestamp_format=formats[0],
                date_format=formats[1],
                append=index > 0,
                projection=projection,
            )
        total = int(store.rows(f"SELECT count(*) FROM {quote(staged.temp_table)}")[0][0])
        part.start, part.rows = start, total - start
        start = total
        part.rejected_lines = sorted(line for line, _, _ in rejects)
        if staged.exact and file_format == "csv":
            _count_line_breaks(store, staged.temp_table, part)
        for record, column, error_type in rejects:
            rule, message = _REJECT_RULES.get(
                error_type, ("unreadable-line", "the line is unreadable")
            )
            hint = _REJECT_HINTS.get(rule, "fix the line's quoting or field count")
            line = part.physical_line(record)
            problems.append(Problem(part.display, rule, message, hint, line, column))
    return problems


def _count_line_breaks(store: DuckDBStore, temp_table: str, part: FilePart) -> None:
    """Find the records of ``part`` whose quoted fields hold line breaks (exact staging).

    Without this, every line number after a multi-line field was off by its extra lines
    (a problem reported at line 13 was at line 16).
    """
    columns = [quote(c) for c in staged_columns(store, temp_table)]
    extra: dict[int, int] = {}
    for chunk in batched(columns, EXPRESSIONS_PER_QUERY):  # linear in columns (chunked.py)
        breaks = " + ".join(
            f"coalesce(length({c}) - length(replace({c}, chr(10), '')), 0)" for c in chunk
        )
        for rowid, n in store.rows(
            f"SELECT rowid, n FROM (SELECT rowid, {breaks} AS n FROM {quote(temp_table)} "
            "WHERE rowid >= ? AND rowid < ?) WHERE n > 0",
            [part.start, part.start + part.rows],
        ):
            extra[int(rowid)] = extra.get(int(rowid), 0) + int(n)
    total = 0
    for rowid in sorted(extra):
        total += extra[rowid]
        part.multiline_rowids.append(rowid)
        part.multiline_extra.append(total)


def _unreadable(display: str, exc: SourceReadError) -> Problem:
    return Problem(display, exc.rule, exc.message, exc.hint, exc.line)


def _unlocated_rejects(staged: StagedSource, count: int) -> Problem:
    return Problem(
        staged.display_path,
        "unreadable-line",
        f"{count:,} unreadable {'line' if count == 1 else 'lines'}",
        "stage exactly",
    )


def _plan_readings(
    store: DuckDBStore,
    staged: StagedSource,
    source: SourceConfig,
    lookups: dict[str, SourceFile] | None = None,
) -> list[Problem]:
    """Each column's reading options (configured, or detected on the sample); set them.

    A ``values`` key '*' recodes every value not listed; a ``lookup`` is read into a
    (key, value) table here and joined onto the staged rows by ``apply_lookups``; its
    ``values`` map then recodes the looked-up value.
    """
    problems: list[Problem] = []
    for index, (name, file_column) in enumerate(staged.columns.items()):
        own = source.options_for(name)
        spec = staged.spec.column(name)
        type_ = spec.type if spec is not None else None

        def pick(key: str, own: Any = own) -> Any:
            value = getattr(own, key) if own is not None else None
            return value if value is not None else getattr(source, key)

        formats = (own.formats() if own is not None else []) or source.formats()
        values = {
            str(k).strip().lower(): (None if v is None else _text_of(v))
            for k, v in source.value_map(name).items()
        }
        has_default = "*" in values
        default = values.pop("*", None)
        if own is not None and own.lookup:
            problems += _plan_lookup(store, staged, index, name, own.lookup, lookups or {})
        # An attribute column has no declared type: its configured date formats are kept
        # so type inference can try them (a '%d/%m/%Y' attribute is a date, not text).
        datelike = type_ in ("date", "timestamp") or spec is None
        reading = Reading(
            var=f"df_{staged.table}_{index}",
            formats=formats if datelike else [],
            timezone=pick("timezone") if type_ == "timestamp" or spec is None else None,
            decimal=pick("decimal"),
            true_words=pick("true_values"),
            false_words=pick("false_values"),
            values=values,
            has_default=has_default,
            default=default,
            refuse_others=own is not None and own.other_values == "refuse",
        )
        looked_up = name in staged.lookup_tables
        if type_ in ("date", "timestamp") and not reading.formats and not looked_up:
            detected, conflicts = detect_formats(
                store, quote(staged.temp_table), quote(file_column), type_
            )
            if conflicts:
                value, fmt_a, read_a, fmt_b, read_b = conflicts[0]
                problems.append(
                    Problem(
                        staged.parts[0].display,
                        "ambiguous-date-format",
                        f"dates such as {value} can be read two ways: {read_a} with "
                        f"'{fmt_a}' or {read_b} with '{fmt_b}'",
                        f"set `date_format: '{fmt_a}'` (or '{fmt_b}') for this source",
                        None,
                        file_column,
                    )
                )
            elif detected:
                reading.formats, reading.detected = detected, True
                staged.notes.append(
                    f"{staged.table}.{name} ('{file_column}'): dates read as '{detected[0]}' "
                    "(detected)"
                )
        if not reading.plain:
            reading.register(store)
            staged.readings[name] = reading
    return problems


def _text_of(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _padded_columns(store: DuckDBStore, staged: StagedSource) -> set[str]:
    """Text columns where some value starts or ends with a space (what trim() removes)."""
    names = [
        n for n in staged.columns if n not in staged.typed and staged.type_of(n) in ("id", "text")
    ]
    if not names:
        return set()
    padded = aggregate(
        store,
        quote(staged.temp_table),
        [
            f"coalesce(bool_or({c} LIKE ' %' OR {c} LIKE '% '), false)"
            for c in (staged.stored_sql(n) for n in names)
        ],
    )
    return {name for name, is_padded in zip(names, padded, strict=True) if is_padded}


def _reader_types(
    store: DuckDBStore, staged: StagedSource, header: list[str]
) -> tuple[dict[str, str], tuple[str, str]]:
    """SQL type per file column for a fast read, and the reader's timestamp and date formats.

    A column is parsed by the reader only where it accepts exactly what our rules accept
    (measured: floats with a dot, timestamps in one strptime layout, dates with a configured
    layout; its default integer and date parsing is more lenient) and the sample fits.
    """
    types = dict.fromkeys(header, "VARCHAR")
    timestamp_format, date_format = READER_TIMESTAMP_FORMAT, READER_DATE_FORMAT
    candidates: dict[str, tuple[str, str, str]] = {}
    for name, file_column in staged.columns.items():
        spec = staged.spec.column(name)
        reading = staged.reading(name)
        recoded = reading.values or reading.has_default or reading.refuse_others
        if spec is None or recoded or name in staged.lookup_tables:
            continue
        column = quote(file_column)
        if spec.type == "float" and reading.decimal != ",":
            candidates[name] = (file_column, "DOUBLE", f"TRY_CAST({column} AS DOUBLE) IS NULL")
        elif spec.type in ("timestamp", "date"):
            formats = reading.formats or (
                [READER_TIMESTAMP_FORMAT] if spec.type == "timestamp" else []
            )
            if len(formats) != 1 or "%z" in formats[0]:
                continue
            fmt = formats[0]
            if spec.type == "timestamp":
                if fmt != timestamp_format and any(
                    staged.spec.column(n) and staged.spec.column(n).type == "timestamp"  # type: ignore[union-attr]
                    for n in candidates
                ):
                    continue
                timestamp_format = fmt
            else:
                if (
                    any(
                        staged.spec.column(n) and staged.spec.column(n).type == "date"  # type: ignore[union-attr]
                        for n in candidates
                    )
                    and fmt != date_format
                ):
                    continue
                date_format = fmt
            store.execute(f"SET VARIABLE df_reader_{spec.type} = ?", [fmt])
            candidates[name] = (
                file_column,
                "TIMESTAMP" if spec.type == "timestamp" else "DATE",
                f"try_strptime({column}, getvariable('df_reader_{spec.type}')) IS NULL",
            )
    if not candidates:
        return types, (timestamp_format, date_format)
    failures = aggregate(
        store,
        quote(staged.temp_table),
        [
            f"count(*) FILTER (WHERE {quote(c)} IS NOT NULL AND {bad})"
            for c, _, bad in candidates.values()
        ],
    )
    for (name, (file_column, sql_type, _)), failed in zip(
        candidates.items(), failures, strict=True
    ):
        if not failed:
            types[file_column] = sql_type
            staged.typed.add(name)
    return types, (timestamp_format, date_format)


def _map_columns(
    header: list[str],
    staged: StagedSource,
    source: SourceConfig,
    full_header: list[str] | None = None,
) -> list[Problem]:
    """Map file columns onto targets: canonical columns, or attribute columns by any name.

    ``header`` is what was staged; ``full_header`` the file's own (they differ when
    ``other_columns: drop`` left columns unread), for the hints.
    """
    names = full_header or header
    spec = staged.spec
    canonical = [c.name for c in spec.columns]
    problems: list[Problem] = []
    mapped_sources = set()
    where = f"sources.{staged.table}.columns"
    for target in source.columns:
        file_column = source.column_name(target)
        assert file_column is not None
        if spec.column(target) is None:
            close = difflib.get_close_matches(target, canonical, n=1, cutoff=0.8)
            if close or not _TARGET_NAME.fullmatch(target):
                hint = f"did you mean '{close[0]}'? " if close else ""
                problems.append(
                    Problem(
                        "decisionframe.yaml",
                        "unknown-target-column",
                        f"{where} names '{target}', not a column of the {staged.table} table "
                        "nor a valid attribute name (lower case, digits, _)",
                        f"{hint}canonical columns of {staged.table}: {', '.join(canonical)}; "
                        "any other lower_case name becomes an attribute column",
                    )
                )
                continue
        if file_column not in header:
            close = difflib.get_close_matches(file_column, names, n=3)
            problems.append(
                Problem(
                    staged.parts[0].display,
                    "mapped-column-missing",
                    f"column '{file_column}' (mapped to {target}) is not in the header",
                    f"close matches: {', '.join(close)}"
                    if close
                    else f"the header has: {', '.join(names[:30])}",
                    1 if staged.parts[0].header_lines else None,
                    file_column,
                )
            )
            continue
        staged.columns[target] = file_column
        staged.source_names[target] = file_column
        mapped_sources.add(file_column)
    for file_column in header:
        if file_column in mapped_sources or file_column == FILE_COLUMN:
            continue
        if file_column in source.skip_rows_with:
            continue  # a row marker (DateDeleted): read to leave rows out, not loaded
        target = file_column if spec.column(file_column) else attribute_name(file_column)
        if target in staged.columns:
            problems.append(
                Problem(
                    staged.parts[0].display,
                    "column-name-clash",
                    f"column '{file_column}' lands on '{target}', already taken",
                    "rename one of the columns in the file or in sources.*.columns",
                    1 if staged.parts[0].header_lines else None,
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
                    staged.parts[0].display,
                    "missing-column",
                    f"required column '{required}' is missing",
                    f"add it, or map your column: sources.{staged.table}.columns: "
                    f"{{{required}: <your column name>}}; the header has: "
                    f"{', '.join(names[:30])}",
                    1 if staged.parts[0].header_lines else None,
                    required,
                )
            )
    for target, file_column in staged.columns.items():
        if spec.column(target) is None and target != file_column:
            staged.notes.append(f"{staged.table}: '{file_column}' -> {target}")
    return problems


def _unfit_sql(column: str, type_: LogicalType) -> str | None:
    """Predicate true where a cell does not fit ``type_`` for inference.

    DuckDB casts '2025-03-01 08:00:00' to a DATE, dropping the time: a value with a time
    part is not a date here, so such a column is inferred as a timestamp.
    """
    bad = bad_value_sql(column, type_)
    if type_ == "date" and bad is not None:
        return f"({bad} OR regexp_matches({column}, '[0-9]:[0-9]'))"
    return bad


def _first_fitting_types(
    store: DuckDBStore, source_sql: str, columns: dict[str, str]
) -> dict[str, LogicalType]:
    """For each column (name -> SQL of its text), the first type in INFERENCE_ORDER that
    all its values fit.

    The counts go type by type (all columns' int checks, then float, ...) in chunked
    queries, so a wide file costs queries in proportion to its columns, each of a bounded
    length; and a type is tried only on the columns no earlier type fitted.
    """
    names = list(columns)
    non_null = dict(
        zip(
            names,
            aggregate(store, source_sql, [f"count({columns[n]})" for n in names]),
            strict=True,
        )
    )
    inferred: dict[str, LogicalType] = {}
    left = [n for n in names if non_null[n]]
    for type_ in INFERENCE_ORDER:
        if not left:
            break
        predicates = [_unfit_sql(columns[n], type_) for n in left]
        failed = aggregate(store, source_sql, [f"count(*) FILTER (WHERE {p})" for p in predicates])
        inferred.update((n, type_) for n, bad in zip(left, failed, strict=True) if not bad)
        left = [n for n, bad in zip(left, failed, strict=True) if bad]
    return {n: inferred.get(n, "text") for n in names}


def _infer_extra_types(store: DuckDBStore, staged: StagedSource) -> dict[str, LogicalType]:
    """Infer extra columns' types: guess on a sample, then confirm on every row.

    Trying every type on every row is slow for text columns (failed timestamp casts), so
    the guess comes from the first rows and one full scan checks the guesses; a column
    whose guess fails the full scan is inferred again on all rows.
    """
    extras = {
        n: staged.lookup_columns.get(n, c)
        for n, c in staged.columns.items()
        if staged.spec.column(n) is None
    }
    if not extras:
        return {}
    table = quote(staged.temp_table)
    # Types are inferred from the values as recoded by `values:` ({'0': no, '1': yes}).
    texts = {n: staged.reading(n).recoded(quote(c)) for n, c in extras.items()}
    with sample_table(store, staged.temp_table, INFERENCE_SAMPLE_ROWS) as sample:
        guessed = _first_fitting_types(store, sample, texts)
    checks = [(name, _unfit_sql(texts[name], type_)) for name, type_ in guessed.items()]
    typed = [(name, predicate) for name, predicate in checks if predicate is not None]
    # A table no longer than the sample was checked whole already.
    whole = int(store.rows(f"SELECT count(*) FROM {table}")[0][0]) <= INFERENCE_SAMPLE_ROWS
    if typed and not whole:
        failed = aggregate(
            store, table, [f"count(*) FILTER (WHERE {predicate})" for _, predicate in typed]
        )
        wrong = {name: texts[name] for (name, _), bad in zip(typed, failed, strict=True) if bad}
        if wrong:
            guessed.update(_first_fitting_types(store, table, wrong))
    guessed.update(_configured_date_types(store, staged, extras, guessed))
    return guessed


_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%p", "%z", "%f", "%T", "%R")


def _configured_date_types(
    store: DuckDBStore,
    staged: StagedSource,
    extras: dict[str, str],
    guessed: dict[str, LogicalType],
) -> dict[str, LogicalType]:
    """Attribute columns inferred as text whose every value reads with the configured
    ``date_format``: a date (or a timestamp, when a format has a time part).

    Without this an attribute written '31/03/2025' stayed text although the source says
    how its dates are written.
    """
    candidates: dict[str, tuple[LogicalType, str]] = {}
    for name, type_ in guessed.items():
        reading = staged.readings.get(name)
        if type_ != "text" or reading is None or not reading.formats:
            continue
        kind: LogicalType = (
            "timestamp"
            if any(d in f for f in reading.formats for d in _TIME_DIRECTIVES)
            else "date"
        )
        bad = reading.bad_sql(quote(extras[name]), kind)
        if bad is not None:
            candidates[name] = (kind, bad)
    if not candidates:
        return {}
    counts = aggregate(
        store,
        quote(staged.temp_table),
        [
            expression
            for name, (_, bad) in candidates.items()
            for expression in (f"count({quote(extras[name])})", f"count(*) FILTER (WHERE {bad})")
        ],
    )
    found: dict[str, LogicalType] = {}
    for index, (name, (kind, _)) in enumerate(candidates.items()):
        non_null, failed = counts[2 * index], counts[2 * index + 1]
        if non_null and not failed:
            found[name] = kind
    return found


# What a date of birth that cannot be read becomes while staging (the date is never kept).
BAD_BIRTH_DATE = "df:unreadable-date-of-birth"


def band_labels(edges: list[int]) -> list[str]:
    """[18, 25, 65] -> under 18, 18-24, 25-64, 65+."""
    labels = [f"under {edges[0]}"]
    labels += [f"{low}-{high - 1}" for low, high in itertools.pairwise(edges)]
    return [*labels, f"{edges[-1]}+"]


def _band_sql(store: DuckDBStore, column: str, var: str, options: ColumnSource, day: date) -> str:
    """SQL turning a date-of-birth cell into its age band on ``day``, read as the file is read.

    The edges, labels, formats and day are DuckDB variables set with bound parameters.
    """
    edges = options.age_bands or []
    labels = band_labels(edges)
    store.execute(f"SET VARIABLE {var}_asof = ?::DATE", [day])
    for index, edge in enumerate(edges):
        store.execute(f"SET VARIABLE {var}_e{index} = ?::INTEGER", [edge])
    for index, label in enumerate(labels):
        store.execute(f"SET VARIABLE {var}_l{index} = ?", [label])
    text = f"trim(CAST({column} AS VARCHAR))"
    born = f"TRY_CAST({text} AS DATE)"
    formats = options.formats()
    if formats:
        store.execute(f"SET VARIABLE {var}_fmt = ?::VARCHAR[]", [formats])
        born = f"coalesce({born}, CAST(try_strptime({text}, getvariable('{var}_fmt')) AS DATE))"
    as_of = f"getvariable('{var}_asof')"
    age = f"date_sub('year', {born}, {as_of})"
    bands = " ".join(
        f"WHEN {age} < getvariable('{var}_e{i}') THEN getvariable('{var}_l{i}')"
        for i in range(len(edges))
    )
    return (
        f"(CASE WHEN {column} IS NULL OR {text} = '' THEN NULL "
        f"WHEN {born} IS NULL OR {born} > {as_of} THEN '{BAD_BIRTH_DATE}' "
        f"{bands} ELSE getvariable('{var}_l{len(edges)}') END)"
    )


def _banded(source: SourceConfig) -> dict[str, ColumnSource]:
    """File column -> its age-band options, for the columns read as dates of birth."""
    return {
        mapped.column: mapped
        for mapped in source.columns.values()
        if isinstance(mapped, ColumnSource) and mapped.age_bands
    }


def _projection(
    store: DuckDBStore,
    staged: StagedSource,
    source: SourceConfig,
    header: list[str],
    band_days: dict[str, tuple[date, str]],
) -> str | None:
    """The select list a source is read through, or None to read every column as it is.

    With ``other_columns: drop`` only the columns the source names are selected, so the
    others (names, SSNs) never reach a table, not even the staging one; a date-of-birth
    column is replaced by its age band as it is read.
    """
    banded = _banded(source)
    if source.other_columns == "keep" and not banded:
        return None
    wanted = set(source.read_columns())
    # A file column already spelled as a canonical column (client_id) maps itself, as it
    # does with ``other_columns: keep``: it needs no `columns:` line to be read, unless
    # another column is mapped onto that name.
    wanted |= {c for c in header if staged.spec.column(c) and c not in source.columns}
    keep = [c for c in header if source.other_columns == "keep" or c in wanted]
    if not keep:
        return None
    parts = []
    for index, column in enumerate(keep):
        if column in banded:
            var = f"df_{staged.table}_band{index}"
            options = banded[column]
            # Without a day from the importer (a caller that does not work one out), the
            # configured one, else today: the importer always passes the export's own day.
            day, why = band_days.get(column) or (
                (options.as_of, "as_of") if options.as_of else (date.today(), "today")
            )
            if staged.as_of is None:
                staged.as_of = day
                target = next(t for t, m in source.columns.items() if m is options)
                note = f"{staged.table}.{target} ('{column}'): ages counted to {day} ({why})"
                if note not in staged.notes:
                    staged.notes.append(note)
            band = _band_sql(store, quote(column), var, options, day)
            parts.append(f"{band} AS {quote(column)}")
        else:
            parts.append(quote(column))
    return ", ".join(parts)


def _leave_out_rows(
    store: DuckDBStore, staged: StagedSource, source: SourceConfig
) -> list[Problem]:
    """Drop the rows ``skip_rows_with`` marks, and repeats when ``repeated_rows: collapse``.

    Rows are deleted from the staging table, so the rest keep their rowids (and lines).
    """
    table = quote(staged.temp_table)
    present = set(staged_columns(store, staged.temp_table))
    marks = [quote(c) for c in source.skip_rows_with if c in present]
    before = staged.rows

    def count() -> int:
        return int(store.rows(f"SELECT count(*) FROM {table}")[0][0])

    if marks:
        filled = " OR ".join(f"coalesce(trim({m}), '') <> ''" for m in marks)
        store.execute(f"DELETE FROM {table} WHERE {filled}")
        skipped = before - count()
        if skipped:
            named = ", ".join(c for c in source.skip_rows_with if c in present)
            rows = "row" if skipped == 1 else "rows"
            staged.notes.append(f"{staged.table}: {skipped:,} {rows} left out ({named} set)")
    if source.repeated_rows == "collapse":
        columns = ", ".join(quote(c) for c in present if c != FILE_COLUMN)
        kept = count()
        store.execute(
            f"DELETE FROM {table} WHERE rowid NOT IN "
            f"(SELECT min(rowid) FROM {table} GROUP BY {columns})"
        )
        if kept - count():
            staged.notes.append(
                f"{staged.table}: {kept - count():,} repeated rows loaded once (repeated_rows)"
            )
    staged.rows = count()
    if staged.rows == before:
        return []
    if len(staged.parts) == 1:
        staged.parts[0].loaded = staged.rows
    elif staged.exact:
        for part in staged.parts:
            part.loaded = int(
                store.rows(
                    f"SELECT count(*) FROM {table} WHERE rowid >= ? AND rowid < ?",
                    [part.start, part.start + part.rows],
                )[0][0]
            )
    elif FILE_COLUMN in present and staged.read_paths:
        counts = dict(store.rows(f"SELECT {quote(FILE_COLUMN)}, count(*) FROM {table} GROUP BY 1"))
        for part, path in zip(staged.parts, staged.read_paths, strict=True):
            part.loaded = int(counts.get(path, 0))
    return []


def _unreadable_birth_dates(
    store: DuckDBStore, staged: StagedSource, source: SourceConfig
) -> list[Problem]:
    """Dates of birth that could not be read, by line; the dates themselves are gone."""
    problems = []
    table = quote(staged.temp_table)
    present = set(staged_columns(store, staged.temp_table))
    staged.birth_columns = [c for c in _banded(source) if c in present]
    for column in staged.birth_columns:
        rowids = [
            int(r[0])
            for r in store.rows(
                f"SELECT rowid FROM {table} WHERE {quote(column)} = ? ORDER BY rowid",
                [BAD_BIRTH_DATE],
            )
        ]
        if not rowids:
            continue
        lines = tuple(staged.line_of(r) for r in rowids[:5]) if staged.exact else ()
        problems.append(
            Problem(
                staged.part_of(rowids[0]).display if staged.exact else staged.display_path,
                "bad-date-of-birth",
                f"{len(rowids):,} dates of birth cannot be read as dates (yyyy-mm-dd, or the "
                "source's date_format) or lie after the day ages are counted to; they are "
                "never shown",
                "correct them in the export or leave them empty (an empty one gives no band)",
                lines[0] if lines else None,
                column,
                count=len(rowids),
                lines=lines,
            )
        )
    return problems


def _plan_lookup(
    store: DuckDBStore,
    staged: StagedSource,
    index: int,
    name: str,
    steps: list[LookupStep],
    files: dict[str, SourceFile],
) -> list[Problem]:
    """Read a lookup's files into one temp table (k: lower-cased key, v: looked-up value).

    Hop by hop, each file's smallest value on a repeated key, joined in DuckDB: a map of
    50,000 keys applied per row took seconds per 100,000 rows. Paths are bound
    parameters and column names quoted, never spliced.
    """
    file_column = staged.columns[name]
    hops: list[str] = []
    displays = []
    for step in steps:
        found = files.get(step.path)
        if found is None:
            return []  # the missing file is reported where files are resolved
        hop = f"df_lookup_{staged.table}_{index}_{len(hops)}"
        try:
            store.execute(
                f"CREATE OR REPLACE TEMP TABLE {quote(hop)} AS "
                f"SELECT lower(trim({quote(step.key)})) AS k, min(trim({quote(step.value)})) AS v "
                "FROM read_csv(?, all_varchar = true, header = true) "
                f"WHERE {quote(step.key)} IS NOT NULL GROUP BY 1",
                [str(found.path)],
            )
        except (DiskFullError, StoreDamagedError):
            raise
        except StoreError:  # a missing column or an unreadable file: no values shown
            for table in hops:
                store.execute(f"DROP TABLE IF EXISTS {quote(table)}")
            return [
                Problem(
                    found.display,
                    "lookup-unreadable",
                    f"the lookup for '{file_column}' cannot read columns '{step.key}' and "
                    f"'{step.value}' from this file",
                    "check that the file is a CSV with both columns "
                    f"(used by {staged.display_path})",
                    1,
                )
            ]
        hops.append(hop)
        displays.append(found.display)
    joined = f"df_lookup_{staged.table}_{index}"
    # Keys are matched lower-cased, so each hop's value is lowered to meet the next key.
    chain = f"SELECT h0.k, h{len(hops) - 1}.v FROM {quote(hops[0])} h0" + "".join(
        f" LEFT JOIN {quote(hop)} h{i} ON lower(h{i - 1}.v) = h{i}.k"
        for i, hop in enumerate(hops[1:], start=1)
    )
    store.execute(f"CREATE OR REPLACE TEMP TABLE {quote(joined)} AS {chain}")
    for hop in hops:
        store.execute(f"DROP TABLE IF EXISTS {quote(hop)}")
    staged.lookup_tables[name] = (joined, " -> ".join(displays))
    return []


def _pair_codes(
    store: DuckDBStore, staged: StagedSource, source: SourceConfig, header: list[str]
) -> list[Problem]:
    """Join each ``codes_by`` column's code to the code it depends on ('141:1'), in place.

    HMIS's TypeProvided means something only with its RecordType (1 is re-engagement for
    a PATH service, rental assistance for SSVF): checked alone, any small number passed.
    The pair goes into its own staging column (rowids, so lines, unchanged), which the
    column's ``values`` list then reads and refuses like any code.
    """
    table = quote(staged.temp_table)
    problems: list[Problem] = []
    for name in list(staged.columns):
        own = source.options_for(name)
        if own is None or own.codes_by is None or name in staged.lookup_columns:
            continue
        if own.codes_by not in header:
            problems.append(
                Problem(
                    staged.parts[0].display,
                    "mapped-column-missing",
                    f"column '{own.codes_by}' (the codes of '{own.column}' depend on it) is "
                    "not in the header",
                    f"the header has: {', '.join(header[:30])}",
                    1 if staged.parts[0].header_lines else None,
                    own.codes_by,
                )
            )
            continue
        column = f"df:pair:{name}"
        this = f"trim(CAST({quote(staged.columns[name])} AS VARCHAR))"
        other = f"coalesce(trim(CAST({quote(own.codes_by)} AS VARCHAR)), '')"
        store.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {quote(column)} VARCHAR")
        store.execute(
            f"UPDATE {table} SET {quote(column)} = CASE WHEN coalesce({this}, '') = '' "
            f"THEN NULL ELSE {other} || ':' || {this} END"
        )
        staged.lookup_columns[name] = column
    return problems


def apply_lookups(store: DuckDBStore, staged: StagedSource) -> None:
    """Join each looked-up value into its own staging column, and note the keys not found.

    The column is added and filled in place (UPDATE ... FROM, a hash join), so rowids and
    with them line numbers are unchanged. A key found nowhere leaves the value empty, as
    documented; how many rows that is goes into the import summary (a count, never a key).
    """
    table = quote(staged.temp_table)
    for name, (joined, displays) in staged.lookup_tables.items():
        column = f"df:lookup:{name}"
        key = f"lower(trim(CAST(t.{quote(staged.columns[name])} AS VARCHAR)))"
        store.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {quote(column)} VARCHAR")
        store.execute(
            f"UPDATE {table} AS t SET {quote(column)} = l.v FROM {quote(joined)} AS l "
            f"WHERE {key} = l.k"
        )
        store.execute(f"DROP TABLE IF EXISTS {quote(joined)}")
        staged.lookup_columns[name] = column
        missing = store.rows(
            f"SELECT count(*) FROM {table} AS t WHERE t.{quote(column)} IS NULL "
            f"AND coalesce({key}, '') <> ''"
        )[0][0]
        if missing:
            rows = "row" if missing == 1 else "rows"
            staged.notes.append(
                f"{staged.table}.{name} ('{staged.columns[name]}'): {missing:,} {rows} with "
                f"no value in {displays} (left empty)"
            )
    staged.lookup_tables = {}


__all__ = [
    "StagedSource",
    "apply_lookups",
    "attribute_name",
    "file_sha256",
    "finish_staging",
    "stage_source",
]
