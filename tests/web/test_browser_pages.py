"""The pages in a real browser: Debian's chromium driven by Playwright, against uvicorn on
loopback serving the analyzed 400-client project.

A sign-in; every page of #20 visited with no Content-Security-Policy violation or script
error, a screenshot of each saved to build/screenshots/ (gitignored); the simulator's
budget slider moved to its lowest end, after which the recommendation changes (on this
project a small budget favours the cheaper option: see test_pages' simulator test). The
whole file takes about 20 s; it is skipped where chromium is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.browser import SHOTS, chromium, needs_chromium, serving
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
