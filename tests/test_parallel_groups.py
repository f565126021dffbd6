"""`make test` runs on two workers and relies on xdist groups to build an expensive shared
fixture once. pytest 9.2 silently dropped the groups (every test ran wherever, each worker
built every fixture, and the PostgreSQL role set-up raced): this catches a return of that."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import xdist_group_of

GROUPED = """
import os
import pytest

@pytest.mark.xdist_group("shared")
@pytest.mark.parametrize("i", range(6))
def test_grouped(i):
    print("WORKER", i, os.environ["PYTEST_XDIST_WORKER"])
"""


def test_xdist_keeps_a_group_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED, "utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-p",
            "no:cacheprovider",
            "-s",
            "-v",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_grouped.py::test_grouped[0]@shared" in done.stdout
    workers = {line.split()[-1] for line in done.stdout.splitlines() if "WORKER" in line}
    assert len(workers) <= 1


class _Item:
    def __init__(self, nodeid: str, fixtures: tuple[str, ...], params: dict[str, str]) -> None:
        self.nodeid = nodeid
        self.fixturenames = fixtures
        self.callspec = type("CallSpec", (), {"params": params})()


@pytest.mark.parametrize(
    ("fixtures", "params", "group"),
    [
        (("tmp_path", "pg_role"), {}, "postgres"),
        (("analyzed",), {"analyzed": "service-matters"}, "analyzed-service-matters"),
        (("pipeline", "tmp_path"), {}, "pipeline"),
        (("tmp_path",), {}, "tests/x/test_y.py"),
    ],
)
def test_groups(fixtures: tuple[str, ...], params: dict[str, str], group: str) -> None:
    item = _Item("tests/x/test_y.py::test_z", fixtures, params)
    assert xdist_group_of(item) == group  # type: ignore[arg-type]
