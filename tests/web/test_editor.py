"""The theory editor's JSON endpoints, in process: roles, CSRF, live checks, saving (the
saved file equals the edited theory and keeps its comments), versions, audit, DAGitty."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from decisionframe.accounts import Role, audit_log
from decisionframe.project import Project
from decisionframe.theory.model import Theory
from tests.web.conftest import csrf_of

WRITES = [
    "/editor/check",
    "/editor/rename",
    "/editor/implications",
    "/editor/save",
    "/editor/dagitty/export",
    "/editor/dagitty/import",
]
READS = ["/editor", "/editor/state.json", "/editor/versions.json", "/editor/dagitty.txt"]


def _state(client) -> dict:  # type: ignore[no-untyped-def]
    answer = client.get("/editor/state.json")
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("role", list(Role))
def test_roles_on_every_editor_route(client_as, role: Role) -> None:  # type: ignore[no-untyped-def]
    client = client_as(role)
    for path in READS:
        assert client.get(path).status_code == 200, (path, role)
    token = csrf_of(client)
    theory = _state(client)["theory"]
    body = {
        "theory": theory,
        "text": "dag { a -> b }",
        "positions": {},
        "old": "respect",
        "new": "respectful",
    }
    for path in WRITES:
        if path == "/editor/save" and role >= Role.analyst:
            continue  # saving is tried on a private copy below (this project is shared)
        answer = client.post(path, json=body, headers={"X-CSRF-Token": token})
        expected = 200 if role >= Role.analyst else 403
        assert answer.status_code == expected, (path, role, answer.text[:200])


def test_viewer_page_is_read_only(client_as) -> None:  # type: ignore[no-untyped-def]
    html = client_as(Role.viewer).get("/editor").text
    assert 'data-can-edit="no"' in html
    assert 'id="ed-save"' not in html
    assert 'id="ed-undo"' not in html
    assert 'data-can-edit="yes"' in client_as(Role.analyst).get("/editor").text
    assert _state(client_as(Role.viewer))["can_edit"] is False


def test_writes_need_the_csrf_token(local_client) -> None:  # type: ignore[no-untyped-def]
    theory_file = Project(local_client.app.state.web.directory).theory_path
    before = theory_file.read_text(encoding="utf-8")
    draft = _state(local_client)["theory"]
    draft["question"] = "changed"
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        for path in WRITES:
            body = {"theory": draft, "text": "", "old": "respect", "new": "r2"}
            answer = local_client.post(path, json=body, headers=headers)
            assert answer.status_code == 403, (path, headers)
    assert theory_file.read_text(encoding="utf-8") == before


def test_state_lists_columns_with_type_and_missing_share(client_as) -> None:  # type: ignore[no-untyped-def]
    state = _state(client_as(Role.viewer))
    columns = {(c["table"], c["column"]): c for c in state["columns"]}
    respect = columns[("touchpoints", "respect")]
    assert respect["logical_type"]
    assert 0.0 <= respect["missing_share"] <= 1.0
    assert "housed" in state["outcomes"]
    assert [n["id"] for n in state["theory"]["nodes"]][:2] == ["case_complexity", "prior_episodes"]
    assert state["evidence"] == []  # not analysed: no arrow has a verdict yet
    assert state["diagnosis"]["identifications"]


def test_check_names_the_variable(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.analyst)
    token = csrf_of(client)
    draft = _state(client)["theory"]
    draft["nodes"].append({"id": "leaflets", "kind": "intervention"})
    answer = client.post("/editor/check", json={"theory": draft}, headers={"X-CSRF-Token": token})
    found = answer.json()["diagnostics"]
    no_path = [d for d in found if "leaflets" in d["nodes"]]
    assert no_path
    assert "leaflets" in no_path[0]["message"]
    # A cycle is an error naming its nodes, and the identifications are then left out.
    draft["edges"].append({"from": "housed_180", "to": "respect"})
    answer = client.post("/editor/check", json={"theory": draft}, headers={"X-CSRF-Token": token})
    errors = [d for d in answer.json()["diagnostics"] if d["severity"] == "error"]
    assert any(d["rule"] == "theory-cycle" and "respect" in d["nodes"] for d in errors)
    # Every assumption of the saved theory has its strategy and adjustment set.
    idents = _state(client)["diagnosis"]["identifications"]
    respect = next(i for i in idents if i["treatment"] == "respect")
    assert respect["strategy"] == "backdoor"
    assert set(respect["adjustment_set"]) == {"case_complexity", "prior_episodes"}


def test_implications_endpoint_answers_in_words_and_catches_a_deleted_arrow(client_as) -> None:  # type: ignore[no-untyped-def]
    """POST /editor/implications on the 400-client simulated project: the JSON the page
    reads (every statement with its verdict, p-value after Holm and a sentence that names
    the nodes by their labels); the arrow the shipped theory leaves out (case complexity
    raises earlier episodes) fails; deleting a true arrow of the draft makes its pair fail
    too. The library side, on 3,000 clients and the full true graph, is
    tests/theory/test_implications.py."""
    client = client_as(Role.analyst)
    token = csrf_of(client)
    draft = _state(client)["theory"]

    def tested(theory: dict) -> dict:
        answer = client.post(
            "/editor/implications", json={"theory": theory}, headers={"X-CSRF-Token": token}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    result = tested(draft)
    assert result["kind"] == "implications"
    assert result["summary"].startswith("9 implications tested: ")
    assert result["method"].startswith("generalised covariance measure")
    tests = {frozenset((t["x"], t["y"])): t for t in result["tests"]}
    assert {t["verdict"] for t in tests.values()} <= {"holds", "fails", "not tested"}
    for t in tests.values():
        assert {"given", "n", "p_value", "p_adjusted", "partial_r"} <= t.keys()
        assert t["n"] > 200  # clients with both nodes (and the given ones) measured
        assert "_" not in t["sentence"].split("“")[1].split("”")[0]  # labels, not ids
    missing = tests[frozenset(("case_complexity", "prior_episodes"))]
    assert missing["verdict"] == "fails"
    assert missing["p_adjusted"] < 0.001
    assert missing["sentence"].startswith(
        "“Case complexity assessed at intake (1-5)” and “Earlier episodes of homelessness” "
        "are related"
    )
    assert missing["sentence"].endswith("is an arrow missing, or a common cause?")
    held = tests[frozenset(("respect", "followup"))]
    assert held["verdict"] == "holds"
    assert held["given"] == ["case_complexity", "prior_episodes"]

    cut = copy.deepcopy(draft)
    cut["edges"] = [
        e for e in cut["edges"] if (e["from"], e["to"]) != ("case_complexity", "wait_minutes")
    ]
    assert frozenset(("case_complexity", "wait_minutes")) not in tests  # joined by an arrow
    after = {frozenset((t["x"], t["y"])): t for t in tested(cut)["tests"]}
    assert after[frozenset(("case_complexity", "wait_minutes"))]["verdict"] == "fails"

    broken = copy.deepcopy(draft)
    broken["edges"].append({"from": "housed_180", "to": "respect"})
    refused = client.post(
        "/editor/implications", json={"theory": broken}, headers={"X-CSRF-Token": token}
    )
    assert refused.status_code == 422
    assert any(d["rule"] == "theory-cycle" for d in refused.json()["diagnostics"])


def test_rename_endpoint_follows_arrows_and_refuses_a_clash(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.analyst)
    token = csrf_of(client)
    draft = _state(client)["theory"]

    def rename(old: str, new: str):  # type: ignore[no-untyped-def]
        body = {"theory": draft, "old": old, "new": new}
        return client.post("/editor/rename", json=body, headers={"X-CSRF-Token": token})

    answer = rename("followup", "followup_call")
    assert answer.status_code == 200, answer.text
    renamed = answer.json()["theory"]
    assert {"followup_call", "followup"} & {n["id"] for n in renamed["nodes"]} == {"followup_call"}
    arrow = next(e for e in renamed["edges"] if e["from"] == "followup_call")
    assert arrow["to"] == "housed_180"
    assert arrow["assumption"]["estimand"] == "ATT"
    assert all("followup_call" in o["set"] for o in renamed["decision"]["options"])
    check = client.post("/editor/check", json={"theory": renamed}, headers={"X-CSRF-Token": token})
    assert not [d for d in check.json()["diagnostics"] if d["severity"] == "error"]

    clash = rename("followup", "respect")
    assert clash.status_code == 422
    assert clash.json()["problems"][0]["rule"] == "theory-rename-clash"
    assert "already a node 'respect'" in clash.json()["problems"][0]["message"]
    bad = rename("followup", "9 lives")
    assert bad.status_code == 422
    assert "9 lives" not in bad.text


def _edited(draft: dict) -> dict:
    edited = copy.deepcopy(draft)
    edited["nodes"].append({"id": "survey_trust", "kind": "mediator", "label": "Trust survey"})
    edited["edges"].append({"from": "respect", "to": "survey_trust"})
    followup = next(n for n in edited["nodes"] if n["id"] == "followup")
    followup["counterfactual"] = "No call after the first visit"
    arrow = next(e for e in edited["edges"] if e["from"] == "respect" and e["to"] == "housed_180")
    arrow["assumption"]["claim"] = "Respect keeps people housed"
    return edited


def test_saved_theory_equals_the_edited_one_and_keeps_comments(local_client) -> None:  # type: ignore[no-untyped-def]
    folder = Path(local_client.app.state.web.directory)
    theory_file = Project(folder).theory_path
    before = theory_file.read_text(encoding="utf-8")
    comments = [line.split("#", 1)[1] for line in before.splitlines() if "#" in line]
    assert comments
    token = csrf_of(local_client)
    edited = _edited(_state(local_client)["theory"])
    positions = {"survey_trust": {"x": 500, "y": 120.5}}
    answer = local_client.post(
        "/editor/save",
        json={"theory": edited, "positions": positions, "message": "trust survey"},
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["saved"] is True
    after = theory_file.read_text(encoding="utf-8")
    assert Theory.model_validate(yaml.safe_load(after)) == Theory.model_validate(edited)
    assert all(c in after for c in comments)  # every comment kept
    # Reloading the editor gives back the edited theory and the layout.
    state = _state(local_client)
    assert Theory.model_validate(state["theory"]) == Theory.model_validate(edited)
    assert state["positions"]["survey_trust"] == {"x": 500.0, "y": 120.5}
    # The version, its diff and its author; the audit log names the user.
    versions = local_client.get("/editor/versions.json").json()["versions"]
    assert versions[0]["author"] == "local"
    assert versions[0]["message"] == "trust survey"
    assert "+  - id: survey_trust" in versions[0]["diff"]
    assert versions[-1]["author"] == "(written by hand)"
    with Project(folder).open_store(read_only=True) as store:
        entry = audit_log(store, limit=5)[0]
    assert entry.username == "local"
    assert entry.action == "theory.saved"
    assert entry.detail["version"] == versions[0]["version_id"]


def test_invalid_draft_is_refused_and_nothing_written(local_client) -> None:  # type: ignore[no-untyped-def]
    theory_file = Project(local_client.app.state.web.directory).theory_path
    before = theory_file.read_text(encoding="utf-8")
    token = csrf_of(local_client)
    draft = _state(local_client)["theory"]
    draft["nodes"][0]["measure"] = {"table": "clients", "column": "no_such_column"}
    answer = local_client.post(
        "/editor/save", json={"theory": draft}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 422
    assert answer.json()["problems"]
    assert theory_file.read_text(encoding="utf-8") == before
    assert local_client.get("/editor/versions.json").json()["versions"] == []


def test_dagitty_round_trip_through_the_api(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.analyst)
    token = csrf_of(client)
    draft = _state(client)["theory"]
    text = client.post(
        "/editor/dagitty/export", json={"theory": draft}, headers={"X-CSRF-Token": token}
    ).json()["text"]
    assert "respect -> housed_180" in text
    assert "motivation [latent]" in text
    assert client.get("/editor/dagitty.txt").text == text
    back = client.post(
        "/editor/dagitty/import",
        json={"theory": draft, "text": text},
        headers={"X-CSRF-Token": token},
    )
    assert Theory.model_validate(back.json()["theory"]) == Theory.model_validate(draft)
    # An arrow drawn in DAGitty arrives; the rest of the draft is kept.
    more = text.replace("}\n", "case_complexity -> prior_episodes\n}\n")
    grown = client.post(
        "/editor/dagitty/import",
        json={"theory": draft, "text": more},
        headers={"X-CSRF-Token": token},
    ).json()["theory"]
    assert {"from": "case_complexity", "to": "prior_episodes"} in grown["edges"]
    bad = client.post(
        "/editor/dagitty/import",
        json={"theory": draft, "text": "dag { a -> b -> a }"},
        headers={"X-CSRF-Token": token},
    )
    assert bad.status_code == 422
