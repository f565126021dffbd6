"""The demo report as a reader's browser sees it: tools/check_report.py's checks (console
errors, every chart drawn, overflow, accessibility, size, PDF pages), run inside the suite so
that `make test` runs them in parallel with the other tests rather than after them.

Here it checks the report of the suite's shared ``pipeline`` organization (1,500 clients taken
through every command, so every section of the report is there, voice and initiatives
included) instead of building a 6,000-client one of its own: the same checks, without half a
minute of simulating and analyzing again. `make browser-check` (the script alone) still builds
its own. Screenshots of each section and the PDF go to build/browser-check/.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import Pipeline
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


def test_the_pipeline_report_passes_the_browser_check(pipeline: Pipeline) -> None:
    script = _script()
    report = pipeline.folder / "reports" / "report.html"
    assert report.exists()
    problems = script.check(report) + script.check_pdf(report)
    assert not problems, problems[:20]
