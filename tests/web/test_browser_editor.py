"""The theory editor in a real browser (Debian's chromium through Playwright): add a node,
connect it by dragging, see a diagnostic name it, save, reload, undo and redo; and
screenshots of the editor on the simulator's theory (build/screenshots/editor-*.png)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from decisionframe.project import Project
from decisionframe.web import create_app
from tests.web.browser import SHOTS, chromium, needs_chromium, serving

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytestmark = needs_chromium


@pytest.fixture
def served(web_source: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The no-accounts app on a copy of the small simulated project, on a free port."""
    folder = tmp_path / "org"
    shutil.copytree(web_source, folder)
    with serving(create_app(folder), name="localhost") as url:
        yield url, folder


@pytest.fixture
def page(served):  # type: ignore[no-untyped-def]
    with chromium() as browser:
        tab = browser.new_page(viewport={"width": 1500, "height": 950})
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error"
                and "favicon" not in m.text
                and "404" not in m.text
                and "422" not in m.text  # the refused rename, on purpose
                else None
            ),
        )
        tab.errors = errors  # type: ignore[attr-defined]
        yield tab


def _open(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/editor")
    page.wait_for_selector("#editor[data-ready=yes]", timeout=20_000)


def _draft(page) -> dict:  # type: ignore[no-untyped-def]
    return page.evaluate("window.dfEditor.draft()")  # type: ignore[no-any-return]


def _node_ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [n["id"] for n in _draft(page)["nodes"]]


def _screen_xy(page, node_id: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    box = page.locator("#ed-canvas").bounding_box()
    pos = page.evaluate(f"window.dfEditor.cy.getElementById('{node_id}').renderedPosition()")
    return box["x"] + pos["x"], box["y"] + pos["y"]


def test_add_connect_check_save_reload_undo(page, served) -> None:  # type: ignore[no-untyped-def]
    url, folder = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    _open(page, url)
    assert page.locator("#ed-identifications li").count() == 4  # the four assumption arrows
    page.screenshot(path=str(SHOTS / "editor-demo.png"))

    # Add a node: the live check names it (nothing leads to or from it yet).
    page.fill("#ed-add-id", "trust_survey")
    page.select_option("#ed-add-kind", "mediator")
    page.click("#ed-add button[type=submit]")
    assert "trust_survey" in _node_ids(page)
    expect(page.locator("#ed-diagnostics")).to_contain_text("trust_survey", timeout=10_000)

    # Connect it: draw an arrow by dragging from 'respect' to the new node.
    page.click("#ed-draw")
    sx, sy = _screen_xy(page, "respect")
    tx, ty = _screen_xy(page, "trust_survey")
    page.mouse.move(sx, sy)
    page.mouse.down()
    for step in range(1, 16):
        page.mouse.move(sx + (tx - sx) * step / 15, sy + (ty - sy) * step / 15)
    page.mouse.up()
    page.click("#ed-draw")
    assert {"from": "respect", "to": "trust_survey"} in _draft(page)["edges"]
    assert page.evaluate("window.dfEditor.history()") == [
        "add node 'trust_survey'",
        "add arrow respect -> trust_survey",
    ]
    page.wait_for_timeout(600)  # the live check after the last edit
    page.screenshot(path=str(SHOTS / "editor-edited.png"))

    # Save, then the file holds it; reload, and the editor shows it.
    page.fill("#ed-message", "trust survey")
    page.click("#ed-save-button")
    expect(page.locator("#ed-status")).to_contain_text("Saved theory.yaml", timeout=15_000)
    text = Project(folder).theory_path.read_text(encoding="utf-8")
    assert "id: trust_survey" in text
    assert "# 2 points more housed" in text  # comments kept
    page.reload()
    page.wait_for_selector("#editor[data-ready=yes]", timeout=20_000)
    assert "trust_survey" in _node_ids(page)
    assert {"from": "respect", "to": "trust_survey"} in _draft(page)["edges"]
    expect(page.locator("#ed-versions")).to_contain_text("trust survey", timeout=10_000)
    # The undo history outlives the reload (sessionStorage), the file being as saved.
    assert page.evaluate("window.dfEditor.history()") == [
        "add node 'trust_survey'",
        "add arrow respect -> trust_survey",
    ]

    # Delete the node, undo brings it back with its arrow, redo deletes it again.
    x, y = _screen_xy(page, "trust_survey")
    page.mouse.click(x, y)
    page.click("#ed-delete")
    assert "trust_survey" not in _node_ids(page)
    page.click("#ed-undo")
    assert "trust_survey" in _node_ids(page)
    assert {"from": "respect", "to": "trust_survey"} in _draft(page)["edges"]
    page.click("#ed-redo")
    assert "trust_survey" not in _node_ids(page)
    page.click("#ed-undo")

    # Rename it from its id field: the arrow follows; an id in use is refused.
    page.evaluate("window.dfEditor.cy.getElementById('trust_survey').emit('tap')")
    page.fill("#ed-node-id", "respect")
    page.press("#ed-node-id", "Tab")
    expect(page.locator("#ed-status")).to_contain_text("already a node 'respect'", timeout=10_000)
    page.fill("#ed-node-id", "survey_trust")
    page.press("#ed-node-id", "Tab")
    expect(page.locator("#ed-status")).to_contain_text("Renamed", timeout=10_000)
    assert {"from": "respect", "to": "survey_trust"} in _draft(page)["edges"]
    page.click("#ed-undo")
    assert "trust_survey" in _node_ids(page)

    # An arrow's assumption card, and a node's measure picker from the store's columns.
    # (selected through Cytoscape's own events: where an arrow's middle falls depends on
    # the layout, and the mouse flows above are what this test is about)
    page.evaluate(
        "(() => { const e = window.dfEditor.cy.getElementById('e:respect -> housed_180');"
        " e.emit('tap'); e.emit('mouseover'); })()"
    )
    assert page.input_value("#ed-claim") == "Respectful treatment keeps people housed"
    page.screenshot(path=str(SHOTS / "editor-assumption.png"))
    page.evaluate("window.dfEditor.cy.getElementById('respect').emit('tap')")
    options = page.locator("#ed-measure option").all_inner_texts()
    assert any(o.startswith("touchpoints.respect · ") and "% missing" in o for o in options)
    page.screenshot(path=str(SHOTS / "editor-node.png"))
    assert page.errors == []  # type: ignore[attr-defined]
