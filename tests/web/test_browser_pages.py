"""The pages in a real browser: Debian's chromium driven by Playwright, against uvicorn on
loopback serving the analyzed 400-client project.

A sign-in; every page of #20 visited with no Content-Security-Policy violation or script
error, a screenshot of each saved to build/screenshots/ (gitignored); the simulator's
budget slider moved to its lowest end, after which the recommendation changes (on this
project a small budget favours the cheaper option: see test_pages' simulator test); the
theory editor on a laptop's screen (1366x768) with every arrow in its verdict's colour; the
evidence page's chart without a gap under it; a re-run shown on /runs without a reload.
The whole file takes under a minute; it is skipped where chromium is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.browser import SHOTS, chromium, count_colour, needs_chromium, png_pixels, serving
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]
PAGES = {
    "overview": "/overview",
    "evidence": "/evidence",
    "evidence-0": "/evidence/0",
    "demand": "/demand",
    "voice": "/voice",
    "initiatives": "/initiatives",
    "runs": "/runs",
    "simulator": "/simulator",
}


@pytest.fixture(scope="module")
def live(analyzed_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serving(analyzed_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def signed_in(browser, live) -> Iterator[tuple[Any, list[str]]]:  # type: ignore[no-untyped-def]
    """A page signed in as the analyst, and the console errors it meets (CSP included)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live}/overview")
    assert page.url.endswith("/login")  # accounts exist: nobody is let in unsigned
    page.fill("#username", "analyst1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/overview")
    assert "analyst1 (analyst)" in page.inner_text("header")
    yield page, problems
    context.close()


def test_sign_in_and_every_page(signed_in, live) -> None:  # type: ignore[no-untyped-def]
    page, problems = signed_in
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in PAGES.items():
        page.goto(f"{live}{path}")
        page.wait_for_load_state("networkidle")
        if page.locator("[data-chart]").count():
            page.wait_for_selector("[data-chart] .main-svg", timeout=10_000)  # Plotly drew
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        assert page.locator("main").count() == 1, path
    assert not problems, problems  # no CSP violation, no script error


def test_simulator_slider_moves_the_recommendation(signed_in, live) -> None:  # type: ignore[no-untyped-def]
    page, problems = signed_in
    page.goto(f"{live}/simulator")
    page.wait_for_selector("#simulation [data-chart] .main-svg", timeout=10_000)
    before = page.inner_text("#recommendation")
    budget = page.locator("#budget-0")
    budget.focus()
    with page.expect_response(lambda r: r.url.endswith("/simulator/what-if")) as answer:
        budget.press("Home")  # the lowest budget: a keyboard move, as a user would
    assert answer.value.status == 200
    page.wait_for_function(
        "before => document.querySelector('#recommendation').innerText !== before", arg=before
    )
    after = page.inner_text("#recommendation")
    assert after != before
    assert page.inner_text("#budget-0-out") == page.eval_on_selector(
        "#budget-0", "e => Number(e.value).toLocaleString('en', {maximumSignificantDigits: 4})"
    )
    page.wait_for_selector("#simulation [data-chart] .main-svg", timeout=10_000)
    page.screenshot(path=str(SHOTS / "simulator-moved.png"), full_page=True)
    assert not problems, problems


# Each assumption arrow as drawn: its classes, label and colour; whether its label is all
# on screen and whether a node's box covers any of it (model coordinates throughout).
ARROWS_JS = """(() => {
  const cy = window.dfEditor.cy, ext = cy.extent();
  const nodes = cy.nodes('.thing').map(n => n.boundingBox({includeLabels: false}));
  const meets = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  return cy.edges('.assumption').map(e => {
    const l = e.boundingBox({includeNodes: false, includeEdges: false, includeLabels: true});
    return {
      key: e.data('key'), classes: e.classes(), label: e.data('label'),
      colour: e.data('colour'), hidden: nodes.some(b => meets(l, b)),
      inside: l.w > 0 && l.x1 >= ext.x1 && l.x2 <= ext.x2 && l.y1 >= ext.y1 && l.y2 <= ext.y2,
    };
  });
})()"""


def test_editor_shows_each_verdict_on_its_arrow_on_a_laptop_screen(signed_in, live) -> None:  # type: ignore[no-untyped-def]
    """On the analyzed project every assumption arrow is drawn in its verdict's colour and
    says its verdict; on a 1366x768 screen the graph fills its canvas (it was a thin band
    of 8 px text across it), and no verdict hides behind a node (they were cut off)."""
    page, problems = signed_in
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live}/editor")
    page.wait_for_selector("#editor[data-ready=yes]", timeout=20_000)
    state = page.evaluate("fetch('/editor/state.json').then(r => r.json())")
    verdicts = {e["edge"]: e["verdict"] for e in state["evidence"]}
    assert len(verdicts) == 4
    drawn = page.evaluate(ARROWS_JS)
    for arrow in drawn:
        verdict = verdicts[arrow["key"]]
        assert "has-evidence" in arrow["classes"], arrow
        assert arrow["label"].split("\n")[0] == verdict
        assert arrow["colour"] == state["verdict_colours"][verdict]
        assert arrow["inside"], arrow  # the whole label is on the screen
        assert not arrow["hidden"], arrow  # and no node covers it
    canvas = page.locator("#ed-canvas").bounding_box()
    assert canvas["width"] >= 0.68 * 1366  # the side panel leaves the graph most of the width
    assert canvas["y"] + canvas["height"] <= 768  # and it fits the window
    graph = page.evaluate("window.dfEditor.cy.nodes('.thing').renderedBoundingBox()")
    assert graph["w"] >= 0.8 * canvas["width"]
    assert graph["h"] >= 0.6 * canvas["height"]  # the graph fills the canvas, not a band
    font = page.evaluate(
        "parseFloat(window.dfEditor.cy.nodes('.thing').first().renderedStyle('font-size'))"
    )
    assert font >= 11, font  # a node's words readable at this size
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = page.locator("#ed-canvas").screenshot(path=str(SHOTS / "editor-verdicts-1366.png"))
    _, _, rows = png_pixels(shot)
    for verdict in set(verdicts.values()):  # each verdict's colour is there to see
        assert count_colour(rows, state["verdict_colours"][verdict], tolerance=16) > 300, verdict
    assert not problems, problems


def test_evidence_chart_leaves_no_gap(signed_in, live) -> None:  # type: ignore[no-untyped-def]
    """The effect chart's box is as tall as the chart (a 170 px chart sat in a 320 px box,
    a blank gap under it)."""
    page, problems = signed_in
    page.goto(f"{live}/evidence/0")
    page.wait_for_selector("[data-chart] .main-svg", timeout=10_000)
    box = page.locator("[data-chart]").first
    chart = box.locator(".main-svg").first.bounding_box()
    assert abs(box.bounding_box()["height"] - chart["height"]) <= 2
    assert page.locator("#measure-next tbody tr").count() >= 1  # what the advice points to
    assert not problems, problems


def test_a_rerun_shows_on_the_runs_page_without_a_reload(signed_in, live) -> None:  # type: ignore[no-untyped-def]
    page, problems = signed_in
    page.goto(f"{live}/runs")
    row = page.locator("tr[data-kind=demand]")
    before = row.locator("code").inner_text()
    page.evaluate("window.loadedOnce = true")  # gone if the page were loaded again
    row.locator("button").click()
    page.wait_for_selector("#job .flash", timeout=120_000)  # "Run 1 (demand) finished: ..."
    page.wait_for_function(
        "b => document.querySelector('tr[data-kind=demand] code').innerText !== b", arg=before
    )
    assert page.evaluate("window.loadedOnce") is True
    assert "up to date" in row.inner_text()
    assert row.locator("button").is_enabled()
    page.screenshot(path=str(SHOTS / "runs-after-rerun.png"), full_page=True)
    assert not problems, problems
