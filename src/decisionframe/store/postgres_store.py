"""PostgreSQL backend of the Store protocol: a team's shared database (psycopg 3).

The address comes from ``store: postgresql://host/db`` in decisionframe.yaml. The password
never does: libpq reads it from the environment (PGPASSWORD) or a pgpass file (~/.pgpass or
PGPASSFILE), so the project folder can be shared without the credential.

Consistency for readers: a store opened ``read_only`` reads in one REPEATABLE READ
transaction for its whole life, after taking ACCESS SHARE locks on the existing tables
*before* its snapshot is taken. An import that replaces rows (DELETE + COPY) therefore never
shows a reader half of it, and one that must change a table's columns (DROP + CREATE) waits
for the readers instead of showing them an empty table (PostgreSQL's DDL is not MVCC-safe
for snapshots taken earlier). One writer: imports take an advisory lock; a second import is
refused with who holds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from decisionframe.config import url_has_password
from decisionframe.errors import StoreError
from decisionframe.store.dialects import pyformat, to_dialect
from decisionframe.store.duckdb_store import StoreDamagedError, scrubbed
from decisionframe.store.migrations import MIGRATIONS, Migration

try:  # the driver is imported here only (DESIGN: the store is the one place drivers live)
    import psycopg
    from psycopg import conninfo, sql
    from psycopg.adapt import Loader
    from psycopg.types.numeric import FloatLoader
except ImportError:  # pragma: no cover - psycopg is a dependency; said clearly if removed
    psycopg = None  # type: ignore[assignment]

URL_SCHEMES = ("postgresql://", "postgres://")
# The advisory lock key of imports: (class, object) = ("df" as an int, 1).
IMPORT_LOCK = (0x6466, 1)
MIGRATE_LOCK = (0x6466, 2)
IMPORTER_ROLE = "decisionframe_importer"
ANALYST_ROLE = "decisionframe_analyst"
BOOKKEEPING = ("df_migrations", "df_imports", "df_columns", "df_runs")


def is_postgres_url(store: str) -> bool:
    return store.strip().lower().startswith(URL_SCHEMES)


def password_in_url(url: str) -> bool:
    """Whether a store address carries a password (user:pw@, an empty one, ?password=)."""
    if url_has_password(url):
        return True
    try:
        return "password" in conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return False


def safe_address(url: str) -> str:
    """The address for messages: host, port and database; never a password or options."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unreadable address)"
    host = str(parts.get("host", "localhost"))
    where = f"{host}:{parts['port']}" if "port" in parts else host
    return f"postgresql://{where}/{parts.get('dbname', '')}"


class _TextJson(Loader):
    """Hand json columns back as text, as DuckDB does (runs.py parses them itself)."""

    def load(self, data: Any) -> str:
        return bytes(data).decode("utf-8")


class StoreLockedError(StoreError):
    """Another import holds this database's import lock."""


def _require_driver() -> None:
    if psycopg is None:  # pragma: no cover
        raise StoreError(
            "a postgresql:// store needs psycopg; install it with `pip install 'psycopg[binary]'`"
        )


@contextmanager
def _driver_errors(address: str) -> Iterator[None]:
    try:
        yield
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StoreError(
            f"the database at {address} refused: {scrubbed(exc)}. Hint: this user's role may "
            f"only read (members of {ANALYST_ROLE}); imports need {IMPORTER_ROLE} "
            "(see docs/storage.md)"
        ) from None
    except psycopg.Error as exc:
        raise StoreError(f"the store refused a statement: {scrubbed(exc)}") from None


_OID_TYPES: dict[str, pa.DataType] = {
    "bool": pa.bool_(),
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "numeric": pa.float64(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "name": pa.string(),
    "json": pa.string(),
    "jsonb": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
}


class PostgresStore:
    """A PostgreSQL database, migrated to the current schema on a writable open."""

    dialect = "postgres"

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        _require_driver()
        if password_in_url(url):
            raise StoreError(
                "the store address holds a password; give it through PGPASSWORD or a "
                "pgpass file instead (see docs/storage.md)"
            )
        self.url = url
        self.address = safe_address(url)
        self.read_only = read_only
        self.path: Path | None = None
        try:
            self._con = psycopg.connect(url, autocommit=True, application_name="decisionframe")
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the store at {self.address}: {scrubbed(exc)}. Hint: is the "
                "server running, and is the password in PGPASSWORD or ~/.pgpass?"
            ) from None
        self._con.adapters.register_loader("json", _TextJson)
        self._con.adapters.register_loader("jsonb", _TextJson)
        # numeric (what PostgreSQL's sum/avg of integers and their quotients are) as float:
        # DuckDB gives doubles there, and the analyses compute with floats, not Decimals.
        self._con.adapters.register_loader("numeric", FloatLoader)
        self._in_transaction = False
        self._local: duckdb.DuckDBPyConnection | None = None
        try:
            self._con.execute("SET TimeZone = 'UTC'")
            if read_only:
                self._begin_snapshot()
            else:
                self._act_as_importer()
                self.migrate()
        except BaseException:
            self._con.close()
            raise

    # -- protocol ---------------------------------------------------------------------------
    def execute(self, sql_text: str, params: Sequence[Any] | None = None) -> None:
        self._run_all(sql_text, params)

    def _run_all(self, sql_text: str, params: Sequence[Any] | None) -> psycopg.Cursor[Any]:
        """Run a statement in DuckDB's dialect: the statement(s) ``dialects.to_dialect``
        makes of it, the parameters going to the last (the one that reads or writes rows)."""
        *before, last = self._prepare(sql_text, params)
        for statement in before:
            self._run(statement)
        return self._run(last, params)

    def _run(self, statement: Any, params: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        """Run one statement. Inside a reader's snapshot (or an open transaction) it runs
        in a savepoint, so a refused statement leaves the snapshot usable, as a failed
        statement leaves a DuckDB connection usable."""
        with _driver_errors(self.address):
            if self._con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                return self._con.execute(statement, params)
            with self._con.transaction():
                return self._con.execute(statement, params)

    def frame(self, sql_text: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Rows as a DataFrame with exactly DuckDB's pandas types (dates, nullable ints and
        booleans), by handing the Arrow table to DuckDB's own conversion: an analysis
        sees the same frame whichever store it reads."""
        table = self.arrow(sql_text, params)
        if self._local is None:
            self._local = duckdb.connect()
        frame: pd.DataFrame = self._local.from_arrow(table).df()
        return frame

    def arrow(self, sql_text: str, params: Sequence[Any] | None = None) -> pa.Table:
        """A query's rows as an Arrow table typed from PostgreSQL's column types."""
        cursor = self._run_all(sql_text, params)
        if cursor.description is None:
            return pa.table({})
        names = [d.name for d in cursor.description]
        types = [self._arrow_type(d.type_code) for d in cursor.description]
        with _driver_errors(self.address):
            data = cursor.fetchall()
        columns = [pa.array([row[i] for row in data], type=types[i]) for i in range(len(names))]
        return pa.table(dict(zip(_unique(names), columns, strict=True)))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""
        if self._in_transaction:
            yield
            return
        self._in_transaction = True
        try:
            with _driver_errors(self.address), self._con.transaction():
                yield
        finally:
            self._in_transaction = False

    def verify(self, tables: Sequence[str]) -> None:
        """Raise ``StoreDamagedError`` if a table the import log lists is gone.

        Unlike a DuckDB file, the server keeps its own pages' integrity (data checksums,
        WAL); what a user can still break is a dropped table, which would otherwise pass
        as "unchanged since the last import".
        """
        for name in tables:
            if not self.table_exists(name):
                raise StoreDamagedError(
                    f"the database is missing table {name} that its import log lists. Hint: "
                    "restore it from a backup with `decisionframe restore` (docs/storage.md)"
                )

    def table_exists(self, name: str) -> bool:
        found = self.rows(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = %s "
            "AND table_schema = current_schema()",
            [name],
            raw=True,
        )
        return bool(found[0][0])

    def table_columns(self, name: str) -> list[tuple[str, str]]:
        return [
            (str(r[0]), _duckdb_type_name(str(r[1])))
            for r in self.rows(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = %s AND table_schema = current_schema() "
                "ORDER BY ordinal_position",
                [name],
                raw=True,
            )
        ]

    def register_frame(self, name: str, frame: pd.DataFrame) -> None:
        """A frame as a temporary table (DuckDB registers it as a view of the frame)."""
        columns = [(str(c), _pg_type_of(frame[c])) for c in frame.columns]
        self.unregister(name)
        self._run(
            sql.SQL("CREATE TEMP TABLE {} ({})").format(
                sql.Identifier(name),
                sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns
                ),
            )
        )
        with _driver_errors(self.address):
            copy_sql = sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(name))
            with self._con.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for row in frame.itertuples(index=False, name=None):
                    copy.write_row([None if _missing(v) else v for v in row])

    def unregister(self, name: str) -> None:
        self._run(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(sql.Identifier(name)))

    def close(self) -> None:
        self._con.close()
        if self._local is not None:
            self._local.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- statements -------------------------------------------------------------------------
    def execute_composed(self, statement: sql.Composed) -> None:
        """A statement composed with ``psycopg.sql`` (identifiers quoted by the driver)."""
        self._run(statement)

    @property
    def connection(self) -> psycopg.Connection[Any]:
        """The raw connection, for code inside ``decisionframe.store`` only."""
        return self._con

    def rows_raw(self, sql_text: str, params: Sequence[Any] | None = None) -> list[Any]:
        return self.rows(sql_text, params, raw=True)

    def _prepare(self, sql_text: str, params: Sequence[Any] | None) -> tuple[str, ...]:
        """The one translation path (``dialects.to_dialect``), shared with Spark."""
        return to_dialect(sql_text, "postgres", with_params=params is not None)

    def _arrow_type(self, oid: int) -> pa.DataType:
        info = self._con.adapters.types.get(oid)
        return _OID_TYPES.get(info.name if info else "", pa.string())

    # -- snapshot for readers ---------------------------------------------------------------
    def _begin_snapshot(self) -> None:
        """Start the one REPEATABLE READ transaction this reader sees the data through.

        The tables are locked (ACCESS SHARE, which conflicts only with DROP/ALTER) before
        the first query freezes the snapshot, so no table is replaced under it.
        """
        names = [
            str(r[0])
            for r in self._con.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND has_table_privilege(quote_ident(schemaname) || '.' || "
                "quote_ident(tablename), 'SELECT')"
            ).fetchall()
        ]
        self._con.autocommit = False
        self._con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        try:
            if names:
                self._con.execute(
                    sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(
                        sql.SQL(", ").join(sql.Identifier(n) for n in sorted(names))
                    )
                )
        except psycopg.errors.UndefinedTable:
            # A table was dropped between the listing and the lock (an import replaced it):
            # start again from a fresh listing.
            self._con.rollback()
            self._con.autocommit = True
            self._begin_snapshot()
        self._in_transaction = True

    # -- writers ----------------------------------------------------------------------------
    def _act_as_importer(self) -> None:
        """Create tables as the importer group role when this user belongs to it (and the
        roles are set up on this database), so any importer can replace them later and
        analysts' default SELECT grant applies."""
        member = self._con.execute(
            "SELECT pg_has_role(current_user, oid, 'MEMBER') AND "
            "has_schema_privilege(oid, current_schema(), 'CREATE') "
            "FROM pg_roles WHERE rolname = %s",
            [IMPORTER_ROLE],
        ).fetchone()
        if member and member[0]:
            self._con.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(IMPORTER_ROLE)))

    def check_can_import(self) -> None:
        """Refuse at once, before any file is read, a user who may not write the tables."""
        allowed = self.rows_raw("SELECT has_schema_privilege(current_schema(), 'CREATE')")
        if not (allowed and allowed[0][0]):
            raise StoreError(
                f"this database user may not import into {self.address} (no CREATE on its "
                f"schema). Hint: an importer must be a member of {IMPORTER_ROLE}; "
                f"{ANALYST_ROLE} members only read (see docs/storage.md)"
            )

    @contextmanager
    def import_lock(self) -> Iterator[None]:
        """Hold the database's one import lock; refuse at once if another import has it."""
        got = self._con.execute("SELECT pg_try_advisory_lock(%s, %s)", IMPORT_LOCK).fetchone()
        if not (got and got[0]):
            raise StoreLockedError(self._holder_message())
        try:
            yield
        finally:
            self._con.execute("SELECT pg_advisory_unlock(%s, %s)", IMPORT_LOCK)

    def _holder_message(self) -> str:
        holder = self._con.execute(
            "SELECT a.usename, a.backend_start, a.pid FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            "AND l.granted AND l.classid = %s AND l.objid = %s AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())",
            IMPORT_LOCK,
        ).fetchone()
        who = ""
        if holder is not None:
            user, since, pid = holder
            when = f", connected since {since:%Y-%m-%d %H:%M} UTC" if since else ""
            who = f" (user {user or 'unknown'}, server process {pid}{when})"
        return (
            f"another import into {self.address} is running{who}; only one import at a "
            "time may write. Readers are not affected. Hint: wait for it to finish, then "
            "run `decisionframe import` again."
        )

    def drop_table(self, name: str) -> None:
        """Drop a canonical table and its column catalogue (its source left the config)."""
        self._run(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        self._run(sql.SQL("DELETE FROM df_columns WHERE table_name = %s"), [name])

    def replace_table(self, name: str, columns: Sequence[tuple[str, str]], csv_file: Path) -> None:
        """Give table ``name`` exactly the rows of ``csv_file`` (COPY), in the open transaction.

        Same columns as before: DELETE and COPY, which readers' snapshots see atomically.
        Other columns: DROP and CREATE (waits for readers holding the table).
        """
        table = sql.Identifier(name)
        wanted = [(c, t.lower()) for c, t in columns]
        current = [(c, t.lower()) for c, t in self.rows_raw(_COLUMN_TYPES_SQL, [name])]
        with _driver_errors(self.address):
            if current == wanted:
                self._con.execute(sql.SQL("DELETE FROM {}").format(table))
            else:
                self._con.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
                self._con.execute(
                    sql.SQL("CREATE TABLE {} ({})").format(
                        table,
                        sql.SQL(", ").join(
                            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_SAFE_TYPE[t]))
                            for c, t in wanted
                        ),
                    )
                )
            copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
                table, sql.SQL(", ").join(sql.Identifier(c) for c, _ in wanted)
            )
            with (
                self._con.cursor() as cursor,
                cursor.copy(copy_sql) as copy,
                csv_file.open("rb") as handle,
            ):
                while block := handle.read(1 << 20):
                    copy.write(block)

    # -- migrations -------------------------------------------------------------------------
    def applied_migrations(self) -> list[int]:
        if not self.table_exists("df_migrations"):
            return []
        return [int(r[0]) for r in self.rows_raw("SELECT version FROM df_migrations ORDER BY 1")]

    def migrate(self, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
        """Apply every migration not yet recorded; return the versions applied now.

        Serialized by a transaction-level advisory lock, so two first opens do not race.
        """
        applied: list[int] = []
        pending = {m.version for m in migrations} - set(self.applied_migrations())
        if not pending:  # nothing to do: no DDL, so a role without CREATE may open it
            return applied
        with self.transaction():
            self._con.execute("SELECT pg_advisory_xact_lock(%s, %s)", MIGRATE_LOCK)
            self._con.execute(
                "CREATE TABLE IF NOT EXISTS df_migrations (version INTEGER PRIMARY KEY, "
                "description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
            done = set(self.applied_migrations())
            for migration in sorted(migrations, key=lambda m: m.version):
                if migration.version in done:
                    continue
                for statement in migration.statements:
                    self._con.execute(statement)
                self._con.execute(
                    "INSERT INTO df_migrations VALUES (%s, %s, %s)",
                    [migration.version, migration.description, datetime.now(UTC)],
                )
                applied.append(migration.version)
        return applied

    def rows(
        self, sql_text: str, params: Sequence[Any] | None = None, *, raw: bool = False
    ) -> list[tuple[Any, ...]]:
        """Rows of a statement in DuckDB's dialect (``?`` params), or, ``raw``, in
        PostgreSQL's own (``%s`` params, not translated)."""
        cursor = self._run(sql_text, params) if raw else self._run_all(sql_text, params)
        with _driver_errors(self.address):
            return cursor.fetchall() if cursor.description else []


_COLUMN_TYPES_SQL = (
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_name = %s AND table_schema = current_schema() ORDER BY ordinal_position"
)

# DuckDB column types of loaded tables -> PostgreSQL types (information_schema spelling).
PG_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "JSON": "json",
}
# Only these type names are ever written into DDL (never a name taken from data).
_SAFE_TYPE = {t: t for t in PG_TYPES.values()}
_BACK = {v: k for k, v in PG_TYPES.items()} | {"character varying": "VARCHAR"}


def pg_type(duckdb_type: str) -> str:
    try:
        return PG_TYPES[duckdb_type.upper()]
    except KeyError:
        raise StoreError(
            f"a column of type {duckdb_type} cannot be stored in PostgreSQL yet"
        ) from None


def _duckdb_type_name(pg: str) -> str:
    """information_schema's type name as DuckDB spells it (what callers compare against)."""
    return _BACK.get(pg, pg.upper())


def _pg_type_of(series: pd.Series) -> str:
    kind = series.dtype.kind
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "bigint"
    if kind == "f":
        return "double precision"
    if kind == "M":
        return "timestamp"
    return "text"


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}_{count}")
    return out


__all__ = [
    "ANALYST_ROLE",
    "IMPORTER_ROLE",
    "PostgresStore",
    "StoreLockedError",
    "is_postgres_url",
    "password_in_url",
    "pg_type",
    "pyformat",
    "safe_address",
]
