"""backup / restore: a project comes back exactly; the key only when asked; no escapes."""

from __future__ import annotations

import io
import json
import logging
import stat
import tarfile
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from decisionframe.backup import BackupError, backup_project, restore_project
from decisionframe.cli import app
from decisionframe.project import Project
from tests.conftest import assert_same_store, make_project, store_snapshot

DOCS = Path(__file__).resolve().parent.parent / "docs" / "schemas"


@pytest.fixture(scope="module")
def imported(sim_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_project(sim_cache, tmp_path_factory.mktemp("backup") / "org")
    project = Project(folder)
    project.import_data()
    project.plan()
    project.demand()  # a saved run, so runs round-trip too
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_round_trip_is_exact(imported: Path, tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    key = (imported / ".decisionframe" / "key").read_text().strip()
    runner = CliRunner()
    with caplog.at_level(logging.DEBUG):
        made = runner.invoke(
            app, ["backup", str(imported), str(tmp_path / "b.tar.gz"), "--with-key"]
        )
        assert made.exit_code == 0, made.output
        back = runner.invoke(app, ["restore", str(tmp_path / "b.tar.gz"), str(tmp_path / "r")])
        assert back.exit_code == 0, back.output
    assert key not in made.output + back.output + caplog.text
    assert stat.S_IMODE((tmp_path / "b.tar.gz").stat().st_mode) == 0o600  # it holds the key
    assert _files(tmp_path / "r") == _files(imported)
    assert_same_store(store_snapshot(imported), store_snapshot(tmp_path / "r"))  # table by table
    restored = Project(tmp_path / "r")
    assert restored.latest("demand") is not None
    assert restored.import_data().unchanged  # same key, same files: nothing to do


def test_key_left_out_unless_asked(imported: Path, tmp_path: Path) -> None:
    result = backup_project(imported, tmp_path / "nokey.tar.gz")
    assert not result.key_included
    assert any("key is not in this archive" in n for n in result.notes)
    with tarfile.open(tmp_path / "nokey.tar.gz") as tar:
        assert ".decisionframe/key" not in tar.getnames()
        assert ".decisionframe/store.duckdb" in tar.getnames()
    restored = restore_project(tmp_path / "nokey.tar.gz", tmp_path / "r")
    assert not restored.key_restored
    for item in (result, restored):  # typed, with a published schema, round-tripping
        schema = json.loads((DOCS / f"{item.kind}.schema.json").read_text())
        jsonschema.validate(item.to_dict(), schema)
        assert type(item).from_dict(json.loads(json.dumps(item.to_dict()))) == item
    assert not (tmp_path / "r" / ".decisionframe" / "key").exists()


def test_refuses_archive_inside_project_or_existing(imported: Path, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="inside the project"):
        backup_project(imported, imported / "reports" / "b.tar.gz")
    (tmp_path / "there.tar.gz").write_text("x")
    with pytest.raises(BackupError, match="exists already"):
        backup_project(imported, tmp_path / "there.tar.gz")
    assert (tmp_path / "there.tar.gz").read_text() == "x"


def _evil_archive(path: Path, name: str, *, link: bool = False) -> None:
    with tarfile.open(path, "w:gz") as tar:
        manifest = json.dumps(
            {"format": 1, "files": [{"name": name, "size": 4, "sha256": "0" * 64}]}
        ).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        info = tarfile.TarInfo(name)
        if link:
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
        else:
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))


@pytest.mark.parametrize(
    ("name", "link"),
    [("../escaped.txt", False), ("/tmp/abs.txt", False), ("data/link.csv", True)],
)
def test_restore_refuses_members_that_escape(tmp_path: Path, name: str, link: bool) -> None:
    _evil_archive(tmp_path / "evil.tar.gz", name, link=link)
    with pytest.raises(BackupError, match="refused"):
        restore_project(tmp_path / "evil.tar.gz", tmp_path / "out" / "r")
    assert not (tmp_path / "out" / "r").exists()
    assert not (tmp_path / "out" / "escaped.txt").exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == []  # no staging left behind


def test_restore_refuses_damage_and_a_non_empty_target(imported: Path, tmp_path: Path) -> None:
    backup_project(imported, tmp_path / "b.tar.gz")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("keep")
    with pytest.raises(BackupError, match="not empty"):
        restore_project(tmp_path / "b.tar.gz", tmp_path / "full")
    assert (tmp_path / "full" / "mine.txt").read_text() == "keep"
    data = (tmp_path / "b.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(BackupError):
        restore_project(tmp_path / "cut.tar.gz", tmp_path / "r")
    assert not (tmp_path / "r").exists()
