"""The demo report as a reader's browser sees it: tools/check_report.py's checks (console
errors, every chart drawn, overflow, accessibility, size, PDF pages), run inside the suite so
that `make test` runs them in parallel with the other tests rather than after them.

The script builds a 6,000-client simulated organization end to end and writes screenshots of
each section and the PDF to build/browser-check/.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.web.browser import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]
SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "check_report.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_report", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_demo_report_passes_the_browser_check(tmp_path: Path) -> None:
    script = _script()
    report = script.build_demo_report(tmp_path / "org")
    problems = script.check(report) + script.check_pdf(report)
    assert not problems, problems[:20]
