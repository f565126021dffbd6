"""Staff labelling: roles and CSRF on the queue, labels stored with who and when (and
audited), agreement on a hand-made case, pseudonyms only, and web labels training the
next demand and voice runs."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from decisionframe.accounts import Role
from decisionframe.demand import classify_demand
from decisionframe.labels.agreement import agreement_of
from decisionframe.labels.queue import entropy
from decisionframe.labels.records import comment_consensus, contact_consensus
from decisionframe.project import Project
from tests.web.conftest import BASE, csrf_of

PAGES = ("/labels", "/labels.json", "/labels?kind=comment", "/labels.json?kind=comment")


def _first_item(client, kind: str = "contact") -> str:  # type: ignore[no-untyped-def]
    return str(client.get(f"/labels.json?kind={kind}").json()[f"{kind}s"][0]["item_id"])


@pytest.mark.parametrize("who", [None, *Role])
def test_queue_pages_for_every_role(client_as, who) -> None:  # type: ignore[no-untyped-def]
    client = client_as(who)
    for path in PAGES:
        answer = client.get(path, follow_redirects=False)
        if who is None:
            assert answer.status_code in (303, 401), path
        elif who < Role.labeller:
            assert answer.status_code == 403, (path, who)
        else:
            assert answer.status_code == 200, (path, who)
    agreement = client.get("/labels/agreement.json", follow_redirects=False)
    assert agreement.status_code == (401 if who is None else 200)


@pytest.mark.parametrize("who", [None, *Role])
def test_label_writes_for_every_role(client_as, who) -> None:  # type: ignore[no-untyped-def]
    labeller = client_as(Role.labeller)
    item = _first_item(labeller)
    client = client_as(who)
    token = csrf_of(client) if who is not None else "none"
    answer = client.post(
        "/labels",
        data={"kind": "contact", "item_id": item, "tag": "3"},
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
        follow_redirects=False,
    )
    if who is None:
        assert answer.status_code in (401, 403)
    elif who < Role.labeller:
        assert answer.status_code == 403
    else:
        assert answer.status_code == 201, answer.text
        assert answer.json()["username"] == f"{who.name}1"


def test_writes_refused_without_csrf(client_as, web_project: Path) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.labeller)
    item = _first_item(client)
    before = _labels(web_project)
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        answer = client.post(
            "/labels", data={"kind": "contact", "item_id": item, "tag": "1"}, headers=headers
        )
        assert answer.status_code == 403
    form = client.post(
        "/labels",
        data={"kind": "contact", "item_id": item, "tag": "1", "csrf_token": "forged"},
    )
    assert form.status_code == 403
    assert len(_labels(web_project)) == len(before)


def _labels(folder: Path) -> pd.DataFrame:
    with Project(folder).open_store(read_only=True) as store:
        return store.frame("SELECT * FROM df_labels ORDER BY labelled_at")


def test_label_stored_with_who_and_when_and_audited(local_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = local_client
    token = csrf_of(client)
    contact, comment = _first_item(client), _first_item(client, "comment")
    themes = [t["id"] for t in client.get("/labels.json?kind=comment").json()["themes"]]
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    done = client.post(
        "/labels", data={"kind": "contact", "item_id": contact, "tag": "4"}, headers=headers
    )
    assert done.status_code == 200
    assert 'data-done="1"' in done.text
    assert "error correction" in done.text
    client.post(
        "/labels",
        data={"kind": "comment", "item_id": comment, "themes": themes[:2]},
        headers=headers,
    )
    # Unknown tag, unknown theme, unknown item: refused, nothing stored.
    for bad in (
        {"kind": "contact", "item_id": contact, "tag": "9"},
        {"kind": "comment", "item_id": comment, "themes": ["no_such_theme"]},
        {"kind": "contact", "item_id": "T-not-there", "tag": "1"},
        {"kind": "nonsense", "item_id": contact, "tag": "1"},
    ):
        assert client.post("/labels", data=bad, headers=headers).status_code in (400, 409)
    stored = _labels(tmp_path / "org")
    stored["reason"] = stored["reason"].astype(object).where(stored["reason"].notna(), None)
    assert stored[["item_kind", "item_id", "label", "reason", "username"]].values.tolist() == [
        ["contact", contact, "failure", "error correction", "local"],
        ["comment", comment, ";".join(sorted(themes[:2])), None, "local"],
    ]
    end = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1)
    assert all(start <= t.to_pydatetime() <= end for t in stored["labelled_at"])
    with Project(tmp_path / "org").open_store(read_only=True) as store:
        audit = store.rows("SELECT username, detail FROM df_audit WHERE action = 'label.add'")
    assert [(u, json.loads(d)["item_id"]) for u, d in audit] == [
        ("local", contact),
        ("local", comment),
    ]
    # Labelled items leave your queue and are listed as yours after a reload.
    page = client.get("/labels.json").json()
    assert contact not in [c["item_id"] for c in page["contacts"]]
    assert page["mine"][0]["item_id"] == contact
    assert page["mine"][0]["label"] == "failure"


def test_agreement_on_a_hand_made_case() -> None:
    a = list("vvvvvvffff")
    b = ["v", "v", "v", "v", "f", "f", "f", "f", "f", "v"]
    rows = [(f"i{i}", "a", x) for i, x in enumerate(a)]
    rows += [(f"i{i}", "b", x) for i, x in enumerate(b)]
    rows.append(("i0", "c", "v"))  # a third person labels one item only
    latest = pd.DataFrame(rows, columns=["item_id", "username", "label"])
    result = agreement_of(latest, kind="contact")
    assert (result.labelled_items, result.labellers, result.shared_items) == (10, 3, 10)
    # Cohen's kappa, a and b: observed 7/10; chance 0.6 * 0.5 + 0.4 * 0.5 = 0.5;
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    pairs = {(p.first, p.second): p for p in result.pairs}
    assert pairs[("a", "b")].items == 10
    assert pairs[("a", "b")].observed == 0.7
    assert pairs[("a", "b")].cohen_kappa == pytest.approx(0.4)
    assert pairs[("a", "c")].items == 1
    assert pairs[("a", "c")].cohen_kappa is None
    # Fleiss' kappa over the 9 items with two labellers (i1..i9): observed 6/9 agree;
    # category shares v 9/18, f 9/18, chance 0.5; kappa = (2/3 - 1/2) / (1/2) = 1/3.
    assert (result.fleiss_items, result.fleiss_raters) == (9, 2)
    assert result.fleiss_kappa == pytest.approx(1 / 3, abs=1e-4)
    # Pairs of labels agreeing: 6 of 9 on i1..i9, 3 of 3 on i0 -> 9 / 12.
    assert result.observed == 0.75


def test_agreement_undefined_when_everyone_says_the_same() -> None:
    latest = pd.DataFrame(
        [("i1", "a", "v"), ("i1", "b", "v"), ("i2", "a", "v"), ("i2", "b", "v")],
        columns=["item_id", "username", "label"],
    )
    result = agreement_of(latest, kind="contact")
    assert result.observed == 1.0
    assert result.fleiss_kappa is None
    assert result.pairs[0].cohen_kappa is None


def test_consensus_and_entropy() -> None:
    latest = pd.DataFrame(
        [
            ("t1", "a", "failure"),
            ("t1", "b", "failure"),
            ("t1", "c", "value"),
            ("t2", "a", "value"),
            ("t2", "b", "failure"),  # a tie: no class
            ("t3", "a", "unsure"),  # casts no vote
        ],
        columns=["item_id", "username", "label"],
    )
    assert contact_consensus(latest).values.tolist() == [["t1", "failure"]]
    themes = pd.DataFrame(
        [("f1", "a", "x;y"), ("f1", "b", "x"), ("f1", "c", "none"), ("f2", "a", "none")],
        columns=["item_id", "username", "label"],
    )
    assert comment_consensus(themes).values.tolist() == [["f1", "x"], ["f2", "none"]]
    assert entropy(0.5) == 1.0
    assert entropy(0.0) == 0.0
    assert entropy(0.1) == pytest.approx(0.4690, abs=1e-4)


def test_only_pseudonyms_and_scrubbed_text_are_shown(client_as, web_project: Path) -> None:  # type: ignore[no-untyped-def]
    raw_ids = set(pd.read_csv(web_project / "data" / "clients.csv")["client_id"].astype(str))
    truth = json.loads((web_project / "truth.json").read_text())
    planted = truth["voice"]["planted_pii"]
    assert planted.get("name"), "the simulator planted no name"
    assert planted.get("phone"), "the simulator planted no phone number"
    client = client_as(Role.labeller)
    texts = []
    for path in PAGES:
        sep = "&" if "?" in path else "?"
        texts.append(client.get(f"{path}{sep}limit=500").text)
    texts.append(client.get("/labels/agreement").text)
    everything = "\n".join(texts)
    comments = client.get("/labels.json?kind=comment&limit=500").json()["comments"]
    assert len(comments) > 200  # every comment of the fixture was looked at
    assert "[name]" in everything
    assert "[phone]" in everything
    words = set(re.findall(r"[\w'-]+", everything))
    assert not raw_ids & words, "a raw client id shown"
    assert not set(planted["name"]) & words, "a planted name shown"
    assert not [phone for phone in planted["phone"] if phone in everything]
    # Client pseudonyms are shown shortened, never in full.
    with Project(web_project).open_store(read_only=True) as store:
        pseudonyms = {str(r[0]) for r in store.rows("SELECT DISTINCT client_id FROM feedback")}
    assert len(pseudonyms) > 100
    assert not pseudonyms & words


def test_web_labels_train_the_next_demand_and_voice_runs(web_source: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from decisionframe.web import create_app

    folder = tmp_path / "org"
    shutil.copytree(web_source, folder)
    project = Project(folder)
    with project.open_store(read_only=True) as store:  # the run's classification step
        assert classify_demand(store, project.config.demand) is None  # 24 labels: too few
    with TestClient(create_app(folder), base_url=BASE) as client:
        token = csrf_of(client)
        contacts = client.get("/labels.json?limit=12").json()["contacts"]
        for i, item in enumerate(contacts):
            client.post(
                "/labels",
                data={"kind": "contact", "item_id": item["item_id"], "tag": "3" if i % 2 else "1"},
                headers={"X-CSRF-Token": token},
            )
        comments = client.get("/labels.json?kind=comment&limit=5").json()
        theme = comments["themes"][0]["id"]
        for item in comments["comments"]:
            client.post(
                "/labels",
                data={"kind": "comment", "item_id": item["item_id"], "themes": [theme]},
                headers={"X-CSRF-Token": token},
            )
    after = project.demand()
    with_text = sum(1 for c in contacts if c["reason"])
    assert after.web_labels == with_text > 0
    assert after.text_classifier is not None
    assert after.text_classifier.web_labels == with_text
    assert after.text_classifier.labelled == 24 + with_text - _overlap(folder, contacts)
    assert after.text_classifier.decided > 0  # the classifier now decides contacts
    voice = project.voice()
    assert voice.web_labels == len(comments["comments"])


def _overlap(folder: Path, contacts: list[dict[str, object]]) -> int:
    """Web-labelled contacts that carried an imported label too (counted once)."""
    ids = [str(c["item_id"]) for c in contacts if c["reason"]]
    with Project(folder).open_store(read_only=True) as store:
        marks = ",".join("?" for _ in ids)
        return int(
            store.rows(
                "SELECT count(*) FROM touchpoints WHERE demand_label IS NOT NULL "
                f"AND touchpoint_id IN ({marks})",
                ids,
            )[0][0]
        )


def test_queue_scores_are_kept_until_a_label_or_import_changes_them(
    local_client, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Paging through the queue does not re-classify every contact; a new label (which
    changes the rules' and the classifier's probabilities) does."""
    from decisionframe.labels import queue

    computed: list[str] = []
    real = queue.contact_scores

    def counted(store, rules):  # type: ignore[no-untyped-def]
        scores = real(store, rules)
        computed.append(scores.version if scores else "")
        return scores

    monkeypatch.setattr(queue, "contact_scores", counted)
    client = local_client
    first = client.get("/labels.json").json()["contacts"]
    again = client.get("/labels.json").json()["contacts"]
    assert len(computed) == 1
    assert again == first
    headers = {"X-CSRF-Token": csrf_of(client), "HX-Request": "true"}
    item = first[0]["item_id"]
    answer = client.post(
        "/labels", data={"kind": "contact", "item_id": item, "tag": "3"}, headers=headers
    )
    assert answer.status_code == 200
    after = client.get("/labels.json").json()["contacts"]
    assert len(computed) == 2
    assert computed[0] != computed[1]
    assert item not in [c["item_id"] for c in after]


def test_kept_scores_give_the_queue_a_fresh_computation_gives(
    web_source: Path, tmp_path: Path
) -> None:
    """The queue ranked from kept scores equals the queue computed from nothing, before and
    after a user labels some of it (their labels leave their queue, not someone else's)."""
    from decisionframe.labels.queue import contact_queue, contact_scores
    from decisionframe.labels.records import add_label

    folder = tmp_path / "org"
    shutil.copytree(web_source, folder)
    project = Project(folder)
    rules = project.config.demand
    with project.open_store() as store:
        first, _ = contact_queue(store, rules, username="a", limit=40)
        for item in first[:5]:
            add_label(store, kind="contact", item_id=item.item_id, label="failure",
                      reason=None, username="a")  # fmt: skip
        scores = contact_scores(store, rules)
        for user in ("a", "b"):
            kept, _ = contact_queue(store, rules, username=user, limit=40, scores=scores)
            fresh, _ = contact_queue(store, rules, username=user, limit=40)
            assert kept == fresh
            labelled = {i.item_id for i in first[:5]}
            assert labelled.isdisjoint(i.item_id for i in kept) == (user == "a")
