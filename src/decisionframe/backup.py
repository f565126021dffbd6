"""Backup and restore of a project folder: its files and its DuckDB store, exactly.

A backup is one ``.tar.gz`` with a ``manifest.json`` listing every file with its size and
SHA-256; restore checks each one, so a damaged archive is refused, not half restored.

Care taken:

- The store is copied while it is held open read-only, which keeps any writer out, so the
  copy is one consistent state (DuckDB's file and its WAL together), byte for byte.
- The pseudonymization key (``.decisionframe/key``) is *not* in a backup unless asked
  (``with_key``): key and pseudonymized store together let anyone re-identify clients by
  hashing guessed ids. With it, the archive is written readable by its owner only. The
  key's content is never printed or logged; results name only whether it is there.
- Paths stay inside the project (decisionframe.paths): files whose real path leaves the
  project folder are not archived; restore refuses members with absolute paths, ``..``,
  links or devices, writes only into a new, empty folder, and never overwrites.
- A PostgreSQL store is not in the archive (the database's own tools back it up:
  ``pg_dump``); the result says so.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from decisionframe.config import CONFIG_FILE, load_config
from decisionframe.errors import ProjectError
from decisionframe.paths import resolve_inside
from decisionframe.results import Result

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
KEY_FILE = ".decisionframe/key"
# Scratch folders of a running import: never part of a project's state.
_SKIPPED_DIRS = (".decisionframe/tmp", ".decisionframe/import-scratch")


class BackupError(ProjectError):
    """A backup or restore was refused; nothing was written."""


@dataclass(frozen=True)
class BackupResult(Result):
    """What a backup holds: file count, bytes, whether the store and the key are in it."""

    kind: ClassVar[str] = "backup"
    archive: str
    files: int
    bytes: int
    store_included: bool
    key_included: bool
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        key = "with the pseudonymization key" if self.key_included else "without the key"
        return f"Backed up {self.files} files ({self.bytes:,} bytes) to {self.archive}, {key}."


@dataclass(frozen=True)
class RestoreResult(Result):
    """What a restore wrote: the folder, file count, whether the key came back."""

    kind: ClassVar[str] = "restore"
    directory: str
    files: int
    key_restored: bool
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        return f"Restored {self.files} files into {self.directory}."


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _project_files(directory: Path, *, with_key: bool) -> tuple[list[tuple[str, Path]], list[str]]:
    """(archive name, real path) of every file to back up, and notes on what was left out."""
    root = directory.resolve()
    files: list[tuple[str, Path]] = []
    notes: list[str] = []
    for current, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(current).relative_to(root).as_posix()
        dirnames[:] = sorted(
            d for d in dirnames if f"{rel_dir}/{d}".lstrip("./") not in _SKIPPED_DIRS
        )
        for filename in sorted(filenames):
            name = (Path(rel_dir) / filename).as_posix().removeprefix("./")
            if name == KEY_FILE and not with_key:
                continue
            inside = resolve_inside(root, name, allow_outside=False)
            if inside is None:
                notes.append(f"{name}: not backed up (it links outside the project folder)")
                continue
            real = inside[0]
            if not real.is_file():
                continue
            files.append((name, real))
    return files, notes


def backup_project(
    directory: Path | str, archive: Path | str, *, with_key: bool = False
) -> BackupResult:
    """Write the project at ``directory`` to a new ``archive`` (.tar.gz).

    Refuses an archive inside the project (it would hold itself and live beside the data it
    protects) and an existing archive (never overwritten).
    """
    from decisionframe.project import Project

    project = Project(directory)
    root = project.directory.resolve()
    target = Path(archive).resolve()
    if target.is_relative_to(root):
        raise BackupError(
            f"the backup file {archive} is inside the project folder. Hint: write it "
            "elsewhere (another disk, ideally), e.g. ../backups/"
        )
    if target.exists():
        raise BackupError(f"{archive} exists already. Hint: name a new file; none is replaced.")
    if not target.parent.is_dir():
        raise BackupError(f"the folder of {archive} does not exist. Hint: create it first.")
    notes: list[str] = []
    store_included = False
    key_present = (root / KEY_FILE).exists()
    if project.config.uses_database:
        notes.append(
            "the PostgreSQL database is not in this archive: back it up with the server's "
            "tools (pg_dump); see docs/storage.md"
        )
        store = None
    else:
        store = project.open_store(read_only=True) if project.has_store() else None
        store_included = store is not None
    try:
        files, skipped = _project_files(root, with_key=with_key)
        notes += skipped
        if key_present and not with_key:
            notes.append(
                "the pseudonymization key is not in this archive: keep a copy of "
                f"{KEY_FILE} somewhere else safe (or back up with --with-key)"
            )
        manifest = _manifest(files, project.config.name)
        _write_archive(target, files, manifest, private=with_key and key_present)
    finally:
        if store is not None:
            store.close()
    return BackupResult(
        archive=str(archive),
        files=len(files),
        bytes=sum(f["size"] for f in manifest["files"]),
        store_included=store_included,
        key_included=with_key and key_present,
        notes=tuple(notes),
    )


def _manifest(files: list[tuple[str, Path]], name: str) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "project": name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": [
            {"name": arcname, "size": real.stat().st_size, "sha256": _sha256(real)}
            for arcname, real in files
        ],
    }


def _write_archive(
    target: Path, files: list[tuple[str, Path]], manifest: dict[str, Any], *, private: bool
) -> None:
    """Write to a temporary file beside ``target``, then move it in place (no half archive)."""
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".backup-", suffix=".tmp")
    os.close(handle)
    temp = Path(temp_name)
    try:
        os.chmod(temp, 0o600 if private else 0o644)
        with tarfile.open(temp, "w:gz") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o644
            tar.addfile(info, io.BytesIO(data))
            for arcname, real in files:
                info = tar.gettarinfo(str(real), arcname=arcname)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                with real.open("rb") as source:
                    tar.addfile(info, source)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def restore_project(archive: Path | str, directory: Path | str) -> RestoreResult:
    """Restore a backup into ``directory``, which must not exist yet or be empty.

    Every member is checked before anything is written (names, types, sizes, hashes);
    files go to a temporary folder beside the target and are moved in when all are good.
    """
    source = Path(archive)
    target = Path(directory)
    if not source.is_file():
        raise BackupError(f"{archive}: no such backup file.")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(
            f"{directory} exists and is not empty. Hint: restore into a new folder; "
            "nothing is overwritten."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".restore-"))
    try:
        count = _extract_checked(source, staging)
        if not (staging / CONFIG_FILE).is_file():
            raise BackupError(f"{archive} holds no {CONFIG_FILE}: not a decisionframe backup.")
        load_config(staging)  # a config that does not load would restore a broken project
        key_restored = (staging / KEY_FILE).exists()
        if key_restored:
            os.chmod(staging / KEY_FILE, 0o600)
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    notes = []
    if not key_restored:
        notes.append(
            f"the backup held no pseudonymization key: put your copy at {KEY_FILE} before "
            "the next import (without it, new pseudonyms would not match the stored ones)"
        )
    return RestoreResult(
        directory=str(directory), files=count, key_restored=key_restored, notes=tuple(notes)
    )


def _extract_checked(source: Path, staging: Path) -> int:
    try:
        tar = tarfile.open(source, "r:gz")  # noqa: SIM115 - closed by the `with` below
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{source} is not a readable backup ({type(exc).__name__}).") from None
    with tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"{source} is damaged ({type(exc).__name__}).") from None
        by_name = {m.name: m for m in members}
        if MANIFEST not in by_name:
            raise BackupError(f"{source} has no {MANIFEST}: not a decisionframe backup.")
        manifest = _read_manifest(tar, by_name[MANIFEST], source)
        listed = {f["name"]: f for f in manifest["files"]}
        for member in members:
            if member.name == MANIFEST:
                continue
            _check_member(member, listed, staging, source)
        missing = sorted(set(listed) - {m.name for m in members})
        if missing:
            raise BackupError(f"{source} lacks {len(missing)} file(s) its manifest lists.")
        for member in members:
            if member.name == MANIFEST or not member.isfile():
                continue
            _extract_one(tar, member, listed[member.name], staging, source)
    return len(listed)


def _read_manifest(tar: tarfile.TarFile, member: tarfile.TarInfo, source: Path) -> dict[str, Any]:
    handle = tar.extractfile(member)
    try:
        manifest = json.loads(handle.read(1 << 24).decode()) if handle else None
    except (ValueError, UnicodeDecodeError):
        manifest = None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT_VERSION
        or not isinstance(manifest.get("files"), list)
    ):
        raise BackupError(f"{source}: its {MANIFEST} is unreadable or of another version.")
    return manifest


def _check_member(
    member: tarfile.TarInfo, listed: dict[str, Any], staging: Path, source: Path
) -> None:
    """Refuse anything but a listed regular file (or a folder) landing inside the target."""
    name = member.name
    if not (member.isfile() or member.isdir()):
        raise BackupError(f"{source}: member '{name}' is a link or device; refused.")
    if name.startswith("/") or ".." in Path(name).parts or "\\" in name:
        raise BackupError(f"{source}: member '{name}' points outside the folder; refused.")
    if resolve_inside(staging, name, allow_outside=False) is None:
        raise BackupError(f"{source}: member '{name}' points outside the folder; refused.")
    if member.isfile() and (name not in listed or listed[name]["size"] != member.size):
        raise BackupError(f"{source}: member '{name}' is not as its manifest lists it.")


def _extract_one(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    entry: dict[str, Any],
    staging: Path,
    source: Path,
) -> None:
    out = staging / member.name
    out.parent.mkdir(parents=True, exist_ok=True)
    handle = tar.extractfile(member)
    assert handle is not None  # a regular file (checked)
    digest = hashlib.sha256()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as sink:
        while block := handle.read(1 << 20):
            digest.update(block)
            sink.write(block)
    if digest.hexdigest() != entry["sha256"]:
        raise BackupError(f"{source}: '{member.name}' is damaged (its SHA-256 differs).")
    os.chmod(out, member.mode & 0o755 if member.name != KEY_FILE else 0o600)
    os.utime(out, (member.mtime, member.mtime))


__all__ = ["BackupError", "BackupResult", "RestoreResult", "backup_project", "restore_project"]
