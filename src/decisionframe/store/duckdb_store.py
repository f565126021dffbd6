"""DuckDB backend of the Store protocol: one file in the project folder."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from decisionframe.errors import SourceReadError, StoreError
from decisionframe.store.base import quote
from decisionframe.store.migrations import MIGRATIONS, Migration

_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\d{5,}")


def scrubbed(exc: BaseException) -> str:
    """A driver error's first line with every quoted string and long number blanked.

    DuckDB quotes the value it could not convert (an identifier, a free-text reason) and
    whole source lines; none of it may reach a message, a log or a traceback.
    """
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _QUOTED.sub("…", first)[:300]


_LOCK_WORDS = ("could not set lock", "conflicting lock", "database is locked")
_FULL_WORDS = ("no space left", "file too large", "disk quota", "out of disk")
_DAMAGE_WORDS = (
    "not a valid duckdb",
    "checksum",
    "corrupt",
    "could not read enough bytes",
    "invalid block",
    "is not a duckdb",
    "serialization",
    "replaying wal",
)


class StoreLockedError(StoreError):
    """Another process holds the store's write lock."""


class StoreDamagedError(StoreError):
    """The store file is corrupt or truncated; ``decisionframe repair`` rebuilds it."""


class DiskFullError(StoreError):
    """A write failed because the disk (or the file size limit) is full."""


def disk_full(exc: BaseException) -> bool:
    lowered = str(exc).lower()
    errno = getattr(exc, "errno", None)
    return errno in (28, 27, 122) or any(w in lowered for w in _FULL_WORDS)


def open_error(path: Path | str, exc: duckdb.Error) -> StoreError:
    """Why the store at ``path`` cannot be opened, said so a user knows what to do."""
    lowered = str(exc).lower()
    if any(w in lowered for w in _LOCK_WORDS):
        pid = re.search(r"PID (\d+)", str(exc))
        who = f" (process {pid.group(1)})" if pid else ""
        return StoreLockedError(
            f"the store {path} is in use by another decisionframe process{who}. Hint: wait "
            "for it to finish, or close it, and run the command again; nothing was changed"
        )
    if "permission denied" in lowered or "read-only file system" in lowered:
        return StoreError(
            f"the store {path} cannot be opened for writing: permission denied (a read-only "
            "folder or file). Hint: run decisionframe as a user who may write the project "
            "folder, or copy the project somewhere writable"
        )
    if disk_full(exc):
        return DiskFullError(
            f"the store {path} cannot be opened: the disk is full. Hint: free space and "
            "run the command again; the store was not changed"
        )
    if any(w in lowered for w in _DAMAGE_WORDS) or isinstance(exc, duckdb.IOException):
        return damaged_error(path, exc)
    return StoreError(f"cannot open the store at {path}: {scrubbed(exc)}")


def damaged_error(path: Path | str, exc: BaseException) -> StoreDamagedError:
    return StoreDamagedError(
        f"the store {path} is damaged (corrupt or truncated: {scrubbed(exc)}). Hint: run "
        "`decisionframe repair <project>`: it sets the damaged file aside, rebuilds the "
        "store from your source files and keeps every saved run it can still read"
    )


@contextmanager
def _driver_errors() -> Iterator[None]:
    try:
        yield
    except duckdb.Error as exc:
        if disk_full(exc):
            raise DiskFullError(
                "the disk is full: a write to the store failed, and the change was rolled "
                "back. Hint: free space and run the command again"
            ) from None
        lowered = str(exc).lower()
        if any(w in lowered for w in _DAMAGE_WORDS):
            raise StoreDamagedError(
                f"the store is damaged ({scrubbed(exc)}). Hint: run `decisionframe repair "
                "<project>` to rebuild it from the source files"
            ) from None
        raise StoreError(f"the store refused a statement: {scrubbed(exc)}") from None


_ONE_CONFIGURATION = False
_LOCK_WAIT = 0.0
# A caller that would rather not wait (it has an older answer to fall back on) sets this.
lock_wait_override: ContextVar[float | None] = ContextVar("lock_wait_override", default=None)


def open_read_write_only(*, lock_wait: float = 0.0) -> None:
    """Open every store of this process read-write, even where read-only is asked for.

    DuckDB refuses a second connection to a file with another configuration than the open
    ones, so a process that reads in some threads while it writes in others (the web app:
    pages read while logins, labels and a background analysis write) must use one. The
    read-only request is then a promise of the caller, not enforced, and skips migration.

    ``lock_wait``: while another process has the file open (another worker of ``serve
    --workers N``, a command), try again for up to that many seconds before saying so.
    """
    global _ONE_CONFIGURATION, _LOCK_WAIT
    _ONE_CONFIGURATION = True
    _LOCK_WAIT = lock_wait


def _connect(path: str, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``; a lock held by another process is waited for up to
    ``_LOCK_WAIT`` seconds (short pauses, growing to 50 ms), then reported."""
    wait = lock_wait_override.get()
    deadline = time.monotonic() + (_LOCK_WAIT if wait is None else wait)
    pause = 0.002
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.Error as exc:
            error = open_error(path, exc)
            if not isinstance(error, StoreLockedError) or time.monotonic() + pause > deadline:
                raise error from None
        time.sleep(pause * (0.5 + random.random()))
        pause = min(pause * 2, 0.05)


class DuckDBStore:
    """A DuckDB database file, migrated to the current schema on open."""

    dialect = "duckdb"  # the dialect the analysis SQL is written in (see ``dialects``)

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        migrate = not read_only
        if _ONE_CONFIGURATION:
            read_only = False
        self.path = Path(path) if str(path) != ":memory:" else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = _connect(str(path), read_only=read_only)
        self._in_transaction = False
        if migrate:
            try:
                self.migrate()
            except StoreError as exc:
                self._con.close()
                raise damaged_error(path, exc) from None

    # -- protocol ---------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with _driver_errors():
            self._con.execute(sql, params)

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with _driver_errors():
            return self._con.execute(sql, params).fetchall()

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        with _driver_errors():
            return self._con.execute(sql, params).df()

    def arrow(self, sql: str) -> pa.Table:
        """A query's rows as an Arrow table: the fast route for handing many rows to another
        tool (about 4x faster than ``frame`` for ten million rows of text, but with Arrow's
        types: dates as ``datetime.date``, nullable integers as floats once in pandas)."""
        with _driver_errors():
            return self._con.sql(sql).to_arrow_table()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""
        if self._in_transaction:
            yield
            return
        with _driver_errors():
            self._con.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            with suppress(duckdb.Error):  # a failed write may have aborted it already
                self._con.execute("ROLLBACK")
            raise
        else:
            try:
                with _driver_errors():  # a full disk shows at commit: a clear error
                    self._con.execute("COMMIT")
            except StoreError:
                with suppress(duckdb.Error):
                    self._con.execute("ROLLBACK")
                raise
        finally:
            self._in_transaction = False

    def table_exists(self, name: str) -> bool:
        found = self.rows(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
            "AND table_schema = 'main'",
            [name],
        )
        return bool(found[0][0])

    def table_columns(self, name: str) -> list[tuple[str, str]]:
        return [
            (str(r[0]), str(r[1]))
            for r in self.rows(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
                [name],
            )
        ]

    def verify(self, tables: Sequence[str]) -> None:
        """Read every row of ``tables``; raise ``StoreDamagedError`` if any block is bad.

        DuckDB checks each block's checksum as it reads it, so reading every column of
        every row finds flipped bytes and a truncated file, which a row count (kept in the
        table's metadata) would not.
        """
        for name in tables:
            if not self.table_exists(name):
                raise StoreDamagedError(
                    f"the store is missing table {name} that its import log lists. Hint: run "
                    "`decisionframe repair <project>` to rebuild it from the source files"
                )
            try:
                self.rows(f"SELECT count(*), min(hash(t)) FROM {quote(name)} t")
            except StoreDamagedError:
                raise
            except StoreError as exc:
                raise StoreDamagedError(
                    f"the store's table {name} cannot be read ({exc}). Hint: run "
                    "`decisionframe repair <project>` to rebuild it from the source files"
                ) from None

    def register_frame(self, name: str, frame: pd.DataFrame) -> None:
        self._con.register(name, frame)

    def unregister(self, name: str) -> None:
        self._con.unregister(name)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- migrations -------------------------------------------------------------------------
    def applied_migrations(self) -> list[int]:
        if not self.table_exists("df_migrations"):
            return []
        return [int(r[0]) for r in self.rows("SELECT version FROM df_migrations ORDER BY 1")]

    def migrate(self, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
        """Apply every migration not yet recorded; return the versions applied now."""
        if not self.table_exists("df_migrations"):
            self.execute(
                "CREATE TABLE df_migrations (version INTEGER PRIMARY KEY, "
                "description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
        done = set(self.applied_migrations())
        applied = []
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version in done:
                continue
            with self.transaction():
                for statement in migration.statements:
                    self.execute(statement)
                self.execute(
                    "INSERT INTO df_migrations VALUES (?, ?, ?)",
                    [migration.version, migration.description, datetime.now(UTC)],
                )
            applied.append(migration.version)
        return applied

    @contextmanager
    def insertion_order(self, *, preserve: bool) -> Iterator[None]:
        """Whether statements inside keep rows in input order (DuckDB's default: they do).

        Keeping order costs time on large loads; it is needed only where a row's position
        means something (a staged row's position is its file line).
        """
        self._con.execute(f"SET preserve_insertion_order = {'true' if preserve else 'false'}")
        try:
            yield
        finally:
            self._con.execute("SET preserve_insertion_order = true")

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The raw connection, for code inside ``decisionframe.store`` only."""
        return self._con


def _clear_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Empty DuckDB's reject tables, so what they hold next is one scan's rejects only.

    (A scan without rejects leaves no row in reject_scans, so "the latest scan" would be
    an earlier file's.)
    """
    con.execute("DROP TABLE IF EXISTS reject_errors")
    con.execute("DROP TABLE IF EXISTS reject_scans")


_REJECTS_SQL = "SELECT line, column_name, error_type FROM reject_errors ORDER BY line"


def _read_csv_sql(*, typed: bool, file_column: bool = False) -> str:
    types = "types = ?, timestampformat = ?, dateformat = ?, " if typed else "all_varchar = true, "
    files = "filename = ?, " if file_column else ""
    return (
        f"read_csv(?, {types}{files}header = true, delim = ?, quote = '\"', escape = '\"', "
        "store_rejects = true, ignore_errors = true, strict_mode = true)"
    )


# The one timestamp layout the fast path lets DuckDB's reader parse (what most exports write);
# any other layout is read as text and cast in SQL, where TRY_CAST decides.
READER_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
READER_DATE_FORMAT = "%Y-%m-%d"
FILE_COLUMN = "df_source_file"  # the column naming each row's file when a source has several


_LINE = re.compile(r"CSV Error on Line: (\d+)")


def reworded(exc: duckdb.Error, *, file_format: str) -> SourceReadError:
    """A reader error as a located problem kind, without any value from the file.

    DuckDB's messages quote the offending line ("Original Line: ...") or value; none of
    that text is kept, only what kind of problem it is and the line where it knows it.
    """
    text = str(exc)
    found = _LINE.search(text)
    line = int(found.group(1)) if found else None
    if file_format == "parquet":
        return SourceReadError(
            "not-parquet",
            "the file cannot be read as Parquet (corrupt, truncated or another format)",
            "export the file again, or name a CSV file .csv",
        )
    lowered = text.lower()
    if "sniff" in lowered or "dialect" in lowered:
        return SourceReadError(
            "unreadable-csv",
            "the file's layout cannot be read as CSV (unbalanced quotes, binary content, "
            "or a delimiter other than the configured one)",
            "check that quotes are balanced and that it is a text file; set "
            "sources.<table>.delimiter if fields are separated by something other than ','",
            line,
        )
    if "maximum line size" in lowered:
        return SourceReadError(
            "line-too-long",
            "a line is longer than the reader allows (2 MB)",
            "check the file's quoting: an unclosed quote makes the rest of the file one field",
            line,
        )
    if "gzip" in lowered or "zlib" in lowered or "decompress" in lowered:
        return SourceReadError(
            "corrupt-compression",
            "the compressed file is corrupt or truncated",
            "copy or export the file again",
        )
    if "unicode" in lowered or ("utf-8" in lowered and "sniff" not in lowered):
        return SourceReadError(
            "bad-encoding",
            "the file is not valid UTF-8 text",
            "set `encoding:` for this source (Windows exports are often cp1252), or save it "
            "as UTF-8",
            line,
        )
    return SourceReadError(
        "unreadable-file",
        f"the file cannot be read ({type(exc).__name__})",
        "check that it is a well-formed CSV or Parquet file",
        line,
    )


@contextmanager
def _reading(file_format: str) -> Iterator[None]:
    try:
        yield
    except duckdb.Error as exc:
        raise reworded(exc, file_format=file_format) from None


def sample_file(
    store: DuckDBStore,
    *,
    path: Path,
    file_format: str,
    into: str,
    rows: int,
    delimiter: str = ",",
    projection: str | None = None,
) -> None:
    """Copy the first ``rows`` records of a file, all as text, into temporary table ``into``.

    Gives the header and the values a typed read can be planned from, without reading the
    whole file. ``projection`` (a select list of quoted columns and our own expressions)
    keeps only what it names: the other columns are read past, never stored.
    """
    with _reading(file_format):
        _sample(store.connection, path, file_format, into, rows, delimiter, projection or "*")


def _sample(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file_format: str,
    into: str,
    rows: int,
    delimiter: str,
    projection: str,
) -> None:
    con.execute(f'DROP TABLE IF EXISTS "{into}"')
    if file_format == "parquet":
        con.execute(
            f'CREATE TEMP TABLE "{into}" AS SELECT {projection} FROM read_parquet(?) '
            f"LIMIT {int(rows)}",
            [str(path)],
        )
        casts = ", ".join(
            f'CAST("{name}" AS VARCHAR) AS "{name}"' for name, _ in _temp_columns(con, into)
        )
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{into}" AS SELECT {casts} FROM "{into}"')
        return
    con.execute(
        f'CREATE TEMP TABLE "{into}" AS SELECT {projection} FROM {_read_csv_sql(typed=False)} '
        f"LIMIT {int(rows)}",
        [str(path), delimiter],
    )


def stage_frame(
    store: DuckDBStore,
    frame: pd.DataFrame,
    *,
    into: str,
    append: bool,
    projection: str | None = None,
) -> None:
    """Copy a frame of text (a spreadsheet's sheet) into temporary table ``into``."""
    select = projection or "*"
    con = store.connection
    table = pa.Table.from_pandas(frame.astype(object), preserve_index=False).cast(
        pa.schema([pa.field(str(c), pa.string()) for c in frame.columns])
    )
    con.register("df_frame_in", table)
    try:
        if append:
            con.execute(f'INSERT INTO "{into}" BY NAME SELECT {select} FROM df_frame_in')
        else:
            con.execute(f'DROP TABLE IF EXISTS "{into}"')
            con.execute(f'CREATE TEMP TABLE "{into}" AS SELECT {select} FROM df_frame_in')
    finally:
        con.unregister("df_frame_in")


def stage_file(
    store: DuckDBStore,
    *,
    path: Path | list[Path],
    file_format: str,
    into: str,
    delimiter: str = ",",
    types: dict[str, str] | None = None,
    timestamp_format: str = READER_TIMESTAMP_FORMAT,
    date_format: str = READER_DATE_FORMAT,
    file_column: bool = False,
    append: bool = False,
    projection: str | None = None,
) -> list[tuple[int, str | None, str]]:
    """Copy source file(s) into temporary table ``into`` (or append to it).

    By default every column is text: text staging lets validation find *every* bad cell
    with SQL (TRY_CAST) instead of failing on the first one. ``types`` (file column -> SQL
    type, every column named) instead lets DuckDB's parallel reader parse the values, which
    saves a string pass; a value it cannot parse becomes a rejected line. ``file_column``
    adds FILE_COLUMN naming each row's file (for a source of several files). Returns the
    lines the CSV reader rejected as (line, column or None, DuckDB error type); their
    content is never returned, as it may hold identifiers.
    """
    with _reading(file_format):
        return _stage(
            store.connection,
            paths=[str(p) for p in (path if isinstance(path, list) else [path])],
            file_format=file_format,
            into=into,
            delimiter=delimiter,
            types=types,
            formats=(timestamp_format, date_format),
            file_column=file_column,
            append=append,
            projection=projection,
        )


def _stage(
    con: duckdb.DuckDBPyConnection,
    *,
    paths: list[str],
    file_format: str,
    into: str,
    delimiter: str,
    types: dict[str, str] | None,
    formats: tuple[str, str],
    file_column: bool,
    append: bool,
    projection: str | None,
) -> list[tuple[int, str | None, str]]:
    columns = "*"
    if projection is not None:
        columns = f'{projection}, "{FILE_COLUMN}"' if file_column else projection
    # A Parquet file is projected as it is read into its own temporary table, below.
    outer = "*" if file_format == "parquet" else columns
    if append:
        select = f'INSERT INTO "{into}" BY NAME SELECT {outer} FROM '
    else:
        con.execute(f'DROP TABLE IF EXISTS "{into}"')
        select = f'CREATE TEMP TABLE "{into}" AS SELECT {outer} FROM '
    if file_format == "parquet":
        files = ", filename = ?" if file_column else ""
        params: list[object] = [paths, FILE_COLUMN] if file_column else [paths]
        con.execute(f'DROP TABLE IF EXISTS "{into}_parquet"')
        con.execute(
            f'CREATE TEMP TABLE "{into}_parquet" AS SELECT {columns} FROM read_parquet(?{files})',
            params,
        )
        casts = ", ".join(
            f'CAST("{name}" AS VARCHAR) AS "{name}"'
            for name, _ in _temp_columns(con, f"{into}_parquet")
        )
        con.execute(f'{select}(SELECT {casts} FROM "{into}_parquet")')
        con.execute(f'DROP TABLE "{into}_parquet"')
        return []
    _clear_rejects(con)
    params = [paths]
    if types is not None:
        params += [types, *formats]
    if file_column:
        params.append(FILE_COLUMN)
    con.execute(
        select + _read_csv_sql(typed=types is not None, file_column=file_column),
        [*params, delimiter],
    )
    return [(int(r[0]), r[1], str(r[2])) for r in con.execute(_REJECTS_SQL).fetchall()]


def _temp_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [
        (str(r[0]), str(r[1]))
        for r in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
    ]


def parquet_header(store: DuckDBStore, path: Path) -> list[str]:
    """A Parquet file's column names, from its schema (no row is read)."""
    with _reading("parquet"):
        rows = store.connection.execute(
            "SELECT name FROM parquet_schema(?) WHERE name <> 'schema' AND num_children IS NULL",
            [str(path)],
        ).fetchall()
    return [str(r[0]) for r in rows]


def staged_columns(store: DuckDBStore, table: str) -> list[str]:
    """Column names of a staged (temporary) table, in file order."""
    return [name for name, _ in _temp_columns(store.connection, table)]


def export_parquet(store: DuckDBStore, directory: Path, tables: Sequence[str]) -> dict[str, Path]:
    """Write each of ``tables`` (those that exist) to ``directory/<table>.parquet``.

    What a Spark engine reads (see ``spark_store``): the validated, pseudonymized tables of
    the store, not the organization's raw exports. The path is handed to DuckDB's writer
    as an argument, never spliced into SQL; table names are the canonical names.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in tables:
        if not store.table_exists(name):
            continue
        target = directory / f"{name}.parquet"
        with _driver_errors():
            store.connection.table(name).write_parquet(str(target))
        written[name] = target
    return written
