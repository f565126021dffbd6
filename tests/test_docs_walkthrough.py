"""docs/importing.md is run as written: its script, its first try (refused) and its config."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from decisionframe.errors import ImportValidationError
from decisionframe.project import Project

DOC = Path(__file__).resolve().parents[1] / "docs" / "importing.md"


def _block(text: str, tag: str) -> str:
    found = re.search(rf"```{re.escape(tag)}\n(.*?)```", text, flags=re.S)
    assert found, f"no ```{tag} block in {DOC.name}"
    return found.group(1)


def test_the_import_walkthrough_runs_as_written(tmp_path: Path) -> None:
    text = DOC.read_text("utf-8")
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        exec(compile(_block(text, "python walkthrough"), str(DOC), "exec"), {})
    finally:
        os.chdir(cwd)
    (tmp_path / "decisionframe.yaml").write_text(_block(text, "yaml first-try"), "utf-8")
    with pytest.raises(ImportValidationError) as info:
        Project(tmp_path).import_data()
    shown = str(info.value)
    for promised in (
        "[not-a-timestamp] 60 values cannot be read as timestamp: shaped NN/NN/NNNN NN:NN",
        "in 2 files (data/contacts_2025-01.csv, data/contacts_2025-02.csv)",
        "set `date_format: ['%d/%m/%Y %H:%M', '%d/%m/%Y']`",
        "Walk-in (20)",
        "values Yes (20), No (10)",
        "`values: {value: {'Yes': 1, 'No': 0}}`",
    ):
        assert promised in shown
        assert promised in text.replace("\n  ", " ")
    assert "CR-0" not in shown
    (tmp_path / "decisionframe.yaml").write_text(_block(text, "yaml final"), "utf-8")
    result = Project(tmp_path).import_data()
    assert {t.table: t.rows for t in result.tables} == {
        "clients": 30,
        "touchpoints": 60,
        "outcomes": 30,
    }
    assert "touchpoints: 'Respect Score' -> respect" in result.notes
    assert Project(tmp_path).import_data().unchanged
