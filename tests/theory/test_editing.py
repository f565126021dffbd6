"""The editor's service layer: state with columns and evidence, live check, save, layout,
renaming a node."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from decisionframe.errors import ProblemsError
from decisionframe.project import Project
from decisionframe.theory.bindings import bindings
from decisionframe.theory.editing import (
    diagnose,
    editor_state,
    history,
    read_layout,
    rename_node,
    save,
)
from decisionframe.theory.model import Theory


def test_state_check_and_save_round_trip(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    state = editor_state(project)
    assert state["theory"]["question"].startswith("Does how we treat people")
    columns = {(c["table"], c["column"]): c for c in state["columns"]}
    wait = columns[("touchpoints", "wait_minutes")]
    assert wait["logical_type"] == "float"
    assert 0.0 <= wait["missing_share"] < 1.0
    assert ("clients", "client_id") not in columns  # identifiers are not measures
    assert "housed" in state["outcomes"]
    assert state["evidence"] == []  # nothing analyzed yet
    assert state["diagnosis"]["kind"] == "theory-diagnosis"

    draft = dict(state["theory"])
    draft["nodes"] = [*draft["nodes"], {"id": "leaflets", "kind": "intervention"}]
    found = diagnose(project, draft)
    assert any(d.rule == "theory-isolated" and d.nodes == ("leaflets",) for d in found.diagnostics)
    draft["nodes"][-1] = {
        "id": "leaflets",
        "kind": "intervention",
        "measure": {"column": "no_such_column"},
    }
    assert [d.rule for d in diagnose(project, draft).errors] == ["theory-measure-column"]

    draft["nodes"][-1] = {"id": "leaflets", "kind": "intervention", "counterfactual": "none"}
    draft["edges"] = [*draft["edges"], {"from": "leaflets", "to": "housed_180"}]
    version = save(
        project, draft, positions={"leaflets": {"x": 10, "y": 20}}, author="ana", message="m"
    )
    assert version is not None
    assert yaml.safe_load(project.theory_path.read_text()) == draft
    assert read_layout(project) == {"leaflets": {"x": 10.0, "y": 20.0}}
    assert [v.author for v in history(project)] == ["ana", "(written by hand)"]


def _simulated_draft(project_dir: Path) -> dict:
    return yaml.safe_load(Project(project_dir).theory_path.read_text())  # type: ignore[no-any-return]


def test_rename_node_is_followed_by_arrows_decision_and_binding(project_dir: Path) -> None:
    draft = _simulated_draft(project_dir)
    before = copy.deepcopy(draft)
    renamed = rename_node(draft, "respect", "respectful_contact")
    assert draft == before  # the caller's draft is untouched (the editor keeps it for undo)
    ids = [n["id"] for n in renamed["nodes"]]
    assert "respect" not in ids
    assert ids.index("respectful_contact") == [n["id"] for n in draft["nodes"]].index("respect")
    ends = {(e["from"], e["to"]) for e in renamed["edges"]}
    assert ("respectful_contact", "housed_180") in ends
    assert ("respectful_contact", "trust") in ends
    assert not any("respect" in pair for pair in ends)
    card = next(
        e for e in renamed["edges"] if e["from"] == "respectful_contact" and "assumption" in e
    )
    assert card["assumption"]["claim"] == "Respectful treatment keeps people housed"
    levers = [option["set"] for option in renamed["decision"]["options"]]
    assert all(next(iter(s)) == "respectful_contact" for s in levers)  # its place kept
    # The objective follows too, and the result is still a valid theory.
    again = rename_node(renamed, "housed_180", "housed_6m")
    assert again["decision"]["objective"] == "housed_6m"
    theory = Theory.model_validate(again)
    assert next(e.label for e in theory.assumption_edges) == "respectful_contact -> housed_6m"


def test_rename_keeps_what_an_implicit_measure_reads() -> None:
    """``measure: {}`` reads the clients column of the node's own name: a renamed node
    must go on reading the old column, so it is written out."""
    draft = {
        "nodes": [
            {"id": "age", "kind": "context", "measure": {}},
            {"id": "y", "kind": "outcome", "measure": {"table": "outcomes", "outcome": "y"}},
        ],
        "edges": [{"from": "age", "to": "y"}],
    }
    renamed = rename_node(draft, "age", "age_at_intake")
    (binding,) = [
        b for b in bindings(Theory.model_validate(renamed)).values() if b.table == "clients"
    ]
    assert (binding.node, binding.column) == ("age_at_intake", "age")
    assert rename_node(renamed, "y", "y2")["nodes"][1]["measure"] == draft["nodes"][1]["measure"]


@pytest.mark.parametrize(
    ("old", "new", "rule", "words"),
    [
        ("respect", "trust", "theory-rename-clash", "there is already a node 'trust'"),
        ("respect", "2fast", "theory-rename-id", "letters, digits and _"),
        ("respect", "has space", "theory-rename-id", "letters, digits and _"),
        ("no_such_node", "x", "theory-rename", "no such node"),
    ],
)
def test_rename_refuses_a_clash_or_a_bad_id(
    project_dir: Path, old: str, new: str, rule: str, words: str
) -> None:
    draft = _simulated_draft(project_dir)
    with pytest.raises(ProblemsError) as refused:
        rename_node(draft, old, new)
    (problem,) = refused.value.problems
    assert problem.rule == rule
    assert words in problem.message
    assert "has space" not in problem.message
    assert "no_such_node" not in problem.message


def test_state_reads_the_theory_without_aliases(project_dir: Path) -> None:
    """The editor read theory.yaml with a plain safe_load: PyYAML shares aliased nodes, so
    a few hundred bytes of nested aliases came back as millions of strings once the answer
    was JSON (a "billion laughs" through the viewer's /editor/state.json, #13)."""
    import json

    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 8)}]" for i in range(1, 7)]
    (project_dir / "theory.yaml").write_text("\n".join(lines) + "\nnodes: *a6\n")
    state = editor_state(Project(project_dir))
    assert state["theory"] == {}
    assert len(json.dumps(state)) < 100_000
