"""docs/walkthrough.md runs as written: its Python blocks, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

WALKTHROUGH = Path(__file__).resolve().parents[1] / "docs" / "walkthrough.md"


def test_the_walkthrough_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("tempfile.mkdtemp", lambda: str(tmp_path))
    blocks = re.findall(r"```python\n(.*?)```", WALKTHROUGH.read_text(), re.S)
    assert len(blocks) >= 6
    namespace: dict[str, object] = {}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"{WALKTHROUGH.name} block {number}", "exec")
        exec(code, namespace)
