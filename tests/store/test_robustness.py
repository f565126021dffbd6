"""The store under abuse (issue #13, item 13): damaged files, a store locked at save time,
a read-only project folder, a full disk. Each ends in a clear error and loses nothing."""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import decisionframe.project as project_module
from decisionframe.cli import app
from decisionframe.project import Project
from decisionframe.recovery import pending_runs
from decisionframe.store.duckdb_store import StoreDamagedError, StoreLockedError
from tests.conftest import assert_same_store, store_snapshot

runner = CliRunner()


def _imported(project_dir: Path) -> Project:
    project = Project(project_dir)
    project.import_data()
    return project


def _flip_bytes(path: Path) -> None:
    """Overwrite a stretch in the middle of the file (table data, not the header)."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        for offset in range(size // 3, size - 4096, max(size // 16, 4096)):
            handle.seek(offset)
            handle.write(os.urandom(2048))


def test_a_store_with_flipped_bytes_is_named_damaged_and_repair_rebuilds_it(
    project_dir: Path,
) -> None:
    project = _imported(project_dir)
    project.demand()  # a saved run to carry over
    before = store_snapshot(project_dir)
    _flip_bytes(project.store_path)
    # Re-import used to say "unchanged" (the import log still read fine) and stop there.
    result = runner.invoke(app, ["import", str(project_dir)])
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "damaged" in output
    assert "decisionframe repair" in output
    assert "Traceback" not in result.output
    repaired = runner.invoke(app, ["repair", str(project_dir)])
    assert repaired.exit_code == 0, repaired.output
    assert "rebuilt from the source files" in " ".join(repaired.output.split())
    moved = list((project_dir / ".decisionframe" / "damaged").glob("*.duckdb"))
    assert len(moved) == 1  # set aside, never deleted
    after = store_snapshot(project_dir)
    for table in ("clients", "touchpoints", "outcomes"):
        assert len(after[table]) == len(before[table])
    again = runner.invoke(app, ["repair", str(project_dir)])
    assert "The store is sound" in " ".join(again.output.split())


def test_a_half_truncated_store_is_repaired(project_dir: Path) -> None:
    project = _imported(project_dir)
    rows = {t.table: t.rows for t in project.status().tables}
    path = project.store_path
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)
    with pytest.raises(StoreDamagedError):
        project.import_data()
    result = project.repair()
    assert result.damaged
    assert result.rows_imported == sum(rows.values())
    assert {t.table: t.rows for t in Project(project_dir).status().tables} == rows


def test_garbage_in_place_of_the_store_is_a_clear_error(project_dir: Path) -> None:
    project = Project(project_dir)
    project.store_path.parent.mkdir(parents=True, exist_ok=True)
    project.store_path.write_bytes(b"not a database\x00" * 1000)
    result = runner.invoke(app, ["import", str(project_dir)])
    assert result.exit_code == 2, result.output
    assert "damaged" in result.output
    assert project.repair().damaged
    assert Project(project_dir).status().tables


_HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""


def _release(holder: subprocess.Popen[str]) -> None:
    holder.kill()
    holder.wait()
    if holder.stdout is not None:
        holder.stdout.close()


@pytest.mark.parametrize("relative", [False, True])
def test_a_store_locked_at_save_time_keeps_the_finished_result(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch, relative: bool
) -> None:
    """Another process takes the store while the analysis runs (it only reads): the
    finished result used to be lost at save time. With the project given as '.' (as a
    new user typed `decisionframe demand .`) the message itself was a traceback."""
    import decisionframe.demand as demand_module

    project = _imported(project_dir)
    if relative:
        monkeypatch.chdir(project_dir)
        project = Project(Path("."))
    monkeypatch.setattr(project_module, "SAVE_WAIT_SECONDS", 0.5)
    holders: list[subprocess.Popen[str]] = []
    real = demand_module.analyze_demand

    def analyze_then_lose_the_lock(*args: object, **kw: object) -> object:
        result = real(*args, **kw)  # type: ignore[arg-type]
        holder = subprocess.Popen(
            [sys.executable, "-c", _HOLD_LOCK, str(project.store_path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        holders.append(holder)
        return result

    monkeypatch.setattr(demand_module, "analyze_demand", analyze_then_lose_the_lock)
    real_keep = project_module.Project._save

    def save_once_locked(self: Project, result: object, prov: object) -> None:
        assert holders[0].stdout is not None
        assert holders[0].stdout.readline().strip() == "locked"
        real_keep(self, result, prov)  # type: ignore[arg-type]

    monkeypatch.setattr(project_module.Project, "_save", save_once_locked)
    try:
        with pytest.raises(StoreLockedError) as info:
            project.demand()
        message = " ".join(str(info.value).split())
        assert "in use by another decisionframe process" in message
        assert "was not lost" in message
        assert ".decisionframe/pending" in message
        assert len(pending_runs(project.state_dir)) == 1
        mode = pending_runs(project.state_dir)[0].stat().st_mode & 0o777
        assert mode == 0o600  # private, like the store
    finally:
        for holder in holders:
            _release(holder)
    assert project.latest("demand") is None  # not in the store yet
    project.repair()  # any command that writes to the store saves what was pending
    assert pending_runs(project.state_dir) == []
    assert project.latest("demand") is not None


def test_a_locked_store_at_import_is_a_clear_error(project_dir: Path) -> None:
    project = _imported(project_dir)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(project.store_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        result = runner.invoke(app, ["import", str(project_dir)])
    finally:
        _release(holder)
    assert result.exit_code == 2
    assert "in use by another decisionframe process" in " ".join(result.output.split())


def _without_root_overrides() -> None:
    """Root ignores file modes through three capabilities; drop them from the bounding set
    so the command run next (still uid 0) meets a read-only folder as any user would."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _run_cli(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-c", "from decisionframe.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "400", "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
        **kw,
    )


def test_a_read_only_project_folder_is_a_clear_error(project_dir: Path) -> None:
    """Run without write permission (as root, without the capabilities that ignore modes)."""
    root = Path(tempfile.mkdtemp(prefix="df-readonly-"))
    try:
        shutil.copytree(project_dir, root / "org")
        for path in [root, *root.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        kw = {"preexec_fn": _without_root_overrides} if os.geteuid() == 0 else {}
        result = _run_cli(["import", str(root / "org")], **kw)
        assert result.returncode == 2, result.stderr
        assert "permission denied" in result.stderr
        assert "Traceback" not in result.stderr
        assert not (root / "org" / ".decisionframe").exists()
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(root)


def _file_size_limit(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_mid_import_leaves_the_store_as_it_was(project_dir: Path) -> None:
    """A full disk, simulated with a file-size limit: every write past it fails."""
    project = _imported(project_dir)
    before = store_snapshot(project_dir)
    contacts = project_dir / "data" / "contacts.csv"
    lines = contacts.read_text().splitlines()
    extra = [f"X{i}{line[line.index(',') :]}" for i, line in enumerate(lines[1:] * 40)]
    contacts.write_text("\n".join([*lines, *extra]) + "\n")
    size = project.store_path.stat().st_size
    started = time.monotonic()
    result = _run_cli(
        ["import", str(project_dir)], preexec_fn=lambda: _file_size_limit(size + (256 << 10))
    )
    assert time.monotonic() - started < 300
    assert result.returncode == 2, result.stdout + result.stderr
    assert "disk is full" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project_dir / ".decisionframe" / "tmp").exists()
    assert_same_store(before, store_snapshot(project_dir))


def test_repair_json_validates_against_its_schema(project_dir: Path, tmp_path: Path) -> None:
    import json

    import jsonschema

    _imported(project_dir)
    out = tmp_path / "repair.json"
    result = runner.invoke(app, ["repair", str(project_dir), "--json", str(out)])
    assert result.exit_code == 0, result.output
    schema = Path(__file__).parents[2] / "docs" / "schemas" / "repair.schema.json"
    data = json.loads(out.read_text())
    jsonschema.validate(data, json.loads(schema.read_text()))
    assert data["damaged"] is False
