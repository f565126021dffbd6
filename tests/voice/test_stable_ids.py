"""Theme ids stay the same as data is added: a month of feedback appended and re-imported."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from decisionframe.project import Project
from decisionframe.simulate.feedback import EMERGING_START, EMERGING_THEME
from decisionframe.voice import THEMES_TABLE
from decisionframe.voice.themes import match_previous
from tests.conftest import make_project


def test_every_theme_keeps_its_id_and_a_new_theme_gets_a_new_one(
    sim_cache: Path, tmp_path: Path
) -> None:
    folder = make_project(sim_cache, tmp_path / "org", n=5000, seed=1)
    path = folder / "data" / "feedback.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    given = pd.to_datetime(frame["given_on"])
    start = pd.Timestamp(EMERGING_START)
    project = Project(folder)
    runs = []
    # before the need emerges; a month appended; the remaining six months appended
    for upto in (start, start + pd.DateOffset(months=1), given.max() + pd.Timedelta(days=1)):
        frame[given < upto].to_csv(path, index=False)
        project.import_data()
        runs.append(project.voice())
    ids = [{t.id for t in run.themes} for run in runs]
    print([len(i) for i in ids], "themes; new at the end:", sorted(ids[2] - ids[0]))
    assert ids[0] <= ids[1], sorted(ids[0] - ids[1])
    assert ids[1] <= ids[2], sorted(ids[1] - ids[2])
    # The need planted from that month holds 12 comments in its first month (too few
    # for a theme at min_cell_size 11; a quarter is not enough either); with the rest of
    # the data it is a theme, under an id no earlier theme had.
    planted = {
        i
        for i, themes in json.loads((folder / "truth.json").read_text())["voice"][
            "comments"
        ].items()
        if EMERGING_THEME in themes
    }
    with project.open_store(read_only=True) as store:
        assignments = store.frame(f"SELECT feedback_id, theme FROM {THEMES_TABLE}")
    held = assignments[assignments["feedback_id"].isin(planted)]["theme"].value_counts()
    print(held.head(3).to_dict())
    assert held.index[0] in ids[2] - ids[0]


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (["upload", "portal", "error", "file", "page"], "d_old"),  # same words, reordered
        (["portal", "upload", "crash", "button", "site", "page"], "d_old"),  # top words kept
        (["parking", "car", "spaces", "fine"], None),  # unlike it: a new id
    ],
)
def test_discovered_themes_matched_to_earlier_ones(terms: list[str], expected: str | None) -> None:
    previous = {"d_old": ["upload", "portal", "page", "error", "file", "site"]}
    found = match_previous([terms], previous)[0]
    if expected is None:
        assert found != "d_old"
        assert found.startswith("d_")
    else:
        assert found == expected
