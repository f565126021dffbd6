"""Open a freshly built report in headless Chromium: no console errors, every chart drawn.

Builds a small simulated organization end to end (simulate, import, analyze, decide,
demand, report), loads the report from disk with the network off, saves a screenshot and
fails if the browser logged a console error or warning, or if any chart div stayed empty.
Run by `make test` (target browser-check), which installs Debian's chromium if missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from decisionframe.project import Project
from decisionframe.report import build_report
from decisionframe.simulate import simulate_project

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--virtual-time-budget=15000",
    "--enable-logging=stderr",
    "--v=0",
]
OUT = Path("build/browser-check")


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        sys.exit("chromium not found: run `make browser-check` (it installs Debian's chromium)")
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "org"
        simulate_project(folder, n_clients=6000, seed=2)
        project = Project(folder)
        project.import_data()
        project.analyze(seed=0)
        project.decide(draws=4000)
        project.demand()
        report = build_report(project, out=OUT / "report.html")
        url = report.resolve().as_uri()
        html = report.read_text(encoding="utf-8")
        expected = len(re.findall(r'class="chart"', html))
        dom = _chromium(["--dump-dom", url], Path(tmp) / "profile-dom")
        drawn = len(re.findall(r'class="[^"]*\bjs-plotly-plot\b', dom.stdout))
        shot = _chromium(
            [f"--screenshot={(OUT / 'screenshot.png').resolve()}", "--window-size=1280,3000", url],
            Path(tmp) / "profile-shot",
        )
    console = [line for line in (dom.stderr + shot.stderr).splitlines() if ":CONSOLE" in line]
    problems = [line for line in console if re.search(r"error|warn|uncaught", line, re.I)]
    print(f"charts in the report: {expected}; drawn by the browser: {drawn}")
    print(f"console messages: {len(console)}; errors or warnings: {len(problems)}")
    print(f"screenshot: {OUT / 'screenshot.png'}")
    for line in problems[:20]:
        print("  " + line)
    if drawn < expected or problems or not (OUT / "screenshot.png").exists():
        print("browser check FAILED")
        return 1
    print("browser check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
