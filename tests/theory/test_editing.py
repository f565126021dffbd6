"""The editor's service layer: state with columns and evidence, live check, save, layout."""

from __future__ import annotations

from pathlib import Path

import yaml

from decisionframe.project import Project
from decisionframe.theory.editing import diagnose, editor_state, history, read_layout, save


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
