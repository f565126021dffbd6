"""Keeping work when the store cannot take it: pending runs, and repairing a damaged store.

Two failures used to lose work. A store locked by another process at save time threw away
a finished analysis (minutes of estimation); and a corrupt or half-truncated store could
not be rebuilt, because re-import compared hashes, said "unchanged" and stopped.

- ``keep_pending`` writes a finished run to ``.decisionframe/pending/`` (private, like the
  store) when the store is locked; ``flush_pending`` saves it into the store the next time
  any command opens the store for writing.
- ``repair_store`` checks every table by reading every block; a damaged store is moved
  aside (never deleted), rebuilt from the source files, and every saved run that can still
  be read from the damaged copy is carried over.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from decisionframe.errors import ProjectError, StoreError
from decisionframe.publish import mark_private
from decisionframe.results import Result
from decisionframe.store import DuckDBStore

if TYPE_CHECKING:
    from decisionframe.project import Project
    from decisionframe.runs import Provenance

PENDING_DIR = "pending"
DAMAGED_DIR = "damaged"


def keep_pending(state_dir: Path, *, result: Result, prov: Provenance) -> Path:
    """Write a finished run to the private pending folder (readable by the owner only)."""
    folder = state_dir / PENDING_DIR
    folder.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex
    payload = {
        "run_id": run_id,
        "kind": result.kind,
        "created_at": datetime.now(UTC).isoformat(),
        "provenance": prov.to_dict(),
        "result": mark_private(result.to_dict()),
    }
    path = folder / f"{run_id}.json"
    temporary = path.with_suffix(".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)
    temporary.replace(path)  # atomic: a half-written pending run is never read
    return path


def pending_runs(state_dir: Path) -> list[Path]:
    folder = state_dir / PENDING_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def flush_pending(store: DuckDBStore, state_dir: Path) -> int:
    """Save every pending run into the store (one transaction each); return how many."""
    saved = 0
    for path in pending_runs(state_dir):
        try:
            payload = json.loads(path.read_text("utf-8"))
            row = [
                str(payload["run_id"]),
                str(payload["kind"]),
                datetime.fromisoformat(payload["created_at"]),
                json.dumps(payload["provenance"]),
                json.dumps(payload["result"]),
            ]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # left in place for a person to look at; never half-saved
        with store.transaction():
            store.execute("DELETE FROM df_runs WHERE run_id = ?", [row[0]])
            store.execute("INSERT INTO df_runs VALUES (?, ?, ?, ?, ?)", row)
        path.unlink()
        saved += 1
    return saved


@dataclass(frozen=True)
class RepairResult(Result):
    """What ``repair`` did: whether the store was damaged, where the damaged file went,
    how many saved runs were carried over and how many rows were rebuilt from the sources."""

    kind: ClassVar[str] = "repair"
    damaged: bool
    problem: str = ""
    moved_to: str = ""
    runs_recovered: int = 0
    runs_unreadable: bool = False
    rows_imported: int = 0
    pending_saved: int = 0  # runs kept pending while the store was locked, now saved

    def summary(self) -> str:
        if not self.damaged:
            saved = (
                f" {self.pending_saved} pending run(s) were saved into it."
                if self.pending_saved
                else " Nothing was changed."
            )
            return "The store is sound: every table reads back." + saved
        lost = " Saved runs could not be read; run the analyses again." * self.runs_unreadable
        return (
            f"The store was damaged ({self.problem}); it was moved to {self.moved_to} and "
            f"rebuilt from the source files ({self.rows_imported:,} rows); "
            f"{self.runs_recovered} saved run(s) carried over.{lost}"
        )


def _check(store_path: Path) -> str | None:
    """Why the store is damaged, or None when every table reads back."""
    try:
        with DuckDBStore(store_path, read_only=True) as store:
            tables = ["df_imports", "df_runs", "df_columns"]
            if store.table_exists("df_imports"):
                tables += [
                    str(r[0]) for r in store.rows("SELECT DISTINCT table_name FROM df_imports")
                ]
            store.verify(tables)
    except StoreError as exc:
        return str(exc).split(". Hint:")[0]
    return None


def _salvage_runs(damaged: Path) -> tuple[list[tuple[object, ...]], bool]:
    """The saved runs still readable in the damaged copy, and whether some were lost."""
    try:
        with DuckDBStore(damaged, read_only=True) as store:
            if not store.table_exists("df_runs"):
                return [], False
            ids = [str(r[0]) for r in store.rows("SELECT run_id FROM df_runs")]
            runs, lost = [], False
            for run_id in ids:  # one by one: a bad block loses only the runs in it
                try:
                    runs += store.rows("SELECT * FROM df_runs WHERE run_id = ?", [run_id])
                except StoreError:
                    lost = True
            return runs, lost
    except StoreError:
        return [], True


def repair_store(project: Project) -> RepairResult:
    """Check the store; if damaged, set it aside, rebuild it from the sources, keep runs."""
    if project.config.uses_database:
        raise ProjectError(
            "`repair` rebuilds the DuckDB file store; a PostgreSQL store is recovered with "
            "`decisionframe restore` from a backup (see docs/storage.md)"
        )
    store_path = project.store_path
    if not store_path.exists():
        result = project.import_data()
        return RepairResult(damaged=False, rows_imported=sum(t.rows for t in result.tables))
    problem = _check(store_path)
    if problem is None:
        with DuckDBStore(store_path) as store:
            saved = flush_pending(store, project.state_dir)
        return RepairResult(damaged=False, pending_saved=saved)
    folder = project.state_dir / DAMAGED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    moved = folder / f"{store_path.stem}-{stamp}{store_path.suffix}"
    shutil.move(store_path, moved)
    wal = store_path.with_name(store_path.name + ".wal")
    if wal.exists():
        shutil.move(wal, moved.with_name(moved.name + ".wal"))
    runs, unreadable = _salvage_runs(moved)
    imported = project.import_data()
    with project.open_store() as rebuilt, rebuilt.transaction():
        for row in runs:
            rebuilt.execute("INSERT INTO df_runs VALUES (?, ?, ?, ?, ?)", list(row))
    return RepairResult(
        damaged=True,
        problem=problem,
        moved_to=str(moved.relative_to(project.directory))
        if moved.is_relative_to(project.directory)
        else str(moved),
        runs_recovered=len(runs),
        runs_unreadable=unreadable,
        rows_imported=sum(t.rows for t in imported.tables),
    )


__all__ = ["RepairResult", "flush_pending", "keep_pending", "pending_runs", "repair_store"]
