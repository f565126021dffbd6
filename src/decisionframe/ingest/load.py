"""Import: stage, validate, pseudonymize and load every source in one transaction."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import ClassVar

import pandas as pd
from pyarrow import csv as pa_csv

from decisionframe.config import ColumnSource, ProjectConfig, SourceConfig
from decisionframe.errors import (
    ImportValidationError,
    Problem,
    StoreError,
    count_of,
    merge_across_files,
)
from decisionframe.ingest.files import SourceFile, resolve_files
from decisionframe.ingest.pseudonymize import PseudonymKey
from decisionframe.ingest.quarantine import (
    QUARANTINE_DIR,
    SetAside,
    mark_quarantinable,
    quarantinable,
    quarantine_rows,
    record_quarantine,
    write_quarantine,
)
from decisionframe.ingest.stage import StagedSource, stage_source
from decisionframe.ingest.validate import validate_staged
from decisionframe.results import Result
from decisionframe.store import LOAD_ORDER, DuckDBStore, quote
from decisionframe.store.postgres_store import PostgresStore, pg_type
from decisionframe.store.schema import SQL_TYPES

Progress = Callable[[str, int, int], None]
# The import log's columns, named: a store migrated from before `as_of` (migration 6) has
# them in this order too, and naming them keeps every INSERT right if more are added.
IMPORT_LOG_COLUMNS = (
    "batch_id, table_name, source_path, sha256, rows, fingerprint, imported_at, as_of"
)


@dataclass(frozen=True)
class FileImport:
    """One file of a table's source: its path, hash, rows, and what changed since last time."""

    path: str
    sha256: str
    rows: int
    change: str = "new"  # new, changed, unchanged (since the previous import)


@dataclass(frozen=True)
class TableImport:
    table: str
    source_path: str
    sha256: str
    rows: int
    columns: dict[str, str] = field(default_factory=dict)  # column -> logical type
    files: tuple[FileImport, ...] = ()
    removed: tuple[FileImport, ...] = ()  # files of the previous import no longer there
    quarantined: int = 0  # rows set aside (on_error: quarantine); ``rows`` are those loaded
    # The day ages were counted to (a date-of-birth column read as age bands), also in the
    # import log: the same export gives the same ages whenever it is imported.
    as_of: date | None = None


@dataclass(frozen=True)
class ImportResult(Result):
    """What an import did: the batch, per table its files, hashes and rows, and what it noticed.

    ``notes`` says what was detected or renamed (encodings, date formats, delimiters,
    attribute columns) and which files were added, replaced or removed.
    """

    kind: ClassVar[str] = "import"
    batch_id: str
    unchanged: bool
    tables: tuple[TableImport, ...]
    notes: tuple[str, ...] = ()
    quarantined: int = 0  # rows set aside in all tables
    quarantine_file: str = ""  # where they are listed (file, line, rule; never values)
    # Canonical tables dropped because their source left decisionframe.yaml: a table kept
    # after its source is gone would still be read (old costs deciding today's plan).
    removed_tables: tuple[str, ...] = ()

    def summary(self) -> str:
        if self.unchanged:
            return "Sources unchanged since the last import; the store was not touched."
        rows = ", ".join(f"{t.table} {t.rows:,}" for t in self.tables)
        text = f"Imported batch {self.batch_id[:8]}: {rows}."
        days = sorted({t.as_of for t in self.tables if t.as_of is not None})
        if days:
            text += f" Ages counted to {', '.join(str(d) for d in days)}."
        if self.quarantined:
            text += (
                f" {count_of(self.quarantined, 'row')} "
                f"{'was' if self.quarantined == 1 else 'were'} set aside (on_error: quarantine), "
                "listed by "
                f"file and line in {self.quarantine_file}: fix them in the source files and "
                "import again."
            )
        return text

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"table": t.table, "rows": t.rows, "source_path": t.source_path} for t in self.tables],
            columns=["table", "rows", "source_path"],
        )


def _file_notes(tables: Sequence[TableImport]) -> list[str]:
    notes = []
    for table in tables:
        for item in table.files:
            if (item.change == "new" and len(table.files) > 1) or item.change == "changed":
                verb = "added" if item.change == "new" else "replaced its rows with"
                notes.append(f"{item.path}: {item.change}; {verb} {count_of(item.rows, 'row')}")
        notes += [
            f"{r.path}: removed; its {count_of(r.rows, 'row')} {'is' if r.rows == 1 else 'are'} "
            "gone"
            for r in table.removed
        ]
    return notes


def _fingerprint(
    config: ProjectConfig,
    files: dict[str, list[SourceFile]],
    key: PseudonymKey,
    lookups: dict[str, SourceFile] | None = None,
) -> str:
    payload = {
        "lookups": sorted((f.display, f.sha256) for f in (lookups or {}).values()),
        "sources": {
            t: [[(f.display, f.sha256) for f in fs], config.sources[t].model_dump(mode="json")]  # type: ignore[index]
            for t, fs in files.items()
        },
        "channels": config.channels,
        "pseudonymize": config.privacy.pseudonymize,
        "key": key.pseudonym("decisionframe-key-check"),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _last_fingerprint(store: DuckDBStore) -> str | None:
    rows = store.rows(
        "SELECT fingerprint FROM df_imports ORDER BY imported_at DESC, batch_id LIMIT 1"
    )
    return str(rows[0][0]) if rows else None


def _pseudonym_table(column: str) -> str:
    return f"df_pseudonyms_{column}"


def _build_pseudonym_maps(
    store: DuckDBStore, staged: dict[str, StagedSource], config: ProjectConfig, key: PseudonymKey
) -> None:
    """One raw -> pseudonym table per pseudonymized column, over all tables' distinct values.

    HMAC is the costly step, so it runs once per distinct identifier (a client appears in
    many touchpoints) and every table joins the map. A column that references a staged
    parent (touchpoints.client_id -> clients.client_id) adds no values: validation has
    already refused orphans. A column that is its one table's key (clients.client_id)
    needs no DISTINCT: validation has already refused duplicate keys.
    """
    for column in config.privacy.pseudonymize:
        sources = [
            s
            for s in staged.values()
            if column in s.columns and not _parent_is_staged(s, column, staged)
        ]
        if not sources:
            continue
        union = " UNION ".join(
            f"SELECT {s.text_sql(column)} AS raw FROM {quote(s.temp_table)}" for s in sources
        )
        unique = len(sources) == 1 and sources[0].spec.key == (column,)
        name = _pseudonym_table(column)
        store.execute(
            f"CREATE OR REPLACE TEMP TABLE {quote(name)} AS SELECT raw, "
            f"{key.sql_expression('raw')} AS pseudonym FROM (SELECT "
            f"{'' if unique else 'DISTINCT '}raw FROM ({union}) WHERE raw IS NOT NULL)"
        )


def _parent_is_staged(source: StagedSource, column: str, staged: dict[str, StagedSource]) -> bool:
    spec = source.spec.column(column)
    if spec is None or spec.references is None:
        return False
    parent_table, parent_column = spec.references.split(".")
    parent = staged.get(parent_table)
    return parent is not None and parent is not source and parent_column in parent.columns


def _select_sql(staged: StagedSource, config: ProjectConfig) -> str:
    selects: list[str] = []
    joins: list[str] = []
    names = [c.name for c in staged.spec.columns]
    names += [n for n in staged.columns if staged.spec.column(n) is None]
    for name in names:
        if name not in staged.columns:
            sql_type = SQL_TYPES[staged.spec.column(name).type]  # type: ignore[union-attr]
            selects.append(f"CAST(NULL AS {sql_type}) AS {quote(name)}")
            continue
        if name in config.privacy.pseudonymize:
            alias = f"p{len(joins)}"
            joins.append(
                f"LEFT JOIN {quote(_pseudonym_table(name))} {alias} "
                f"ON {staged.text_sql(name, 's.')} = {alias}.raw"
            )
            expression = f"{alias}.pseudonym"
        elif name == "channel":
            expression = f"lower(trim({staged.input_sql(name, 's.')}))"
        else:
            expression = staged.value_sql(name, "s.")
        selects.append(f"{expression} AS {quote(name)}")
    return f"SELECT {', '.join(selects)} FROM {quote(staged.temp_table)} s {' '.join(joins)}"


def _load_table(
    store: DuckDBStore,
    staged: StagedSource,
    config: ProjectConfig,
    batch_id: str,
    fingerprint: str,
    now: datetime,
    previous_batch: str,
) -> TableImport:
    table = quote(staged.table)
    store.execute(f"DROP TABLE IF EXISTS {table}")
    store.execute(f"CREATE TABLE {table} AS {_select_sql(staged, config)}")
    store.execute("DELETE FROM df_columns WHERE table_name = ?", [staged.table])
    columns: dict[str, str] = {c.name: c.type for c in staged.spec.columns}
    columns.update({n: staged.type_of(n) for n in staged.columns if n not in columns})
    names = list(columns)
    # One statement for all the columns: a wide file's thousand INSERTs were a second of
    # the import, and the list stays bound parameters.
    store.execute(
        "INSERT INTO df_columns SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
        "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::BOOLEAN[])",
        [
            staged.table,
            names,
            [columns[n] for n in names],
            ["canonical" if staged.spec.column(n) else "attribute" for n in names],
            [staged.source_names.get(n, "") for n in names],
            [n in config.privacy.pseudonymize and n in staged.columns for n in names],
        ],
    )
    previous = {
        str(path): (str(sha), int(rows))
        for path, sha, rows in store.rows(
            "SELECT source_path, sha256, rows FROM df_imports "
            "WHERE table_name = ? AND batch_id = ?",
            [staged.table, previous_batch],
        )
    }
    files = []
    for part in staged.parts:
        rows = part.loaded_rows
        store.execute(
            f"INSERT INTO df_imports ({IMPORT_LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                batch_id,
                staged.table,
                part.display,
                part.sha256,
                rows,
                fingerprint,
                now,
                staged.as_of,
            ],
        )
        before = previous.get(part.display)
        change = "new" if before is None else "unchanged" if before[0] == part.sha256 else "changed"
        files.append(FileImport(part.display, part.sha256, rows, change))
    current = {p.display for p in staged.parts}
    removed = tuple(
        FileImport(path, sha, rows, "removed")
        for path, (sha, rows) in sorted(previous.items())
        if path not in current
    )
    return TableImport(
        staged.table,
        staged.display_path,
        staged.sha256,
        staged.rows,
        columns,
        tuple(files),
        removed,
        as_of=staged.as_of,
    )


def import_sources(
    store: DuckDBStore,
    *,
    project_dir: Path,
    config: ProjectConfig,
    key: PseudonymKey,
    progress: Progress | None = None,
    after_table: Callable[[str], None] | None = None,
    verify: Callable[[Sequence[str]], None] | None = None,
) -> ImportResult:
    """Import every configured source, all-or-nothing.

    Validation runs over every file before anything is written; the load then happens in
    one transaction, so an error or a killed process at any point leaves the store as it
    was. An unchanged set of files (same hashes, same settings, same key) writes nothing.
    ``after_table`` is called inside the transaction after each table (used to test that a
    failure mid-load leaves nothing behind).
    """
    report = progress or (lambda _step, _done, _total: None)
    tables = [t for t in LOAD_ORDER if t in config.sources]
    total = 2 * len(tables) + 1
    # Timestamps are stored in UTC: a written offset is converted, never dropped.
    store.execute("SET TimeZone = 'UTC'")
    files, missing = _source_files(config, tables, project_dir)
    lookups, missing_lookups = _lookup_files(config, tables, project_dir)
    missing += missing_lookups
    lookups.update(_as_of_files(config, tables, project_dir, lookups))
    if missing:
        raise ImportValidationError("import refused; nothing was loaded", missing)
    fingerprint = _fingerprint(config, files, key, lookups)
    left_over = [t for t in LOAD_ORDER if t not in tables and store.table_exists(t)]
    if fingerprint == _last_fingerprint(store) and not left_over:
        # Same files and settings: but a damaged store must not pass as "unchanged", so
        # every loaded table is read back first (StoreDamagedError names the way out).
        # ``verify`` checks the store that holds the tables when ``store`` is only scratch.
        (verify or store.verify)(tables)
        report("unchanged", total, total)
        return ImportResult(batch_id="", unchanged=True, tables=())
    scratch = project_dir / ".decisionframe" / "tmp"
    try:
        return _import(
            store, config, tables, files, scratch, key, fingerprint, report, after_table, lookups
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _import(
    store: DuckDBStore,
    config: ProjectConfig,
    tables: Sequence[str],
    files: dict[str, list[SourceFile]],
    scratch: Path,
    key: PseudonymKey,
    fingerprint: str,
    report: Progress,
    after_table: Callable[[str], None] | None,
    lookups: dict[str, SourceFile] | None = None,
) -> ImportResult:
    total = 2 * len(tables) + 1
    # Fast staging tells whether the files are clean; only if they are not are they staged
    # again exactly, slower, to locate every problem by line.
    staged, problems = _stage_and_validate(
        store, config, tables, files, scratch, report, lookups, exact=False
    )
    if problems:
        _drop_staging(store, staged)
        staged, problems = _stage_and_validate(
            store, config, tables, files, scratch, report, lookups, exact=True
        )
    set_aside: list[SetAside] = []
    if problems and quarantinable(config, staged, problems):
        set_aside = quarantine_rows(store, staged, channels=config.channels)
        problems = validate_staged(store, staged, channels=config.channels)
    if problems:
        _drop_staging(store, staged)
        problems, single = mark_quarantinable(config, staged, merge_across_files(problems))
        summary = "import refused; nothing was loaded"
        if single:
            which = (
                "it concerns"
                if len(problems) == 1
                else f"all {single:,} concern"
                if single == len(problems)
                else f"{single:,} of them {'concerns' if single == 1 else 'concern'}"
            )
            summary += (
                f"; {which} single rows, which `on_error: quarantine` would set aside "
                "(their hints say so)"
            )
        raise ImportValidationError(summary, problems)
    notes = [note for table in tables for note in staged[table].notes]
    notes += _quarantine_notes(set_aside)
    batch_id, now = uuid.uuid4().hex, datetime.now(UTC)
    last = store.rows("SELECT batch_id FROM df_imports ORDER BY imported_at DESC, batch_id LIMIT 1")
    previous = str(last[0][0]) if last else ""
    loaded = []
    try:
        # Row order in the loaded tables carries no meaning, and keeping it is slow.
        with store.insertion_order(preserve=False):
            _build_pseudonym_maps(store, staged, config, key)
            with store.transaction():
                for index, table in enumerate(tables):
                    report(f"loading {table}", len(tables) + 1 + index, total)
                    loaded.append(
                        _load_table(
                            store, staged[table], config, batch_id, fingerprint, now, previous
                        )
                    )
                    if after_table is not None:
                        after_table(table)
                removed = _drop_unconfigured(store, tables)
                record_quarantine(store, batch_id, set_aside)
    finally:
        _drop_staging(store, staged)
        for name in config.privacy.pseudonymize:
            store.execute(f"DROP TABLE IF EXISTS {quote(_pseudonym_table(name))}")
    report("done", total, total)
    notes += _file_notes(loaded)
    notes += [
        f"table {name} removed: its source is no longer in decisionframe.yaml" for name in removed
    ]
    where = ""
    if set_aside:
        where = str(
            write_quarantine(scratch.parent, batch_id, set_aside).relative_to(scratch.parent.parent)
        )
    else:
        (scratch.parent / QUARANTINE_DIR / "latest.csv").unlink(missing_ok=True)
    # Rows, not problems: a row with two bad cells is one row set aside (as `status` counts).
    rows_aside = {(r.table, r.file, r.line) for r in set_aside}
    counts = Counter(table for table, _, _ in rows_aside)
    loaded = [replace(t, quarantined=counts.get(t.table, 0)) for t in loaded]
    return ImportResult(
        batch_id=batch_id,
        unchanged=False,
        tables=tuple(loaded),
        notes=tuple(notes),
        quarantined=len(rows_aside),
        quarantine_file=where,
        removed_tables=removed,
    )


def _drop_unconfigured(store: DuckDBStore, tables: Sequence[str]) -> tuple[str, ...]:
    """Drop the canonical tables an earlier import loaded whose source is now gone."""
    removed = tuple(t for t in LOAD_ORDER if t not in tables and store.table_exists(t))
    for name in removed:
        store.execute(f"DROP TABLE {quote(name)}")
        store.execute("DELETE FROM df_columns WHERE table_name = ?", [name])
    return removed


def _quarantine_notes(set_aside: Sequence[SetAside]) -> list[str]:
    """Per table: how many rows were set aside, and for which rules (no values)."""
    notes = []
    for table in dict.fromkeys(r.table for r in set_aside):
        rows = [r for r in set_aside if r.table == table]
        lines = {(r.file, r.line) for r in rows}
        rules = Counter(f"{r.rule} ({r.column})" if r.column else r.rule for r in rows)
        detail = ", ".join(f"{rule} {n:,}" for rule, n in rules.most_common())
        notes.append(f"{table}: {count_of(len(lines), 'row')} set aside: {detail}")
    return notes


def _source_files(
    config: ProjectConfig, tables: Sequence[str], project_dir: Path
) -> tuple[dict[str, list[SourceFile]], list[Problem]]:
    """Every source's files, hashed (SHA-256), and the problems of those not found."""
    files: dict[str, list[SourceFile]] = {}
    problems: list[Problem] = []
    for table in tables:
        found, missing = resolve_files(
            config.sources[table],  # type: ignore[index]
            project_dir,
            table,
            allow_outside=config.allow_outside_project,
        )
        files[table] = found
        problems += missing
    return files, problems


def _lookup_files(
    config: ProjectConfig, tables: Sequence[str], project_dir: Path
) -> tuple[dict[str, SourceFile], list[Problem]]:
    """The files columns look values up in (by the path written), hashed; or why not."""
    found: dict[str, SourceFile] = {}
    problems: list[Problem] = []
    for table in tables:
        for path in config.sources[table].lookup_paths():  # type: ignore[index]
            if path in found or any(p.file == path for p in problems):
                continue
            files, missing = resolve_files(
                SourceConfig(path=path),
                project_dir,
                table,
                allow_outside=config.allow_outside_project,
            )
            if files:
                found[path] = files[0]
            problems += missing
    return found, problems


def _stage_and_validate(
    store: DuckDBStore,
    config: ProjectConfig,
    tables: Sequence[str],
    files: dict[str, list[SourceFile]],
    scratch: Path,
    report: Progress,
    lookups: dict[str, SourceFile] | None = None,
    *,
    exact: bool,
) -> tuple[dict[str, StagedSource], list[Problem]]:
    total = 2 * len(tables) + 1
    staged: dict[str, StagedSource] = {}
    problems: list[Problem] = []
    # Sources that count ages are staged last: their default day is the latest contact
    # date of the others (a date of birth is banded as it is read, so the day comes first).
    ages = [t for t in tables if config.sources[t].counts_ages()]  # type: ignore[index]
    fallback: tuple[date, str] | None = None
    for done, table in enumerate([t for t in tables if t not in ages] + ages):
        report(f"reading {table}" if not exact else f"locating problems in {table}", done, total)
        source_config: SourceConfig = config.sources[table]  # type: ignore[index]
        if table in ages and fallback is None:
            fallback = _latest_contact_day(store, staged)
        source, found = stage_source(
            store,
            table=table,
            source=source_config,
            files=files[table],
            scratch=scratch,
            exact=exact,
            lookups=lookups,
            band_days=_band_days(store, source_config, lookups or {}, fallback),
        )
        problems += found
        if source is not None:
            staged[table] = source
            problems += _unprotected_copies(source, config.privacy.pseudonymize)
    report("validating", len(tables), total)
    if not problems:
        problems = validate_staged(store, staged, channels=config.channels)
    return staged, problems


def _as_of_files(
    config: ProjectConfig,
    tables: Sequence[str],
    project_dir: Path,
    known: dict[str, SourceFile],
) -> dict[str, SourceFile]:
    """The ``as_of_from`` files found (hashed, so a new export date re-imports). A missing
    one is no error: the ages are then counted to the latest contact date, as noted."""
    found: dict[str, SourceFile] = {}
    for table in tables:
        for path in config.sources[table].as_of_paths():  # type: ignore[index]
            if path in known or path in found:
                continue
            files, _missing = resolve_files(
                SourceConfig(path=path),
                project_dir,
                table,
                allow_outside=config.allow_outside_project,
            )
            if files:
                found[path] = files[0]
    return found


# Where "the latest contact date" is looked for, in this order.
_CONTACT_DATES = (
    ("touchpoints", "started_at"),
    ("outcomes", "measured_on"),
    ("feedback", "given_on"),
)


def _latest_contact_day(store: DuckDBStore, staged: dict[str, StagedSource]) -> tuple[date, str]:
    """The export's own day when it does not write one: its latest contact date.

    Counting ages to the import day made the same export give other ages a year later;
    the data's last date does not move. Only cells that read as dates count (a bad cell is
    reported by validation). The day of the import only when no source holds a date.
    """
    for table, column in _CONTACT_DATES:
        source = staged.get(table)
        if source is None or column not in source.columns:
            continue
        bad = source.bad_sql(column)
        where = f"WHERE NOT coalesce({bad}, false)" if bad else ""
        try:
            day = store.rows(
                f"SELECT max(CAST(v AS DATE)) FROM (SELECT {source.value_sql(column)} AS v "
                f"FROM {quote(source.temp_table)} {where})"
            )[0][0]
        except StoreError:
            continue
        if day is not None:
            return day, f"the latest {table}.{column}"
    return date.today(), "the day of the import: the data hold no contact date"


def _band_days(
    store: DuckDBStore,
    source: SourceConfig,
    files: dict[str, SourceFile],
    fallback: tuple[date, str] | None,
) -> dict[str, tuple[date, str]]:
    """Each date-of-birth column's day (by file column) and where it came from."""
    days: dict[str, tuple[date, str]] = {}
    for mapped in source.columns.values():
        if not isinstance(mapped, ColumnSource) or not mapped.age_bands:
            continue
        if mapped.as_of is not None:
            days[mapped.column] = (mapped.as_of, "as_of")
            continue
        default = fallback or (date.today(), "the day of the import")
        if mapped.as_of_from is None:
            days[mapped.column] = default
            continue
        wanted = mapped.as_of_from
        found = files.get(wanted.path)
        day = _day_in_file(store, found, wanted.column) if found is not None else None
        if day is not None:
            days[mapped.column] = (day, f"{wanted.column} in {found.display}")  # type: ignore[union-attr]
        else:
            why = "not found" if found is None else f"no date in {wanted.column}"
            days[mapped.column] = (default[0], f"{default[1]}; {wanted.path}: {why}")
    return days


def _day_in_file(store: DuckDBStore, file: SourceFile, column: str) -> date | None:
    """The latest date in ``column`` of a CSV file (a timestamp counts by its day)."""
    try:
        day = store.rows(
            f"SELECT max(TRY_CAST(trim({quote(column)}) AS DATE)) "
            "FROM read_csv(?, all_varchar = true, header = true)",
            [str(file.path)],
        )[0][0]
    except StoreError:  # a missing column or an unreadable file: the default day, noted
        return None
    return None if day is None else day  # DuckDB gives a datetime.date


def _unprotected_copies(staged: StagedSource, pseudonymize: Sequence[str]) -> list[Problem]:
    """Columns that would store a pseudonymized identifier raw under another name.

    A file with two ``client_id`` columns reaches us as ``client_id`` and ``client_id_1``
    (the reader's spelling of a repeated header); ``Client ID`` or ``client-id`` land on
    ``client_id`` itself. Any extra column whose name is a pseudonymized one, plus a
    number, is refused: it would be loaded as a plain attribute, not pseudonymized.
    """
    problems = []
    for target, file_column in staged.columns.items():
        if target in pseudonymize:
            continue
        for name in pseudonymize:
            if re.fullmatch(rf"{re.escape(name)}_?\d+", target):
                problems.append(
                    Problem(
                        staged.display_path,
                        "unprotected-identifier",
                        f"column '{file_column}' looks like a second copy of '{name}', which "
                        "is pseudonymized; it would be stored as written",
                        f"remove or rename the repeated '{name}' column in the file",
                        None,
                        file_column,
                    )
                )
    return problems


def _drop_staging(store: DuckDBStore, staged: dict[str, StagedSource]) -> None:
    for source in staged.values():
        store.execute(f"DROP TABLE IF EXISTS {quote(source.temp_table)}")


def import_into_database(
    target: PostgresStore,
    *,
    project_dir: Path,
    config: ProjectConfig,
    key: PseudonymKey,
    progress: Progress | None = None,
    after_table: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import every configured source into a PostgreSQL store, all-or-nothing.

    Reading, validation and pseudonymization are the DuckDB import's own code, run in a
    scratch DuckDB file inside the project (so every check and message is the same, and
    raw identifiers never reach the server). The finished tables are then copied in with
    COPY inside one transaction, holding the database's import lock: a second import is
    refused, and readers see the old tables or the new ones, never a mix. ``after_table``
    is called inside that transaction after each table.
    """
    target.check_can_import()
    scratch_dir = project_dir / ".decisionframe" / "import-scratch"
    shutil.rmtree(scratch_dir, ignore_errors=True)
    scratch_dir.mkdir(parents=True)
    try:
        with target.import_lock(), DuckDBStore(scratch_dir / "scratch.duckdb") as scratch:
            _copy_history(target, scratch)
            result = import_sources(
                scratch,
                project_dir=project_dir,
                config=config,
                key=key,
                progress=progress,
                verify=target.verify,
            )
            if result.unchanged:
                return result
            names = [t.table for t in result.tables]
            files = {name: _export_csv(scratch, name, scratch_dir) for name in names}
            with target.transaction():
                for name in names:
                    columns, csv_file = files[name]
                    target.replace_table(name, columns, csv_file)
                    if after_table is not None:
                        after_table(name)
                _copy_bookkeeping(scratch, target, names, result.batch_id)
                for name in result.removed_tables:
                    target.drop_table(name)
            return result
    finally:
        shutil.rmtree(scratch_dir, ignore_errors=True)


def _copy_history(target: PostgresStore, scratch: DuckDBStore) -> None:
    """The database's import log into the scratch store, so "unchanged since the last
    import" and the per-file changes are judged against what the database holds."""
    for row in target.rows(f"SELECT {IMPORT_LOG_COLUMNS} FROM df_imports"):
        scratch.execute(
            f"INSERT INTO df_imports ({IMPORT_LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            list(row),
        )


def _export_csv(
    scratch: DuckDBStore, name: str, folder: Path
) -> tuple[list[tuple[str, str]], Path]:
    """A loaded table as CSV for COPY, streamed in batches (no whole table in memory).

    Arrow's CSV writer quotes an empty string and leaves a null empty, which is exactly
    how PostgreSQL's CSV COPY tells them apart.
    """
    columns = [(c, pg_type(t)) for c, t in scratch.table_columns(name)]
    path = folder / f"{name}.csv"
    reader = scratch.connection.sql(f"SELECT * FROM {quote(name)}").to_arrow_reader(100_000)
    assert reader is not None  # a SELECT always has a result
    options = pa_csv.WriteOptions(include_header=False)
    with pa_csv.CSVWriter(str(path), reader.schema, write_options=options) as writer:
        for batch in reader:
            writer.write_batch(batch)
    return columns, path


def _copy_bookkeeping(
    scratch: DuckDBStore, target: PostgresStore, names: Sequence[str], batch_id: str
) -> None:
    for name in names:
        target.execute("DELETE FROM df_columns WHERE table_name = ?", [name])
        for row in scratch.rows("SELECT * FROM df_columns WHERE table_name = ?", [name]):
            target.execute("INSERT INTO df_columns VALUES (?, ?, ?, ?, ?, ?)", list(row))
    for row in scratch.rows(
        f"SELECT {IMPORT_LOG_COLUMNS} FROM df_imports WHERE batch_id = ?", [batch_id]
    ):
        target.execute(
            f"INSERT INTO df_imports ({IMPORT_LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            list(row),
        )


__all__ = ["ImportResult", "TableImport", "import_into_database", "import_sources"]
