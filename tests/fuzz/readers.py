"""Fuzz targets for the CSV and YAML readers (issue #13): any bytes give a result or a
located decisionframe error, never another exception. Used by tests (a few seconds) and by
bench/bench_fuzz.py (longer, printing how many inputs were tried)."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from decisionframe.errors import DecisionframeError
from decisionframe.project import Project
from decisionframe.yamlfile import read_located_yaml

CONFIG = """name: Fuzz
sources:
  clients: {path: data/clients.csv}
privacy:
  min_cell_size: 11
  pseudonymize: [client_id]
"""


def fuzz_csv(data: bytes, workdir: Path) -> None:
    """Import ``data`` as the clients file of a fresh project in ``workdir``."""
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    (workdir / "decisionframe.yaml").write_text(CONFIG, encoding="utf-8")
    (workdir / "data" / "clients.csv").write_bytes(data)
    try:
        Project(workdir).import_data()
    except DecisionframeError as exc:
        if hasattr(exc, "problems") and not exc.problems:
            raise AssertionError("a refused import must name its problems") from exc


def fuzz_yaml(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "decisionframe.yaml"
        path.write_bytes(data)
        with contextlib.suppress(DecisionframeError):
            read_located_yaml(path)
