"""Import: stage, validate, pseudonymize and load every source in one transaction."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from decisionframe.config import ProjectConfig
from decisionframe.errors import ImportValidationError, Problem
from decisionframe.ingest.pseudonymize import PseudonymKey
from decisionframe.ingest.stage import StagedSource, file_sha256, stage_source
from decisionframe.ingest.validate import validate_staged
from decisionframe.store import LOAD_ORDER, DuckDBStore, quote
from decisionframe.store.schema import SQL_TYPES

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TableImport:
    table: str
    source_path: str
    sha256: str
    rows: int
    columns: dict[str, str] = field(default_factory=dict)  # column -> logical type


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the batch, and per table the file, its hash and row count."""

    batch_id: str
    unchanged: bool
    tables: tuple[TableImport, ...]

    def summary(self) -> str:
        if self.unchanged:
            return "Sources unchanged since the last import; the store was not touched."
        rows = ", ".join(f"{t.table} {t.rows:,}" for t in self.tables)
        return f"Imported batch {self.batch_id[:8]}: {rows}."

    def to_dict(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "unchanged": self.unchanged,
            "tables": [asdict(t) for t in self.tables],
        }


def _fingerprint(config: ProjectConfig, hashes: dict[str, str], key: PseudonymKey) -> str:
    payload = {
        "sources": {t: [sha, config.sources[t].model_dump()] for t, sha in hashes.items()},  # type: ignore[index]
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
        source = f"s.{quote(staged.columns[name])}"
        if name in config.privacy.pseudonymize:
            alias = f"p{len(joins)}"
            joins.append(
                f"LEFT JOIN {quote(_pseudonym_table(name))} {alias} "
                f"ON {staged.text_sql(name, 's.')} = {alias}.raw"
            )
            expression = f"{alias}.pseudonym"
        elif name == "channel":
            expression = f"lower(trim({source}))"
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
) -> TableImport:
    table = quote(staged.table)
    store.execute(f"DROP TABLE IF EXISTS {table}")
    store.execute(f"CREATE TABLE {table} AS {_select_sql(staged, config)}")
    store.execute("DELETE FROM df_columns WHERE table_name = ?", [staged.table])
    columns: dict[str, str] = {c.name: c.type for c in staged.spec.columns}
    columns.update({n: staged.type_of(n) for n in staged.columns if n not in columns})
    for name, type_ in columns.items():
        role = "canonical" if staged.spec.column(name) else "attribute"
        source_name = staged.source_names.get(name, "")
        pseudonymized = name in config.privacy.pseudonymize and name in staged.columns
        store.execute(
            "INSERT INTO df_columns VALUES (?, ?, ?, ?, ?, ?)",
            [staged.table, name, type_, role, source_name, pseudonymized],
        )
    store.execute(
        "INSERT INTO df_imports VALUES (?, ?, ?, ?, ?, ?, ?)",
        [batch_id, staged.table, staged.display_path, staged.sha256, staged.rows, fingerprint, now],
    )
    return TableImport(staged.table, staged.display_path, staged.sha256, staged.rows, columns)


def import_sources(
    store: DuckDBStore,
    *,
    project_dir: Path,
    config: ProjectConfig,
    key: PseudonymKey,
    progress: Progress | None = None,
    after_table: Callable[[str], None] | None = None,
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
    hashes = _source_hashes(config, tables, project_dir)
    fingerprint = _fingerprint(config, hashes, key) if len(hashes) == len(tables) else None
    if fingerprint is not None and fingerprint == _last_fingerprint(store):
        report("unchanged", total, total)
        return ImportResult(batch_id="", unchanged=True, tables=())
    # Fast staging tells whether the files are clean; only if they are not are they staged
    # again exactly, slower, to locate every problem by line.
    staged, problems = _stage_and_validate(
        store, config, tables, hashes, project_dir, report, exact=False
    )
    if problems:
        _drop_staging(store, staged)
        staged, problems = _stage_and_validate(
            store, config, tables, hashes, project_dir, report, exact=True
        )
    if problems:
        _drop_staging(store, staged)
        raise ImportValidationError("import refused; nothing was loaded", problems)
    assert fingerprint is not None  # every file exists, or staging would have said so
    batch_id, now = uuid.uuid4().hex, datetime.now(UTC)
    loaded = []
    try:
        # Row order in the loaded tables carries no meaning, and keeping it is slow.
        with store.insertion_order(preserve=False):
            _build_pseudonym_maps(store, staged, config, key)
            with store.transaction():
                for index, table in enumerate(tables):
                    report(f"loading {table}", len(tables) + 1 + index, total)
                    loaded.append(
                        _load_table(store, staged[table], config, batch_id, fingerprint, now)
                    )
                    if after_table is not None:
                        after_table(table)
    finally:
        _drop_staging(store, staged)
        for name in config.privacy.pseudonymize:
            store.execute(f"DROP TABLE IF EXISTS {quote(_pseudonym_table(name))}")
    report("done", total, total)
    return ImportResult(batch_id=batch_id, unchanged=False, tables=tuple(loaded))


def _source_hashes(
    config: ProjectConfig, tables: Sequence[str], project_dir: Path
) -> dict[str, str]:
    """SHA-256 of every source file that exists (a missing one is reported by staging)."""
    paths = {t: project_dir / config.sources[t].path for t in tables}  # type: ignore[index]
    return {t: file_sha256(path) for t, path in paths.items() if path.exists()}


def _stage_and_validate(
    store: DuckDBStore,
    config: ProjectConfig,
    tables: Sequence[str],
    hashes: dict[str, str],
    project_dir: Path,
    report: Progress,
    *,
    exact: bool,
) -> tuple[dict[str, StagedSource], list[Problem]]:
    total = 2 * len(tables) + 1
    staged: dict[str, StagedSource] = {}
    problems: list[Problem] = []
    for done, table in enumerate(tables):
        report(f"reading {table}" if not exact else f"locating problems in {table}", done, total)
        source, found = stage_source(
            store,
            table=table,
            source=config.sources[table],  # type: ignore[index]
            project_dir=project_dir,
            sha256=hashes.get(table, ""),
            exact=exact,
        )
        problems += found
        if source is not None:
            staged[table] = source
    report("validating", len(tables), total)
    if not problems:
        problems = validate_staged(store, staged, channels=config.channels)
    return staged, problems


def _drop_staging(store: DuckDBStore, staged: dict[str, StagedSource]) -> None:
    for source in staged.values():
        store.execute(f"DROP TABLE IF EXISTS {quote(source.temp_table)}")


__all__ = ["ImportResult", "TableImport", "import_sources"]
