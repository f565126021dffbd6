"""Open a report in headless Chromium (Playwright driving Debian's chromium) and check it.

Checks, each a failure when broken:
- no console error or warning and no page error, with the network off;
- every chart drawn (Plotly's SVG inside every ``.chart``), with no toolbar;
- no overflow: every chart title, axis title, tick label and legend entry lies inside its
  chart's box; every figure caption, heading and table cell fits its box; every label in
  the theory diagram lies inside its node's box and inside the drawing;
- accessibility: every chart has an accessible name and a text description, every table
  header cell has a scope, headings do not skip a level, every text has WCAG AA contrast
  with its background, and Tab reaches the links and charts;
- the file is under 1.5 MB.
A screenshot of each section is saved under build/browser-check/ (section-<id>.png).

Usage: ``python tools/check_report.py`` builds a small simulated organization end to end
(simulate, import, analyze, decide, demand, report) and checks its report;
``python tools/check_report.py REPORT.html`` checks an existing report. `make test` runs the
same check inside pytest (tests/report/test_browser_check.py), on the report of the suite's
shared pipeline organization, in parallel with the other tests; `make browser-check` runs
this script alone. Both install Debian's chromium if missing. Never downloads a browser:
Playwright is pointed at the system's chromium.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "build" / "browser-check"
MAX_BYTES = 1_500_000
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Runs in the page: returns a list of problems (strings).
_OVERFLOW_JS = """
() => {
  const problems = [];
  const inside = (inner, outer, slack) =>
    inner.left >= outer.left - slack && inner.right <= outer.right + slack &&
    inner.top >= outer.top - slack && inner.bottom <= outer.bottom + slack;
  const name = (el) => (el.textContent || "").trim().slice(0, 60);
  for (const chart of document.querySelectorAll(".chart")) {
    const box = chart.getBoundingClientRect();
    const texts = chart.querySelectorAll(
      ".gtitle, .xtitle, .ytitle, .xtick text, .ytick text, .legendtext, .annotation-text");
    for (const t of texts) {
      const r = t.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (!inside(r, box, 1)) problems.push(`chart ${chart.id}: '${name(t)}' overflows its chart`);
    }
  }
  for (const el of document.querySelectorAll(
      "figcaption, h1, h2, h3, h4, th, td, .chart-text, .badge, li, p")) {
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible") {
      problems.push(`${el.tagName.toLowerCase()} '${name(el)}' is wider than its box`);
    }
  }
  for (const table of document.querySelectorAll("table")) {
    const section = table.closest("section").getBoundingClientRect();
    if (table.getBoundingClientRect().right > section.right + 1)
      problems.push(`table '${name(table)}' runs out of its section`);
  }
  const svg = document.querySelector(".diagram svg");
  if (svg) {
    const whole = svg.getBoundingClientRect();
    for (const g of svg.querySelectorAll("g")) {
      const rect = g.querySelector("rect");
      if (!rect) continue;
      const box = rect.getBoundingClientRect();
      for (const t of g.querySelectorAll("text")) {
        if (!inside(t.getBoundingClientRect(), box, 1))
          problems.push(`diagram: '${name(t)}' overflows its box`);
      }
      if (!inside(box, whole, 1)) problems.push(`diagram: box '${name(g)}' is cut off`);
    }
  }
  return problems;
}
"""

_A11Y_JS = """
() => {
  const problems = [];
  for (const chart of document.querySelectorAll(".chart")) {
    const label = chart.getAttribute("aria-labelledby");
    const desc = chart.getAttribute("aria-describedby");
    const ok = (id) => id && document.getElementById(id) &&
      document.getElementById(id).textContent.trim().length > 10;
    if (chart.getAttribute("role") !== "img" || !ok(label) || !ok(desc))
      problems.push(`chart ${chart.id} has no accessible name or description`);
    if (chart.tabIndex < 0) problems.push(`chart ${chart.id} is not keyboard reachable`);
    if (chart.querySelector(".modebar-container .modebar"))
      problems.push(`chart ${chart.id} shows a toolbar`);
  }
  for (const th of document.querySelectorAll("th")) {
    if (!th.getAttribute("scope")) problems.push(`th '${th.textContent.trim()}' has no scope`);
  }
  let last = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = Number(h.tagName[1]);
    if (level > last + 1) problems.push(`heading '${h.textContent.trim()}' skips a level`);
    last = level;
  }
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  for (const el of document.body.querySelectorAll("*:not(script):not(style)")) {
    if (el.closest("svg, .chart")) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.getClientRects().length === 0) continue;
    const style = getComputedStyle(el);
    const a = lum(rgb(style.color).slice(0, 3)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) problems.push(
      `contrast ${ratio.toFixed(2)} < ${need}: '${el.textContent.trim().slice(0, 40)}'`);
  }
  return problems;
}
"""


def _launch() -> Any:
    from playwright.sync_api import sync_playwright

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        sys.exit("chromium not found: run `make browser-check` (it installs Debian's chromium)")
    manager = sync_playwright().start()
    browser = manager.chromium.launch(executable_path=binary, args=ARGS)
    return manager, browser


def check(report: Path, out: Path = OUT) -> list[str]:
    """Every problem the browser finds in ``report``; screenshots land in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    size = report.stat().st_size
    print(f"report size: {size:,} bytes ({size / 1e6:.2f} MB)")
    if size > MAX_BYTES:
        problems.append(f"the report is {size:,} bytes, over {MAX_BYTES:,}")
    manager, browser = _launch()
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "data:"))
                else route.abort()
            ),
        )
        console: list[str] = []
        page.on(
            "console",
            lambda m: (
                console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
            ),
        )
        page.on("pageerror", lambda e: console.append(f"page error: {e}"))
        page.goto(report.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(500)
        problems += console
        charts = page.locator(".chart").count()
        drawn = page.evaluate(
            "[...document.querySelectorAll('.chart')].filter(c => c.querySelector('.main-svg'))"
            ".length"
        )
        print(f"charts: {charts}; drawn: {drawn}")
        if drawn < charts:
            problems.append(f"only {drawn} of {charts} charts were drawn")
        overflow = page.evaluate(_OVERFLOW_JS)
        a11y = page.evaluate(_A11Y_JS)
        print(f"overflow problems: {len(overflow)}; accessibility problems: {len(a11y)}")
        problems += overflow + a11y
        problems += _keyboard(page)
        for element in page.locator("header.hero, main > section").all():
            name = element.get_attribute("id") or "header"
            path = out / f"section-{name}.png"
            element.screenshot(path=str(path))
            print(f"screenshot: {path}")
    finally:
        browser.close()
        manager.stop()
    return problems


def _keyboard(page: Any) -> list[str]:
    """Tab from the top must reach the skip link, the section links and a chart."""
    page.keyboard.press("Tab")
    reached = {page.evaluate("document.activeElement.className")}
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.add(
            page.evaluate("document.activeElement.className || document.activeElement.tagName")
        )
    missing = [c for c in ("skip", "chart") if not any(c in r for r in reached)]
    return [f"Tab never reaches a {c}" for c in missing]


def build_demo_report(folder: Path) -> Path:
    from decisionframe.project import Project
    from decisionframe.report import build_report
    from decisionframe.simulate import simulate_project

    simulate_project(folder, n_clients=6000, seed=2)
    project = Project(folder)
    project.import_data()
    project.analyze(seed=0)
    project.decide(draws=4000)
    project.demand()
    return build_report(project, out=OUT / "report.html")


def check_pdf(report: Path) -> list[str]:
    """`decisionframe report --pdf`'s printer: a PDF of several pages, one per section."""
    from decisionframe.report import page_count, print_pdf

    pdf = print_pdf(report, out=OUT / "report.pdf")
    pages = page_count(pdf)
    print(f"PDF: {pdf} ({pages} pages, {pdf.stat().st_size:,} bytes)")
    return [] if pages >= 3 else [f"the PDF has {pages} pages"]


def main(argv: list[str]) -> int:
    if argv:
        report = Path(argv[0])
        problems = check(report) + check_pdf(report)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report = build_demo_report(Path(tmp) / "org")
            problems = check(report) + check_pdf(report)
    for problem in problems[:40]:
        print("  " + problem)
    if problems:
        print(f"browser check FAILED: {len(problems)} problems")
        return 1
    print("browser check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
