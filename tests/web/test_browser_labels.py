"""The labelling keyboard flow in a real browser: Debian's chromium driven by Playwright.

Signs in as a labeller, opens the queue, moves with j/k, tags two contacts with digit keys,
reloads and finds the labels kept; tags a comment's theme with a digit and Enter; opens
the agreement page. The page runs under the app's strict CSP (no inline script), so this
also shows labels.js and htmx work with it. Screenshots: build/screenshots/labels-*.png.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from decisionframe.accounts import Role, add_user
from decisionframe.project import Project
from tests.web.browser import SHOTS, chromium, needs_chromium, serving
from tests.web.conftest import PASSWORD

pytestmark = needs_chromium


@pytest.fixture
def served(web_source: Path, tmp_path: Path) -> Iterator[str]:
    """The app on a loopback port, in a thread, over a fresh copy with one labeller."""
    from decisionframe.web import create_app

    folder = tmp_path / "org"
    shutil.copytree(web_source, folder)
    with Project(folder).open_store() as store:
        add_user(store, "labeller1", PASSWORD, Role.labeller, by="test")
    with serving(create_app(folder)) as url:
        yield url


def test_labelling_with_the_keyboard(served: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        # Script errors and CSP violations are console errors; a failed load is checked
        # by its address below (the browser's own favicon.ico request is no page's).
        page.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.on(
            "response",
            lambda r: (
                errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{served}/login")
        page.fill("#username", "labeller1")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{served}/overview")

        page.goto(f"{served}/labels")
        items = page.locator("#queue > li.item")
        expect(items.nth(0)).to_have_class("item current")
        first, second = (items.nth(i).get_attribute("data-item") for i in (0, 1))
        page.screenshot(path=str(SHOTS / "labels-queue.png"), full_page=False)

        page.keyboard.press("j")
        expect(items.nth(1)).to_have_class("item current")
        page.keyboard.press("j")
        page.keyboard.press("k")
        page.keyboard.press("k")
        expect(items.nth(0)).to_have_class("item current")
        page.keyboard.press("3")  # failure: progress chasing
        expect(page.locator(f'#queue li[data-item="{first}"]')).to_have_attribute("data-done", "1")
        expect(page.locator(f'#queue li[data-item="{second}"]')).to_have_class("item current")
        page.keyboard.press("1")  # value: new request
        expect(page.locator(f'#queue li[data-item="{second}"]')).to_have_attribute("data-done", "1")
        page.screenshot(path=str(SHOTS / "labels-tagged.png"), full_page=False)

        page.reload()
        mine = page.locator("#mine > li")
        expect(mine).to_have_count(2)
        expect(page.locator(f'#mine li[data-item="{first}"] .label-value')).to_have_text("failure")
        expect(page.locator(f'#mine li[data-item="{second}"] .label-value')).to_have_text("value")
        assert page.locator(f'#queue li[data-item="{first}"]').count() == 0
        page.locator("#mine-h").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "labels-kept-after-reload.png"), full_page=False)

        page.goto(f"{served}/labels?kind=comment")
        comment = page.locator("#queue > li.item").nth(0)
        theme = comment.locator('input[data-key="1"]').get_attribute("value")
        comment_item = comment.get_attribute("data-item")
        page.keyboard.press("1")
        expect(comment.locator('input[data-key="1"]')).to_be_checked()
        page.screenshot(path=str(SHOTS / "labels-comments.png"), full_page=False)
        page.keyboard.press("Enter")
        expect(page.locator("#queue > li.item").nth(0)).to_have_attribute("data-done", "1")

        page.goto(f"{served}/labels/agreement")
        page.screenshot(path=str(SHOTS / "labels-agreement.png"), full_page=True)
    assert not errors, errors  # no CSP violation, no script error
    stored = _labels(tmp_path / "org")
    assert stored == [
        ("contact", first, "failure", "labeller1"),
        ("contact", second, "value", "labeller1"),
        ("comment", comment_item, theme, "labeller1"),
    ]


def _labels(folder: Path) -> list[tuple[str, str, str, str]]:
    with Project(folder).open_store(read_only=True) as store:
        return [
            (str(k), str(i), str(label), str(u))
            for k, i, label, u in store.rows(
                "SELECT item_kind, item_id, label, username FROM df_labels ORDER BY labelled_at"
            )
        ]
