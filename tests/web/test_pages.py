"""The pages of #20 (evidence, demand, voice, initiatives, runs, simulator): each route for
each role, CSRF on each write, the JSON twins, the disclosure layer, the empty states, the
simulator's what-ifs and a background re-run with its progress."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from decisionframe.accounts import Role, audit_log
from decisionframe.numbers import money, probability
from decisionframe.project import Project
from decisionframe.web import create_app
from tests.web.conftest import BASE, csrf_of

PAGES = ["/evidence", "/evidence/0", "/demand", "/voice", "/initiatives", "/runs", "/simulator"]
JSON = ["/evidence.json", "/evidence/0.json", "/demand.json", "/voice.json"]
JSON += ["/initiatives.json", "/runs.json", "/runs/job.json", "/simulator.json"]
ROLES = [None, *Role]


@pytest.mark.parametrize("who", ROLES, ids=lambda r: r.name if r else "nobody")
def test_every_page_for_every_role(analyzed_as, who) -> None:  # type: ignore[no-untyped-def]
    client = analyzed_as(who)
    for path in [*PAGES, *JSON, "/runs/job"]:
        answer = client.get(path, follow_redirects=False)
        if who is None:
            assert answer.status_code in (303, 401), path
            assert "sign in" in answer.text.lower() or answer.headers["location"] == "/login"
        else:
            assert answer.status_code == 200, (path, who, answer.text[:300])
            if path.endswith(".json"):
                assert answer.headers["content-type"].startswith("application/json"), path
            elif path != "/runs/job":  # the progress partial, polled by htmx
                assert "<main" in answer.text, path


@pytest.mark.parametrize("who", ROLES, ids=lambda r: r.name if r else "nobody")
def test_writes_for_every_role(analyzed_as, who) -> None:  # type: ignore[no-untyped-def]
    """The simulator is for everyone signed in; re-running needs the analyst role. A bad
    kind is refused for the allowed roles only after the role check (422, not 403)."""
    client = analyzed_as(who)
    token = csrf_of(client, "/simulator") if who is not None else "none"
    headers = {"X-CSRF-Token": token}
    sim = client.post("/simulator/what-if", data={"budget": "1000"}, headers=headers)
    run = client.post("/runs", data={"kind": "no-such-kind"}, headers=headers)
    if who is None:
        assert sim.status_code == 403
        assert run.status_code == 403
    elif who < Role.analyst:
        assert sim.status_code == 200
        assert run.status_code == 403, who
    else:
        assert sim.status_code == 200
        assert run.status_code == 422, who


def test_new_writes_refuse_a_missing_or_forged_csrf_token(analyzed_as, analyzed_app) -> None:  # type: ignore[no-untyped-def]
    client = analyzed_as(Role.admin)
    before = analyzed_app.state.web.jobs.current
    for path, data in (("/runs", {"kind": "demand"}), ("/simulator/what-if", {"budget": "1"})):
        assert client.post(path, data=data).status_code == 403, path
        forged = client.post(path, data={**data, "csrf_token": "forged"})
        assert forged.status_code == 403, path
        other = client.post(path, data=data, headers={"X-CSRF-Token": "x" * 43})
        assert other.status_code == 403, path
    assert analyzed_app.state.web.jobs.current is before  # nothing was started


def test_evidence_page_is_the_saved_evidence_through_the_disclosure_layer(  # type: ignore[no-untyped-def]
    analyzed_as, web_analyzed: Path
) -> None:
    client = analyzed_as(Role.viewer)
    evidence = Project(web_analyzed).latest("analyze")
    assert evidence is not None
    listing = client.get("/evidence.json").json()
    assert len(listing["assumptions"]) == len(evidence.edges)
    k = Project(web_analyzed).config.privacy.min_cell_size
    pointed = 0
    for number, edge in enumerate(evidence.edges):
        page = client.get(f"/evidence/{number}.json").json()
        twin = client.get(f"/evidence/{number}", headers={"Accept": "application/json"}).json()
        assert page == twin
        assert page["claim"] == edge.claim
        assert page["verdict"] == edge.verdict.verdict
        if edge.estimate is not None:
            assert page["effect"]["estimate"] == pytest.approx(edge.estimate.effect.estimate)
            assert page["effect"]["ci_low"] == pytest.approx(edge.estimate.effect.ci_low)
        assert [r["name"] for r in page["refuters"]] == [r.name for r in edge.refutations]
        for segment in page["segments"]:  # a published count is never 1..k-1
            shown = segment["clients"]
            assert (
                shown == f"<{k}"
                or int(shown.replace(",", "")) == 0
                or int(shown.replace(",", "")) >= k
            )
        html = client.get(f"/evidence/{number}").text
        assert page["verdict"] in html
        assert "data-chart=" in html
        assert "<script>" not in html
        assert "style=" not in html
        if "(below)" in page["advice"]:  # what the advice points to is there, below it
            assert page["measure_next"], page["advice"]
            assert html.index(page["advice"]) < html.index('id="measure-next"')
            pointed += 1
    assert pointed  # the demo's inconclusive assumption the decision turns on
    assert client.get(f"/evidence/{len(evidence.edges)}").status_code == 404
    assert client.get("/evidence/x.json").status_code == 422


def test_demand_voice_and_initiatives_pages(analyzed_as, web_analyzed: Path) -> None:  # type: ignore[no-untyped-def]
    client = analyzed_as(Role.viewer)
    k = Project(web_analyzed).config.privacy.min_cell_size
    demand = client.get("/demand.json").json()
    saved = Project(web_analyzed).latest("demand")
    assert saved is not None
    assert demand["analysed"]
    assert demand["failure_share"] == pytest.approx(saved.overall["failure_share"])
    for row in demand["channels"] + demand["units"]:
        for cell in (row["value"], row["failure"], row["total"]):
            assert cell is None or cell == 0 or cell >= k
    assert "Failure demand is" in client.get("/demand").text
    voice = client.get("/voice.json").json()
    assert voice["ran"]
    assert voice["section"]["comments"] > 0
    assert "What people say" in client.get("/voice").text
    initiatives = client.get("/initiatives.json").json()
    assert not initiatives["ran"]
    assert "No initiatives run yet" in client.get("/initiatives").text


def test_empty_states_before_any_run(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.viewer)  # the imported, never analysed project
    assert "No assumption has been tested yet" in client.get("/evidence").text
    assert "not been analysed yet" in client.get("/demand").text
    assert "No voice run yet" in client.get("/voice").text
    assert "No initiatives run yet" in client.get("/initiatives").text
    sim = client.get("/simulator.json").json()
    assert not sim["available"]
    assert "analyze" in sim["reason"]
    assert "No decision to simulate yet" in client.get("/simulator").text
    assert client.get("/evidence/0").status_code == 404
    runs = client.get("/runs.json").json()
    assert all(k["run_id"] is None for k in runs["kinds"])
    assert runs["history"] == []


def _what_if(client: TestClient, token: str, **fields: object) -> dict:  # type: ignore[type-arg]
    answer = client.post(
        "/simulator/what-if",
        data=fields,
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_simulator_what_ifs(analyzed_as) -> None:  # type: ignore[no-untyped-def]
    client = analyzed_as(Role.viewer)
    page = client.get("/simulator.json").json()
    assert page["available"]
    token = csrf_of(client, "/simulator")
    budget = page["budget"]
    base = _what_if(client, token, budget=budget["value"])
    assert base["recommendation"] == page["result"]["recommendation"]
    assert base["outcomes_mean"] == pytest.approx(page["result"]["outcomes_mean"])
    # A smaller budget serves fewer clients: fewer outcomes gained (the effects are fixed).
    small = _what_if(client, token, budget=budget["min"])
    assert small["outcomes_mean"] < base["outcomes_mean"]
    assert 0 <= small["p_best"] <= 1
    assert len(small["frontier"]) == 21
    # Values beyond a slider are clamped to it: a hand-made post asks no more than the page.
    beyond = _what_if(client, token, budget=budget["max"] * 1000)
    at_max = _what_if(client, token, budget=budget["max"])
    assert beyond["sentence"] == at_max["sentence"]
    assert beyond["frontier"] == at_max["frontier"]
    # With every assumed effect at zero no option changes outcomes per client, so on a
    # budget too small to serve everyone the option that serves the most clients (the
    # cheapest) gains most, and the frontier falls as budget moves to the dearer option.
    costs = {s["label"].split(": ", 1)[1]: s["value"] for s in page["costs"]}
    cheapest = min(costs, key=costs.__getitem__)
    flat = _what_if(client, token, budget=budget["min"], effect=[0.0] * len(page["effects"]))
    assert cheapest in flat["recommendation"]
    assert flat["frontier"][0]["gain_mean"] > flat["frontier"][-1]["gain_mean"]
    # The htmx answer is the partial: the recommendation and the frontier chart.
    html = client.post(
        "/simulator/what-if",
        data={"budget": budget["min"]},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    ).text
    assert 'id="recommendation"' in html
    assert "data-chart=" in html
    assert "<html" not in html


def test_rerun_in_the_background_with_progress(analyzed_as, analyzed_app, web_analyzed) -> None:  # type: ignore[no-untyped-def]
    client = analyzed_as(Role.analyst)
    before = client.get("/runs.json").json()
    old = next(k for k in before["kinds"] if k["kind"] == "demand")["run_id"]
    token = csrf_of(client, "/runs")
    started = client.post(
        "/runs", data={"kind": "demand"}, headers={"X-CSRF-Token": token, "HX-Request": "true"}
    )
    assert started.status_code == 200
    assert 'id="job"' in started.text
    # A second start while one runs is refused with a clear message.
    again = client.post("/runs", data={"kind": "demand"}, headers={"X-CSRF-Token": token})
    assert again.status_code in (200, 303, 409)
    deadline, polled = time.monotonic() + 120, 0
    while True:
        job = client.get("/runs/job.json").json()
        assert 0 <= job["percent"] <= 100
        if not job["running"] or time.monotonic() > deadline:
            break
        progress = client.get("/runs/job").text
        if "<progress" in progress:  # still running when asked (it may have ended since)
            assert 'hx-trigger="every 1s"' in progress  # polls itself
            polled += 1
        time.sleep(0.5)
    assert polled
    assert job["error"] is None
    assert job["finished"] == ["demand"]
    done = client.get("/runs/job").text
    assert "hx-trigger" not in done  # done: polling stops
    after = client.get("/runs.json").json()
    new = next(k for k in after["kinds"] if k["kind"] == "demand")
    assert new["run_id"] != old
    # The last progress answer brings the runs table with the new run (out of band): the
    # page shows it without a reload.
    assert '<div id="runs-listing" hx-swap-oob="true">' in done
    assert new["run_id"][:8] in done
    assert old[:8] not in done.split("History")[0]
    assert new["stale"] == []
    with Project(web_analyzed).open_store(read_only=True) as store:
        actions = [(e.username, e.action) for e in audit_log(store, limit=20)]
    assert ("analyst1", "run.started") in actions
    assert ("analyst1", "run.finished") in actions


def test_runs_page_shows_staleness(web_analyzed: Path, tmp_path: Path) -> None:
    folder = tmp_path / "org"
    shutil.copytree(web_analyzed, folder)
    with Project(folder).open_store() as store:
        store.execute("DELETE FROM df_users")  # the local, no-login app
    theory = folder / "theory.yaml"
    theory.write_text(theory.read_text().replace("expected: increase", "expected: decrease", 1))
    with TestClient(create_app(folder), base_url=BASE) as client:
        runs = client.get("/runs.json").json()
        analyze = next(k for k in runs["kinds"] if k["kind"] == "analyze")
        assert any("theory.yaml changed" in note for note in analyze["stale"])
        html = client.get("/runs").text
        assert "out of date: " in html
        assert re.search(r"Re-run analyze", html)
        assert "Out of date:" in client.get("/evidence/0").text


def test_the_app_reads_an_edited_config_at_the_next_request(
    web_source: Path, tmp_path: Path
) -> None:
    """The app keeps the parsed decisionframe.yaml between requests (parsing it was a tenth
    of a page's time) but reads it again as soon as the file changes."""
    from decisionframe.web.state import WebState

    folder = tmp_path / "org"
    shutil.copytree(web_source, folder)
    state = WebState(folder)
    first = state.project()
    assert state.project() is first
    config = folder / "decisionframe.yaml"
    config.write_text(config.read_text("utf-8").replace("name: ", "name: Renamed ", 1), "utf-8")
    again = state.project()
    assert again is not first
    assert again.config.name.startswith("Renamed ")


def test_simulator_numbers_read_as_everywhere_else(analyzed_as) -> None:  # type: ignore[no-untyped-def]
    """A board reader saw 'Budget 1.2e+06', effects 'per unit' and 'over 99%' beside
    '100%' for one probability: money with thousands separators, effects with their unit,
    and every probability through numbers.probability."""
    client = analyzed_as(Role.viewer)
    html = client.get("/simulator").text
    page = client.get("/simulator.json").json()
    budget = page["budget"]
    assert "e+0" not in html
    assert budget["shown"] == money(budget["value"])
    assert f">{budget['shown']}</output>" in html
    for s in page["effects"]:
        assert "(per unit)" not in s["label"]
        assert "percentage points more" in s["label"]
        assert s["shown"].endswith(" points")
    for plan in page["result"]["plans"]:
        assert plan["p_best_words"] == probability(plan["p_best"])
        assert f'<td class="num">{plan["p_best_words"]}</td>' in html
    assert not re.search(r'<td class="num">(100|0)%</td>', html)
