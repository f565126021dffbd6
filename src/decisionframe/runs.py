"""Runs: analysis results saved in the store with their provenance."""

from __future__ import annotations

import hashlib
import json
import platform
import uuid
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from decisionframe.store import Store

_PACKAGES = (
    "decisionframe",
    "duckdb",
    "pandas",
    "numpy",
    "scikit-learn",
    "doubleml",
    "scipy",
    "networkx",
    "statsmodels",
)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance(store: Store, *, theory_path: Path, seed: int) -> dict[str, Any]:
    """Theory hash, the import batch (files and hashes), package versions and the seed.

    The theory hash is None where there is no theory yet: `demand` needs none.
    """
    imports = []
    if store.table_exists("df_imports"):
        imports = [
            {"table": t, "source_path": p, "sha256": s, "rows": int(r), "batch_id": b}
            for t, p, s, r, b in store.rows(
                "SELECT table_name, source_path, sha256, rows, batch_id FROM df_imports "
                "WHERE batch_id = (SELECT batch_id FROM df_imports ORDER BY imported_at DESC "
                "LIMIT 1) ORDER BY table_name"
            )
        ]
    return {
        "theory_sha256": (
            hashlib.sha256(theory_path.read_bytes()).hexdigest() if theory_path.exists() else None
        ),
        "imports": imports,
        "versions": package_versions(),
        "seed": seed,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def save_run(store: Store, *, kind: str, result: dict[str, Any], prov: dict[str, Any]) -> str:
    run_id = uuid.uuid4().hex
    store.execute(
        "INSERT INTO df_runs VALUES (?, ?, ?, ?, ?)",
        [
            run_id,
            kind,
            datetime.now(UTC),
            json.dumps(prov, default=str),
            json.dumps(result, default=str),
        ],
    )
    return run_id


def latest_run(store: Store, kind: str) -> dict[str, Any] | None:
    """The newest saved result of ``kind`` (``analyze``, ``decide``, ``demand``), if any."""
    if not store.table_exists("df_runs"):
        return None
    rows = store.rows(
        "SELECT run_id, provenance, result FROM df_runs WHERE kind = ? "
        "ORDER BY created_at DESC LIMIT 1",
        [kind],
    )
    if not rows:
        return None
    run_id, prov, result = rows[0]
    return {"run_id": run_id, "provenance": json.loads(prov), "result": json.loads(result)}
