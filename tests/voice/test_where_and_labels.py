"""Where a comment was given, and what a discovered theme is called.

A survey export often records the channel itself; voice must use it (before, only the
touchpoint's channel counted, so a need planted in one channel read "no single channel").
A discovered theme that is only a guided theme's other phrasing is not shown twice, and a
theme's name does not repeat a word ("people thank / people / help").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from decisionframe.config import GuidedTheme
from decisionframe.store import DuckDBStore
from decisionframe.voice.analyze import read_comments
from decisionframe.voice.themes import _not_guided_again, discovered_label, find_themes


def _store(path: Path, *, with_touchpoints: bool) -> DuckDBStore:
    store = DuckDBStore(path)
    store.execute(
        "CREATE TABLE feedback (feedback_id VARCHAR, text VARCHAR, given_on DATE, "
        "channel VARCHAR, touchpoint_id VARCHAR)"
    )
    store.execute(
        "INSERT INTO feedback VALUES ('f1', 'the app crashed', DATE '2025-09-02', 'web', 't1'),"
        " ('f2', 'long wait', DATE '2025-09-03', 'phone', 't2'),"
        " ('f3', 'kind staff', DATE '2025-09-04', NULL, 't3')"
    )
    if with_touchpoints:
        store.execute(
            "CREATE TABLE touchpoints (touchpoint_id VARCHAR, client_id VARCHAR, "
            "started_at TIMESTAMP, channel VARCHAR, unit VARCHAR)"
        )
        store.execute(
            "INSERT INTO touchpoints VALUES ('t1', 'c1', TIMESTAMP '2025-09-01', 'email', 'a'),"
            " ('t2', 'c2', TIMESTAMP '2025-09-01', 'email', 'b'),"
            " ('t3', 'c3', TIMESTAMP '2025-09-01', 'in_person', 'c')"
        )
    return store


def test_the_feedback_exports_own_channel_is_where_the_comment_was_given(
    tmp_path: Path,
) -> None:
    with _store(tmp_path / "a.duckdb", with_touchpoints=False) as store:
        alone = read_comments(store).set_index("feedback_id")
    assert alone["channel"].tolist()[:2] == ["web", "phone"]
    with _store(tmp_path / "b.duckdb", with_touchpoints=True) as store:
        joined = read_comments(store).set_index("feedback_id")
    # The comment's own channel wins; the touchpoint's fills a gap; units come from there.
    assert joined["channel"].tolist() == ["web", "phone", "in_person"]
    assert joined["unit"].tolist() == ["a", "b", "c"]


def test_a_discovered_label_does_not_repeat_its_words() -> None:
    terms = ("people thank", "people", "thank help", "friendly", "help", "thank")
    assert discovered_label(terms) == "people thank / friendly / help"
    assert discovered_label(("app", "upload", "crashes", "app crash")) == "app / upload / crashes"
    assert discovered_label(("waiting", "waiting")) == "waiting"


def test_a_component_inside_a_guided_theme_is_not_a_new_theme() -> None:
    guided = np.zeros((10, 1), dtype=bool)
    guided[:6, 0] = True
    discovered = np.zeros((10, 2), dtype=bool)
    discovered[:4, 0] = True  # all four inside the guided theme
    discovered[5:10, 1] = True  # one of five inside
    assert _not_guided_again(discovered, guided) == [1]
    assert _not_guided_again(discovered, np.zeros((10, 0), dtype=bool)) == [0, 1]


def test_guided_themes_other_phrasings_are_not_shown_again() -> None:
    rng = np.random.default_rng(4)
    waits = ["on hold for an hour", "kept on hold forever", "hold music then cut off"]
    other = ["waited forty minutes before anyone picked up", "waited ages till someone picked up"]
    crash = ["the app crashes on upload", "upload in the app fails", "app froze on upload"]
    kind = ["staff were kind and patient", "a kind and patient advisor"]
    pool = [*waits, *other, *crash, *kind]
    texts = [str(rng.choice(pool)) for _ in range(600)]
    guided = {"waiting": GuidedTheme(label="Waiting", seeds=["hold", "wait*"])}
    model = find_themes(texts, guided=guided, discover=3)
    member = dict(zip(model.ids, model.membership.T, strict=True))
    waiting = member["waiting"]
    for theme_id, kind_ in zip(model.ids, model.kinds, strict=True):
        if kind_ == "discovered":
            rows = member[theme_id]
            assert waiting[rows].mean() < 0.6, model.terms[model.ids.index(theme_id)]
    assert any("app" in t or "upload" in t for t in model.labels)
