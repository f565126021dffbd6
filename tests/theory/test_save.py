"""Saving an edited theory keeps comments and order, refuses errors, keeps every version;
DAGitty text goes out and comes back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from decisionframe.errors import TheoryError
from decisionframe.simulate.theory_yaml import THEORY_YAML
from decisionframe.store import DuckDBStore
from decisionframe.theory import load_theory
from decisionframe.theory.dagitty import parse_dagitty, theory_from_dagitty, to_dagitty
from decisionframe.theory.save import save_theory, theory_data, version_text, versions


@pytest.fixture
def theory_file(tmp_path: Path) -> Path:
    path = tmp_path / "theory.yaml"
    path.write_text(THEORY_YAML.format(name="Test"), encoding="utf-8")
    return path


def _edited(path: Path) -> dict[str, Any]:
    data = dict(yaml.safe_load(path.read_text()))
    data["nodes"].append(
        {
            "id": "trust_survey",
            "kind": "mediator",
            "label": "Trust (survey item)",
            "measure": {"table": "clients", "column": "trust_score"},
        }
    )
    data["edges"].append({"from": "respect", "to": "trust_survey"})
    data["edges"].append({"from": "trust_survey", "to": "housed_180"})
    data["edges"] = [e for e in data["edges"] if e != {"from": "motivation", "to": "housed_180"}]
    data["edges"][11]["assumption"]["claim"] = "Respect keeps people housed, directly"
    data["question"] = "Does respect keep people housed?"
    return data


def test_saved_theory_equals_the_edited_one_and_keeps_comments(
    theory_file: Path, tmp_path: Path
) -> None:
    before = theory_file.read_text()
    data = _edited(theory_file)
    with DuckDBStore(tmp_path / "store.duckdb") as store:
        version = save_theory(theory_file, data, author="ana", message="trust survey", store=store)
        assert version is not None
        history = versions(store)
        assert [v.author for v in history] == ["ana", "(written by hand)"]
        assert type(version).from_dict(json.loads(json.dumps(version.to_dict()))) == version
        assert version_text(store, history[1].version_id) == before
        assert version_text(store, history[0].version_id) == theory_file.read_text()
    after = theory_file.read_text()
    assert yaml.safe_load(after) == data  # saved equals edited
    assert load_theory(theory_file).node("trust_survey").label == "Trust (survey item)"
    for comment in (
        "# Impact theory of Test (written by `decisionframe simulate`).",
        "# 2 points more housed per rating point would change our plans",
        "# Standard: rushed contacts as today for hard cases, no follow-up; room for 4,000 a year.",
    ):
        assert comment in after
    assert "counterfactual: >-" in after  # folded text stays folded
    assert "  - {from: respect, to: trust_survey}" in after  # new plain edge in the file's style
    assert "motivation, to: housed_180" not in after
    # the order of what was there is kept: question first, nodes before edges
    assert after.index("question:") < after.index("nodes:") < after.index("edges:")
    # the diff names only what changed
    changed = [
        line
        for line in version.diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(changed) <= 12, changed
    assert "ana" in version.summary()


def test_unchanged_theory_is_not_a_new_version(theory_file: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(theory_file.read_text())
    before = theory_file.read_text()
    with DuckDBStore(tmp_path / "store.duckdb") as store:
        assert save_theory(theory_file, data, author="ana", store=store) is None
        assert versions(store) == []
    assert theory_file.read_text() == before  # byte for byte: nothing rewritten


def test_a_theory_with_errors_is_refused_and_nothing_written(theory_file: Path) -> None:
    data = _edited(theory_file)
    data["edges"].append({"from": "housed_180", "to": "respect"})
    before = theory_file.read_text()
    with pytest.raises(TheoryError) as info:
        save_theory(theory_file, data, author="ana")
    rules = {p.rule for p in info.value.problems}
    assert "theory-cycle" in rules
    assert theory_file.read_text() == before


def test_a_measure_the_store_does_not_hold_is_refused(theory_file: Path) -> None:
    data = _edited(theory_file)
    catalogue = {
        "clients": ["client_id", "case_complexity", "prior_episodes", "case_worker_followup"],
        "touchpoints": ["respect", "explained_next_steps", "wait_minutes"],
        "outcomes": ["outcome", "value"],
    }
    with pytest.raises(TheoryError, match="not saved") as info:
        save_theory(theory_file, data, author="ana", catalogue=catalogue, outcomes=["housed"])
    assert [p.rule for p in info.value.problems] == ["theory-measure-column"]


def test_theory_data_of_a_loaded_theory_saves_to_the_same_text(theory_file: Path) -> None:
    before = theory_file.read_text()
    data = theory_data(load_theory(theory_file))
    save_theory(theory_file, data, author="ana")
    assert theory_file.read_text() == before


def test_dagitty_export_round_trips(theory_file: Path) -> None:
    theory = load_theory(theory_file)
    text = to_dagitty(theory)
    assert "motivation [latent]" in text
    assert "respect [exposure]" in text
    assert "housed_180 [outcome]" in text
    graph = parse_dagitty(text)
    assert set(graph.edges) == {(e.source, e.target) for e in theory.edges}
    assert {n for n, m in graph.nodes(data="measured") if not m} == {"motivation", "trust"}
    # back into the theory it came from: the same theory, assumptions and measures kept
    assert theory_from_dagitty(text, base=theory) == theory
    # and DAGitty -> theory -> DAGitty keeps the graph
    drawn = (
        'dag { "case mix" -> t [exposure]; t -> y [outcome]; "case mix" -> y; u [latent]; u -> y }'
    )
    new = theory_from_dagitty(drawn)
    kinds = {n.id: n.kind for n in new.nodes}
    assert kinds == {"case_mix": "context", "t": "intervention", "y": "outcome", "u": "context"}
    assert new.node("case_mix").label == "case mix"
    assert not new.node("u").measured
    assert new.node("t").measured
    again = parse_dagitty(to_dagitty(new))
    assert set(again.edges) == {("case_mix", "t"), ("t", "y"), ("case_mix", "y"), ("u", "y")}


def test_dagitty_import_adds_an_arrow_and_keeps_the_rest(theory_file: Path) -> None:
    theory = load_theory(theory_file)
    text = to_dagitty(theory).replace("}\n", "case_complexity -> prior_episodes\n}\n")
    updated = theory_from_dagitty(text, base=theory)
    assert len(updated.edges) == len(theory.edges) + 1
    assert updated.assumption_edges == theory.assumption_edges
    assert updated.decision == theory.decision


def test_a_renamed_node_keeps_its_comments_and_those_of_its_arrows(theory_file: Path) -> None:
    """The editor sends the renamed theory, not the rename: saving recognises the node
    under its new id, so the comments above it, beside its id and on its arrows stay
    (they went with the old id before), and a lever it is keeps its place."""
    from decisionframe.theory.editing import rename_node

    text = theory_file.read_text().replace(
        "  - id: respect\n",
        "  # Respect: the rating clients give at each visit.\n"
        "  - id: respect   # the heart of the theory\n",
    )
    theory_file.write_text(text)
    renamed = rename_node(yaml.safe_load(text), "respect", "respectful")
    save_theory(theory_file, renamed, author="ana")
    after = theory_file.read_text()
    assert yaml.safe_load(after) == renamed
    for comment in (
        "  # Respect: the rating clients give at each visit.\n  - id: respectful",
        "- id: respectful # the heart of the theory",
        "# 2 points more housed per rating point would change our plans",
        "# Standard: rushed contacts as today",
    ):
        assert comment in after, comment
    assert "set: {respectful: 3, explained_next_steps: 3, followup: 0}" in after


def test_a_deleted_node_leaves_its_comments_behind(theory_file: Path) -> None:
    """A node deleted and a different one added is no rename: the deleted node's comment
    does not move onto the new node."""
    text = theory_file.read_text().replace(
        "  - id: trust\n", "  # Trust: not measured yet.\n  - id: trust\n"
    )
    theory_file.write_text(text)
    data = yaml.safe_load(text)
    data["nodes"] = [n for n in data["nodes"] if n["id"] != "trust"]
    data["edges"] = [e for e in data["edges"] if "trust" not in (e["from"], e["to"])]
    data["nodes"].append({"id": "belonging", "kind": "mediator"})
    save_theory(theory_file, data, author="ana")
    assert "Trust: not measured yet" not in theory_file.read_text()
