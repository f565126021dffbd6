"""Runs: typed results saved in the store with their provenance, and loaded back typed.

A run records what it was computed from (the theory's hash, the import batch and each
table's file hash, the runs it read, package versions, the seed). ``staleness`` compares
that with the project as it is now, so nothing combines an answer computed from an older
theory or older data without saying so (``StaleResultError``; ``allow_stale`` overrides
and the provenance records it).
"""

from __future__ import annotations

import hashlib
import json
import platform
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import ClassVar, TypeVar

from decisionframe.errors import ResultFormatError, StaleResultError
from decisionframe.publish import mark_private
from decisionframe.results import Result
from decisionframe.store import Store

R = TypeVar("R", bound=Result)

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


def result_types() -> dict[str, type[Result]]:
    """The result type of each saved run kind. A new saved analysis adds one line here."""
    from decisionframe.decide import DecisionResult
    from decisionframe.demand import DemandResult
    from decisionframe.effects import EvidenceResult
    from decisionframe.initiatives import InitiativesResult
    from decisionframe.voice import VoiceResult
    from decisionframe.voice.profiles import ProfilesResult

    types: list[type[Result]] = [
        EvidenceResult,
        DecisionResult,
        DemandResult,
        InitiativesResult,
        VoiceResult,
        ProfilesResult,
    ]
    return {t.kind: t for t in types}


# Which inputs each kind's answer depends on: `demand` reads no theory, so editing the
# theory does not make it stale. Kinds not listed depend on both.
_THEORY_FREE = frozenset({"demand", "initiatives", "voice", "profiles"})


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass(frozen=True)
class ImportedFile:
    """One table of the import batch a run used."""

    table: str
    source_path: str
    sha256: str
    rows: int
    batch_id: str


@dataclass(frozen=True)
class Provenance(Result):
    """What a run was computed from.

    ``inputs`` maps the kind of each saved run this one read to its run id (``decide``
    reads ``analyze``); ``stale`` lists what was out of date when ``allow_stale`` let the
    run go ahead anyway (empty when everything was current).
    """

    kind: ClassVar[str] = "provenance"
    theory_sha256: str | None
    imports: tuple[ImportedFile, ...]
    versions: dict[str, str]
    seed: int
    created_at: str
    inputs: dict[str, str] = field(default_factory=dict)
    stale: tuple[str, ...] = ()
    # What the theory says that an analysis reads, part by part (``theory_parts``): a
    # comment, the layout of the file or a node with no arrow yet changes the file's hash
    # but none of these, so it does not make the run stale. None in runs saved before.
    theory_parts: dict[str, str] | None = None

    def summary(self) -> str:
        theory = self.theory_sha256[:12] if self.theory_sha256 else "none"
        return f"theory {theory}, {len(self.imports)} imported tables, seed {self.seed}"


@dataclass(frozen=True)
class SavedRun:
    """A run as saved: its id, kind, time, provenance and the typed result."""

    run_id: str
    kind: str
    created_at: datetime
    provenance: Provenance
    result: Result


def theory_hash(theory_path: Path) -> str | None:
    return hashlib.sha256(theory_path.read_bytes()).hexdigest() if theory_path.exists() else None


# The parts of a theory a run can depend on, as the staleness note names them.
THEORY_PARTS = {
    "nodes": "its nodes",
    "edges": "its arrows and assumptions",
    "decision": "the decision",
}
# Words for people that no analysis reads (the report and the pages read them as they are
# now): editing them makes no run stale.
_PROSE = ("question", "counterfactual", "description")


def theory_parts(theory_path: Path) -> dict[str, str] | None:
    """A hash of each part of the theory an analysis reads (``THEORY_PARTS``), from the
    parsed theory, so comments, formatting and key order count for nothing.

    The question, the counterfactuals and the descriptions are left out (``_PROSE``). A
    node that no arrow touches is left out: it adds no path, so no adjustment set,
    identification or estimate can change; unless the analysis reads it all the same (a
    measured context node is a candidate for the estimates by group, a node measured by a
    theme is checked against voice's themes, a lever or objective of the decision). None
    when there is no theory or it does not parse (then the file's hash decides)."""
    sha = theory_hash(theory_path)
    if sha is None:
        return None
    if sha not in _PARTS_SEEN:  # parsing takes ~10 ms; a page asks once per kind of run
        if len(_PARTS_SEEN) > 64:
            _PARTS_SEEN.clear()
        parts = _theory_parts(theory_path)
        if theory_hash(theory_path) != sha:  # written meanwhile: not kept under the old hash
            return parts
        _PARTS_SEEN[sha] = parts
    found = _PARTS_SEEN[sha]
    return dict(found) if found is not None else None


_PARTS_SEEN: dict[str, dict[str, str] | None] = {}  # by the file's hash: same text, same parts


def _theory_parts(theory_path: Path) -> dict[str, str] | None:
    from decisionframe.errors import DecisionframeError
    from decisionframe.theory import load_theory

    try:
        theory = load_theory(theory_path)
    except (DecisionframeError, ValueError, OSError):
        return None
    data = theory.model_dump(mode="json", by_alias=True)
    linked = {end for e in theory.edges for end in (e.source, e.target)}
    if theory.decision is not None:
        linked.add(theory.decision.objective)
        linked.update(k for option in theory.decision.options for k in option.set)
    nodes = [
        {k: v for k, v in n.items() if k not in _PROSE}
        for node, n in zip(theory.nodes, data["nodes"], strict=True)
        if node.id in linked
        or (node.measure is not None and (node.kind == "context" or node.measure.theme))
    ]
    parts = {"nodes": nodes, "edges": data["edges"], "decision": data.get("decision")}
    return {
        part: hashlib.sha256(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()
        for part, value in parts.items()
    }


def current_imports(store: Store) -> tuple[ImportedFile, ...]:
    """The tables of the newest import batch (empty before the first import)."""
    if not store.table_exists("df_imports"):
        return ()
    return tuple(
        ImportedFile(str(t), str(p), str(s), int(r), str(b))
        for t, p, s, r, b in store.rows(
            "SELECT table_name, source_path, sha256, rows, batch_id FROM df_imports "
            "WHERE batch_id = (SELECT batch_id FROM df_imports ORDER BY imported_at DESC "
            "LIMIT 1) ORDER BY table_name"
        )
    )


def provenance(
    store: Store,
    *,
    theory_path: Path,
    seed: int,
    inputs: dict[str, str] | None = None,
    stale: tuple[str, ...] = (),
) -> Provenance:
    """Theory hash, the import batch (files and hashes), package versions and the seed.

    The theory hash is None where there is no theory yet: `demand` needs none.
    """
    return Provenance(
        theory_sha256=theory_hash(theory_path),
        imports=current_imports(store),
        versions=package_versions(),
        seed=seed,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        inputs=dict(inputs or {}),
        stale=stale,
        theory_parts=theory_parts(theory_path),
    )


def staleness(
    run: SavedRun,
    *,
    theory_sha256: str | None,
    imports: tuple[ImportedFile, ...],
    parts: dict[str, str] | None = None,
) -> list[str]:
    """What changed since ``run`` was computed (empty when it is current).

    The theory counts as changed when a part the analysis reads did (``theory_parts``;
    ``parts`` is the theory's now), and the note names the parts; a run saved before the
    parts were kept, or a theory that does not parse, falls back to the file's hash.
    Names tables and parts of the theory, never a value from them.
    """
    changes = []
    then_parts = run.provenance.theory_parts
    if run.kind in _THEORY_FREE or run.provenance.theory_sha256 == theory_sha256:
        pass
    elif then_parts is not None and parts is not None:
        moved = [
            words for part, words in THEORY_PARTS.items() if then_parts.get(part) != parts[part]
        ]
        if moved:
            changes.append(f"theory.yaml changed since the last `{run.kind}` ({', '.join(moved)})")
    else:
        changes.append(f"theory.yaml changed since the last `{run.kind}`")
    then = {f.table: f.sha256 for f in run.provenance.imports}
    now = {f.table: f.sha256 for f in imports}
    tables = then.keys() | now.keys()
    if run.kind in _READS:
        tables &= _READS[run.kind]
    changed = sorted(t for t in tables if then.get(t) != now.get(t))
    if changed:
        changes.append(f"the data changed since the last `{run.kind}` ({', '.join(changed)})")
    return changes


# The imported tables a kind of run reads, where that is known to be fewer than all of them:
# a change elsewhere does not make it stale (new prices in costs.csv do not call for a new
# `analyze`, only a new `decide`). A kind not listed is stale after any data change. analyze
# builds its frames from these four tables only (decisionframe.frames); keep the two in step.
_READS: dict[str, frozenset[str]] = {
    "analyze": frozenset({"clients", "touchpoints", "outcomes", "feedback"}),
}

# The saved runs each kind reads (a new kind that reads another's result adds it here).
_UPSTREAM = {"decide": ("analyze",)}


def upstream(kind: str) -> tuple[str, ...]:
    """The kinds of saved run that a ``kind`` run reads, in the order they are made."""
    return _UPSTREAM.get(kind, ())


def stale_error(
    kind: str, changes: list[str], rerun: list[str], *, using: str = "use it"
) -> StaleResultError:
    steps = " then ".join(f"`decisionframe {k}`" for k in rerun)
    return StaleResultError(
        f"the saved `{kind}` result is out of date, so it is not safe to {using}: "
        f"{'; '.join(changes)}. Hint: rerun {steps} (or pass --allow-stale to {using} "
        "anyway; the provenance will say so).",
        changes=changes,
        rerun=rerun,
    )


def result_of(run: SavedRun, cls: type[R]) -> R:
    """The run's result as ``cls``; an error if the run holds another kind."""
    if not isinstance(run.result, cls):
        raise ResultFormatError(f"run {run.run_id[:12]} holds a '{run.kind}' result")
    return run.result


def latest_run_id(store: Store, kind: str) -> str | None:
    if not store.table_exists("df_runs"):
        return None
    rows = store.rows(
        "SELECT run_id FROM df_runs WHERE kind = ? ORDER BY created_at DESC LIMIT 1", [kind]
    )
    return str(rows[0][0]) if rows else None


def save_run(store: Store, *, result: Result, prov: Provenance) -> str:
    """Save a typed result with its provenance; returns the run id."""
    run_id = uuid.uuid4().hex
    store.execute(
        "INSERT INTO df_runs VALUES (?, ?, ?, ?, ?)",
        [
            run_id,
            result.kind,
            datetime.now(UTC),
            json.dumps(prov.to_dict()),
            # marked private: a saved run holds exact counts and text as typed
            json.dumps(mark_private(result.to_dict())),
        ],
    )
    return run_id


def latest_run(store: Store, kind: str) -> SavedRun | None:
    """The newest saved run of ``kind`` (``analyze``, ``decide``, ``demand``), typed."""
    if not store.table_exists("df_runs"):
        return None
    rows = store.rows(
        "SELECT run_id, created_at, provenance, result FROM df_runs WHERE kind = ? "
        "ORDER BY created_at DESC LIMIT 1",
        [kind],
    )
    if not rows:
        return None
    run_id, created_at, prov, result = rows[0]
    result_type = result_types()[kind]
    return SavedRun(
        run_id=str(run_id),
        kind=kind,
        created_at=created_at,
        provenance=Provenance.from_dict(json.loads(prov)),
        result=result_type.from_dict(json.loads(result)),
    )


__all__ = [
    "ImportedFile",
    "Provenance",
    "SavedRun",
    "current_imports",
    "latest_run",
    "latest_run_id",
    "package_versions",
    "provenance",
    "result_of",
    "result_types",
    "save_run",
    "stale_error",
    "staleness",
    "theory_hash",
    "theory_parts",
    "upstream",
]
