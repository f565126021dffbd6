"""Project: a folder with decisionframe.yaml, theory.yaml, data/ and .decisionframe/."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, overload

import pandas as pd

from decisionframe.config import CONFIG_FILE, ProjectConfig, load_config
from decisionframe.errors import ConfigError, Problem, ProjectError
from decisionframe.ingest import ImportResult, PseudonymKey, import_sources, load_or_create_key
from decisionframe.ingest.load import Progress, import_into_database
from decisionframe.paths import outside_problem, resolve_inside
from decisionframe.results import Result
from decisionframe.runs import (
    Provenance,
    SavedRun,
    current_imports,
    latest_run,
    latest_run_id,
    provenance,
    result_of,
    save_run,
    stale_error,
    staleness,
    theory_hash,
    theory_parts,
    upstream,
)
from decisionframe.store import DuckDBStore, Store, quote
from decisionframe.store.postgres_store import PostgresStore
from decisionframe.theory import (
    MeasurementPlan,
    TheoryCheck,
    check_theory,
    load_theory,
    measurement_plan,
)

if TYPE_CHECKING:
    from decisionframe.decide import DecisionResult
    from decisionframe.demand import DemandResult
    from decisionframe.effects import EvidenceResult
    from decisionframe.initiatives import InitiativesResult
    from decisionframe.recovery import RepairResult
    from decisionframe.report import ReportResult
    from decisionframe.theory.implications import ImplicationsResult
    from decisionframe.voice import VoiceResult
    from decisionframe.voice.profiles import ProfilesResult

STATE_DIR = ".decisionframe"
SAVE_WAIT_SECONDS = 10.0  # how long a finished run waits for a store another process holds


@dataclass(frozen=True)
class LoadedTable:
    table: str
    rows: int
    source_path: str
    sha256: str
    imported_at: datetime
    quarantined: int = 0  # rows of the latest import set aside (on_error: quarantine)
    as_of: date | None = None  # the day the latest import counted ages to (a date of birth)


@dataclass(frozen=True)
class StatusResult(Result):
    """What the store holds: per table its row count, source file and import time."""

    kind: ClassVar[str] = "status"
    project: str
    tables: tuple[LoadedTable, ...]

    def summary(self) -> str:
        if not self.tables:
            return f"{self.project}: nothing imported yet (run `decisionframe import`)."
        return f"{self.project}: " + ", ".join(
            f"{t.table} {t.rows:,}"
            + (f" ({t.quarantined:,} set aside)" if t.quarantined else "")
            + (f" (ages counted to {t.as_of})" if t.as_of else "")
            for t in self.tables
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"table": t.table, "rows": t.rows, "source_path": t.source_path} for t in self.tables],
            columns=["table", "rows", "source_path"],
        )


SPARK_TABLES = ("touchpoints", "initiatives", "df_columns")
# What `analyze` reads through Spark: the per-client frames join the clients, their
# touchpoints, outcomes and feedback (with its themes) and the column log (bindings).
SPARK_FRAME_TABLES = ("clients", "touchpoints", "outcomes", "feedback", "df_columns")


class Project:
    """An opened project folder."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        if not (self.directory / CONFIG_FILE).exists():
            raise ProjectError(
                f"{self.directory}: no {CONFIG_FILE} here. Hint: run "
                f"`decisionframe init {self.directory}` or `decisionframe simulate "
                f"{self.directory}` first."
            )
        self.config: ProjectConfig = load_config(self.directory)

    def _inside(self, name: str, what: str) -> Path:
        """``name`` resolved (symlinks followed) inside the project folder, or a located
        config error: every path the project reads or writes goes through here (#13), so
        ``theory: ../victim/theory.yaml`` cannot make the editor read and overwrite
        another project's theory, and a ``.decisionframe`` symlinked elsewhere cannot send
        the key, the quarantine list or pending runs out of the folder."""
        inside = resolve_inside(
            self.directory, name, allow_outside=self.config.allow_outside_project
        )
        if inside is None:
            raise ConfigError("invalid project config", [outside_problem(name, what)])
        return inside[0]

    @property
    def state_dir(self) -> Path:
        return self._inside(STATE_DIR, "the state folder")

    @property
    def store_path(self) -> Path:
        if self.config.uses_database:
            raise ProjectError(
                "this project's store is a PostgreSQL database, not a file in the folder"
            )
        return self._inside(self.config.store, "store")

    @property
    def theory_path(self) -> Path:
        return self._inside(self.config.theory, "theory")

    @property
    def reports_dir(self) -> Path:
        """Where ``report`` writes when no ``--out`` is given."""
        return self._inside("reports", "the reports folder")

    def open_store(self, *, read_only: bool = False) -> DuckDBStore | PostgresStore:
        """The project's store: the DuckDB file, or the PostgreSQL database of ``store:``.

        Read-only PostgreSQL stores read one consistent snapshot for as long as they are
        open (see ``PostgresStore``).
        """
        if self.config.uses_database:
            return PostgresStore(self.config.store, read_only=read_only)
        if read_only and not self.store_path.exists():
            raise ProjectError(
                f"{self.store_path}: no store yet. Hint: run `decisionframe import "
                f"{self.directory}` first."
            )
        store = DuckDBStore(self.store_path, read_only=read_only)
        if not read_only:
            from decisionframe.recovery import flush_pending

            try:
                flush_pending(store, self.state_dir)
            except BaseException:
                store.close()
                raise
        return store

    def key(self) -> PseudonymKey:
        return load_or_create_key(
            self.state_dir / "key",
            env_var=self.config.privacy.key_env,
            has_pseudonyms=self._has_pseudonyms(),
        )

    def _has_pseudonyms(self) -> bool:
        """Whether the store holds pseudonymized columns (made with the current key)."""
        if not self.has_store():
            return False
        with self.open_store(read_only=True) as store:
            if not store.table_exists("df_columns"):
                return False
            return bool(store.rows("SELECT count(*) FROM df_columns WHERE pseudonymized")[0][0])

    def import_data(
        self,
        *,
        progress: Progress | None = None,
        after_table: Callable[[str], None] | None = None,
    ) -> ImportResult:
        """Import every configured source into the store (see ``import_sources``)."""
        key = self.key()
        with self.open_store() as store:
            if isinstance(store, PostgresStore):
                return import_into_database(
                    store,
                    project_dir=self.directory,
                    config=self.config,
                    key=key,
                    progress=progress,
                    after_table=after_table,
                )
            return import_sources(
                store,
                project_dir=self.directory,
                config=self.config,
                key=key,
                progress=progress,
                after_table=after_table,
            )

    def has_store(self) -> bool:
        """Whether a store exists yet (a database store: whether it has been set up)."""
        if self.config.uses_database:
            with self.open_store(read_only=True) as store:
                return store.table_exists("df_imports")
        return self.store_path.exists()

    def theory_check(self) -> TheoryCheck:
        """Check theory.yaml, against the store's tables and columns when data is loaded."""
        if not self.has_store():
            return check_theory(self.theory_path)
        with self.open_store(read_only=True) as store:
            return check_theory(self.theory_path, store)

    def measure_warnings(self) -> list[Problem]:
        """Warnings about the values theory.yaml's measures read (numbers off a node's
        declared scale); empty without a store."""
        from decisionframe.theory.bindings import measure_value_problems
        from decisionframe.theory.load import parse_theory

        if not self.has_store():
            return []
        theory, located = parse_theory(self.theory_path)
        with self.open_store(read_only=True) as store:
            return measure_value_problems(theory, located, store)[1]

    def implications(self, *, alpha: float = 0.05) -> ImplicationsResult:
        """The conditional independences theory.yaml implies, tested on the data held."""
        from decisionframe.theory.implications import check_implications

        with self.open_store(read_only=True) as store:
            theory = load_theory(self.theory_path, store)
            return check_implications(
                store, theory, alpha=alpha, min_cell_size=self.config.privacy.min_cell_size
            )

    def plan(self) -> MeasurementPlan:
        """The measurement plan on the data now held (see ``measurement_plan``)."""
        with self.open_store(read_only=True) as store:
            theory = load_theory(self.theory_path, store)
            return measurement_plan(theory, store)

    def analyze(self, *, seed: int = 0, progress: Progress | None = None) -> EvidenceResult:
        """Estimate, refute and judge every assumption; save the run with provenance."""
        from decisionframe.effects import analyze_theory
        from decisionframe.frames import check_themes
        from decisionframe.theory.bindings import bindings
        from decisionframe.voice import THEMES_TABLE

        with self.open_store(read_only=True) as store:
            theory = load_theory(self.theory_path, store)
            needs_voice = any(b.theme for b in bindings(theory).values()) and not (
                store.table_exists(THEMES_TABLE)
            )
        if needs_voice:  # a node is measured by a feedback theme: find the themes first
            self.voice(seed=seed)
        # Read-only while estimating (minutes on big data), so status and report still work.
        with self.open_store(read_only=True) as store:
            theory = load_theory(self.theory_path, store)
            check_themes(store, theory)
            with self._frames_engine(store) as frames:
                result = analyze_theory(
                    frames,
                    theory,
                    seed=seed,
                    min_cell_size=self.config.privacy.min_cell_size,
                    progress=progress,
                )
            prov = provenance(store, theory_path=self.theory_path, seed=seed)
        self._save(result, prov)
        return result

    def decide(
        self,
        *,
        budget: float | None = None,
        seed: int = 0,
        draws: int = 20_000,
        allow_stale: bool = False,
    ) -> DecisionResult:
        """Decide between the theory's options with the latest `analyze` evidence; saved.

        Refuses evidence computed from another theory or other data than the current ones
        (``StaleResultError``) unless ``allow_stale``; then the provenance says so.
        """
        from decisionframe.decide import decide_options
        from decisionframe.effects import EvidenceResult

        with self.open_store(read_only=True) as store:
            run = latest_run(store, "analyze")
            if run is None:
                raise ProjectError(
                    "no evidence yet. Hint: run `decisionframe analyze "
                    f"{self.directory}` before `decide`."
                )
            stale = self._stale_notes(store, run, allow_stale=allow_stale, using="decide")
            theory = load_theory(self.theory_path, store)
            result = decide_options(
                store,
                theory,
                result_of(run, EvidenceResult),
                budget=budget,
                seed=seed,
                draws=draws,
                min_cell_size=self.config.privacy.min_cell_size,
            )
            prov = provenance(
                store,
                theory_path=self.theory_path,
                seed=seed,
                inputs={"analyze": run.run_id},
                stale=stale,
            )
        self._save(result, prov)
        return result

    def demand(self, *, progress: Progress | None = None) -> DemandResult:
        """Failure demand, internal customers, end-to-end time and control charts; saved."""
        from decisionframe.demand import analyze_demand

        with self.open_store(read_only=True) as store:
            if self.config.engine == "spark":
                result = self._demand_on_spark(store, progress)
            else:
                result = analyze_demand(
                    store,
                    rules=self.config.demand,
                    min_cell_size=self.config.privacy.min_cell_size,
                    progress=progress,
                )
            prov = provenance(store, theory_path=self.theory_path, seed=0)
        self._save(result, prov)
        return result

    @contextmanager
    def _frames_engine(self, store: Store) -> Iterator[Store]:
        """Where the per-client analysis frames are built: the store itself, or with
        ``engine: spark`` Spark over Parquet copies of the tables the frames read.

        Only the frames (joins and windows over every touchpoint) move to Spark; each frame
        comes back through Arrow and the estimation runs on it here, as on DuckDB. The
        frames are the same on every engine (tests/engines), and folds are drawn from row
        content (``effects.splits``), so the estimates are too.
        """
        if self.config.engine != "spark":
            yield store
            return
        from decisionframe.store.duckdb_store import export_parquet
        from decisionframe.store.spark_store import SparkStore, spark_session
        from decisionframe.voice import THEMES_TABLE

        duck = self._parquet_source(store)
        tables = export_parquet(
            duck, self.state_dir / "parquet", [*SPARK_FRAME_TABLES, THEMES_TABLE]
        )
        with SparkStore.over_parquet(spark_session(self.config.spark_master), tables) as spark:
            yield spark

    @staticmethod
    def _parquet_source(store: Store) -> DuckDBStore:
        if not isinstance(store, DuckDBStore):
            raise ProjectError(
                "engine: spark reads Parquet copies of a DuckDB store's tables; with a "
                "PostgreSQL store, leave engine at duckdb (the database runs the queries "
                "itself)."
            )
        return store

    # What demand reads: the touchpoints, the initiatives (marked on the charts) and the
    # column log (which attribute columns are service-quality measures to chart).
    def _demand_on_spark(
        self, store: DuckDBStore | PostgresStore, progress: Progress | None
    ) -> DemandResult:
        """``engine: spark``: the store's validated touchpoints as Parquet (inside the
        project), read by Spark on ``spark_master``; the same SQL, carried by ``dialects``."""
        from decisionframe.demand import analyze_demand
        from decisionframe.store.duckdb_store import export_parquet
        from decisionframe.store.spark_store import SparkStore, spark_session

        tables = export_parquet(
            self._parquet_source(store), self.state_dir / "parquet", SPARK_TABLES
        )
        session = spark_session(self.config.spark_master)
        with SparkStore.over_parquet(session, tables) as spark:
            return analyze_demand(
                spark,
                rules=self.config.demand,
                min_cell_size=self.config.privacy.min_cell_size,
                progress=progress,
            )

    def initiatives(self, *, seed: int = 0, progress: Progress | None = None) -> InitiativesResult:
        """Each initiative's effect on each measure it targets, with placebos; saved."""
        from decisionframe.initiatives import evaluate_initiatives

        def step(done: int, total: int) -> None:
            if progress:
                progress("initiatives", done, total)

        with self.open_store(read_only=True) as store:
            result = evaluate_initiatives(
                store,
                min_cell_size=self.config.privacy.min_cell_size,
                seed=seed,
                progress=step,
                demand_rules=self.config.demand,
            )
            prov = provenance(store, theory_path=self.theory_path, seed=seed)
        self._save(result, prov)
        return result

    def profiles(self, *, seed: int = 0) -> ProfilesResult:
        """Customer profiles and variety of demand; saved."""
        from decisionframe.voice.profiles import analyze_profiles

        with self.open_store(read_only=True) as store:
            result = analyze_profiles(
                store,
                rules=self.config.demand,
                min_cell_size=self.config.privacy.min_cell_size,
                seed=seed,
            )
            prov = provenance(store, theory_path=self.theory_path, seed=seed)
        self._save(result, prov)
        return result

    def voice(self, *, seed: int = 0) -> VoiceResult:
        """Themes, asks and emerging needs in the feedback; saved, with each comment's
        themes kept in the store so theory nodes can be measured by a theme."""
        from decisionframe.voice import analyze_voice, save_assignments

        with self.open_store(read_only=True) as store:
            previous = latest_run(store, "voice")
            result, assignments = analyze_voice(
                store,
                config=self.config.voice,
                min_cell_size=self.config.privacy.min_cell_size,
                previous=previous.result.to_dict() if previous else None,
                seed=seed,
            )
            prov = provenance(store, theory_path=self.theory_path, seed=seed)
        with self.open_store() as store:
            save_assignments(store, assignments)
            save_run(store, result=result, prov=prov)
        return result

    def report(self, *, out: Path | None = None, allow_stale: bool = False) -> ReportResult:
        """Write the HTML report from the latest runs (default reports/report.html).

        Refuses runs that no longer match the current theory and data unless
        ``allow_stale``; then the report's provenance lists what is out of date.
        """
        from decisionframe.report import render_report

        return render_report(self, out=out, allow_stale=allow_stale)

    def _save(self, result: Result, prov: Provenance) -> None:
        """Save a finished run; if another process holds the store, keep it pending.

        Waits up to ``SAVE_WAIT_SECONDS`` for the lock (an import or another analysis may
        be finishing), then writes the run to ``.decisionframe/pending/`` rather than
        losing it: the next command that writes to the store saves it.
        """
        from decisionframe.recovery import keep_pending
        from decisionframe.store.duckdb_store import StoreLockedError

        deadline = time.monotonic() + SAVE_WAIT_SECONDS
        while True:
            try:
                store = self.open_store()
                break
            except StoreLockedError as exc:
                if time.monotonic() < deadline:
                    time.sleep(0.25)
                    continue
                kept = keep_pending(self.state_dir, result=result, prov=prov)
                # Both resolved: the state folder is (confined to the project), the
                # directory may be given as '.'.
                where = kept.resolve().relative_to(self.directory.resolve())
                raise StoreLockedError(
                    f"{str(exc).split('. Hint:')[0]}. The finished `{result.kind}` result was "
                    f"not lost: it was kept in {where} and is saved into the store the next "
                    "time a command writes to it (for example `decisionframe repair`)"
                ) from None
        with store:
            save_run(store, result=result, prov=prov)

    def repair(self) -> RepairResult:
        """Check the store; rebuild a damaged one from the sources (see ``recovery``)."""
        from decisionframe.recovery import repair_store

        return repair_store(self)

    def _stale_notes(
        self, store: Store, run: SavedRun, *, allow_stale: bool, using: str
    ) -> tuple[str, ...]:
        """What is out of date in ``run``; raises unless ``allow_stale`` (then it is noted)."""
        changes = self._changes(store, run)
        if changes and not allow_stale:
            rerun = [
                kind
                for kind in upstream(run.kind)
                if (before := latest_run(store, kind)) is None or self._changes(store, before)
            ]
            raise stale_error(run.kind, changes, [*rerun, run.kind], using=using)
        return tuple(f"{run.kind}: {c}" for c in changes)

    def _changes(self, store: Store, run: SavedRun) -> list[str]:
        """What changed since ``run``: the theory, the data, or a run it read."""
        changes = staleness(
            run,
            theory_sha256=theory_hash(self.theory_path),
            imports=current_imports(store),
            parts=theory_parts(self.theory_path),
        )
        for kind, run_id in run.provenance.inputs.items():
            if latest_run_id(store, kind) != run_id:
                changes.append(f"the `{kind}` run it used was replaced by a newer one")
        return changes

    def latest_run(self, kind: str, *, allow_stale: bool = False) -> SavedRun | None:
        """The newest saved run of ``kind`` with its provenance, or None.

        Raises ``StaleResultError`` when it no longer matches the current theory and data,
        unless ``allow_stale``.
        """
        if not self.has_store():
            return None
        with self.open_store(read_only=True) as store:
            run = latest_run(store, kind)
            if run is not None:
                stale = self._stale_notes(store, run, allow_stale=allow_stale, using="use it")
                if stale:
                    run = replace(run, provenance=replace(run.provenance, stale=stale))
            return run

    @overload
    def latest(
        self, kind: Literal["analyze"], *, allow_stale: bool = False
    ) -> EvidenceResult | None: ...
    @overload
    def latest(
        self, kind: Literal["decide"], *, allow_stale: bool = False
    ) -> DecisionResult | None: ...
    @overload
    def latest(
        self, kind: Literal["demand"], *, allow_stale: bool = False
    ) -> DemandResult | None: ...
    @overload
    def latest(self, kind: str, *, allow_stale: bool = False) -> Result | None: ...
    def latest(self, kind: str, *, allow_stale: bool = False) -> Result | None:
        """The newest saved result of ``kind`` (analyze, decide, demand), typed, or None.

        ``project.latest("analyze").to_frame()`` is the evidence table. Refuses a result
        computed from another theory or other data (``StaleResultError``) unless
        ``allow_stale``.
        """
        run = self.latest_run(kind, allow_stale=allow_stale)
        return None if run is None else run.result

    def status(self) -> StatusResult:
        if not self.has_store():
            return StatusResult(self.config.name, ())
        with self.open_store(read_only=True) as store:
            if not store.table_exists("df_imports"):
                return StatusResult(self.config.name, ())
            # One row per table: a source of several files lists them and hashes their hashes
            # (in Python, the same on every store's SQL dialect).
            # A store last written before migration 6 (read-only opens do not migrate) has
            # no as_of column: its imports recorded no day.
            logged = {c for c, _ in store.table_columns("df_imports")}
            as_of = "as_of" if "as_of" in logged else "CAST(NULL AS DATE)"
            files = store.rows(
                f"SELECT table_name, source_path, sha256, imported_at, {as_of} FROM df_imports "
                "WHERE batch_id = (SELECT batch_id FROM df_imports ORDER BY imported_at DESC "
                "LIMIT 1) ORDER BY table_name, source_path"
            )
            set_aside: dict[str, int] = {}
            if store.table_exists("df_quarantine"):
                set_aside = {
                    str(t): int(n)
                    for t, n in store.rows(
                        "SELECT table_name, count(DISTINCT file || ':' || CAST(line AS VARCHAR)) "
                        "FROM df_quarantine GROUP BY 1"
                    )
                }
            grouped: dict[str, list[tuple[str, str, datetime]]] = {}
            days: dict[str, date] = {}
            for table, path, sha, at, as_of in files:
                grouped.setdefault(str(table), []).append((str(path), str(sha), at))
                if as_of is not None:
                    days[str(table)] = as_of
            tables = []
            for table, parts in grouped.items():
                sha = parts[0][1] if len(parts) == 1 else _combined_sha(parts)
                path = ", ".join(p for p, _, _ in parts)
                actual = int(store.rows(f"SELECT count(*) FROM {quote(table)}")[0][0])
                at = max(a for _, _, a in parts)
                tables.append(
                    LoadedTable(
                        table, actual, path, sha, at, set_aside.get(table, 0), days.get(table)
                    )
                )
        return StatusResult(self.config.name, tuple(tables))


def _combined_sha(parts: list[tuple[str, str, datetime]]) -> str:
    joined = "".join(f"{path}:{sha};" for path, sha, _ in parts)
    return hashlib.sha256(joined.encode()).hexdigest()


def init_project(directory: Path | str, *, name: str | None = None) -> list[str]:
    """Scaffold a project folder; never overwrites an existing file."""
    from decisionframe.scaffold import CONFIG_TEMPLATE, THEORY_TEMPLATE

    target = Path(directory)
    if (target / CONFIG_FILE).exists():
        raise ProjectError(f"{target} already has a {CONFIG_FILE}. Hint: edit it instead.")
    (target / "data").mkdir(parents=True, exist_ok=True)
    files = {
        CONFIG_FILE: CONFIG_TEMPLATE.format(name=name or target.resolve().name),
        "theory.yaml": THEORY_TEMPLATE,
        ".gitignore": f"{STATE_DIR}/\nreports/\n",
    }
    created = []
    for filename, text in files.items():
        path = target / filename
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            created.append(filename)
    return [*created, "data/"]
