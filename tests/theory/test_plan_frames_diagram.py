from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from decisionframe.cli import app
from decisionframe.frames import build_frame, client_frame
from decisionframe.project import Project
from decisionframe.theory import load_theory, theory_svg
from decisionframe.theory.model import Theory


def test_plan_flags_planted_column_and_drafts_survey_items(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    plan = project.plan()
    truth = json.loads((project_dir / "truth.json").read_text())
    unused = {c.column for c in plan.not_decision_relevant}
    assert set(truth["irrelevant_columns"]) <= unused
    assert "case_complexity" not in unused
    assert all(a.testable_now for a in plan.assumptions)
    trust = next(s for s in plan.survey_items if s.node == "trust")
    assert "trusts the service" in trust.question
    assert trust.scale
    assert trust.when
    assert trust.fills


def test_frame_matches_a_pandas_computation(project_dir: Path) -> None:
    project = Project(project_dir)
    project.import_data()
    theory = load_theory(project.theory_path)
    with project.open_store(read_only=True) as store:
        frame = client_frame(store, theory, ["respect", "housed_180", "case_complexity"])
        result = build_frame(
            store, theory, outcome="housed_180", treatment="respect", covariates=["case_complexity"]
        )
    key = project.key()
    data = project_dir / "data"
    clients = pd.read_csv(data / "clients.csv", parse_dates=["enrolled_on"])
    contacts = pd.read_csv(data / "contacts.csv", parse_dates=["contact_time"])
    outcomes = pd.read_csv(data / "outcomes.csv", parse_dates=["measured_on"])
    joined = contacts.merge(clients[["client_id", "enrolled_on"]], on="client_id")
    window = joined[
        (joined.contact_time >= joined.enrolled_on)
        & (joined.contact_time < joined.enrolled_on + pd.Timedelta(days=90))
    ]
    expected_respect = window.groupby("client_id")["respect"].mean()
    o = outcomes.merge(clients[["client_id", "enrolled_on"]], on="client_id")
    o = o[(o.measured_on - o.enrolled_on).dt.days == 180].set_index("client_id")["value"]
    expected = pd.DataFrame({"respect": expected_respect, "housed_180": o})
    expected.index = [key.pseudonym(c) for c in expected.index]
    got = frame.set_index("client_id")
    both = got.join(expected.add_suffix("_pd"))
    assert np.allclose(both["respect"].fillna(-1), both["respect_pd"].fillna(-1))
    assert np.allclose(both["housed_180"].fillna(-1), both["housed_180_pd"].fillna(-1))
    assert result.n_used + sum(result.dropped.values()) == result.n_clients
    assert result.dropped["no outcome yet (housed_180)"] == int(got["housed_180"].isna().sum())
    assert not result.data.isna().any().any()


def test_diagram_is_valid_svg_with_every_node(project_dir: Path) -> None:
    theory = load_theory(project_dir / "theory.yaml")
    svg = theory_svg(theory, verdicts={"respect -> housed_180": "supported"})
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    for node in theory.nodes:
        assert f"<title>{escape(node.title)} ({node.kind.replace('_', ' ')}" in svg
    assert "stroke-dasharray" in svg  # unmeasured nodes are dashed
    assert "supported" in svg
    assert "…" not in svg  # no label cut short


def test_diagram_lays_out_30_nodes_in_lanes_without_cutting_labels() -> None:
    kinds = ["context", "intervention", "service_quality", "mediator", "outcome"]
    nodes = [
        {"id": f"n{i}", "kind": kinds[i % 5], "label": f"A fairly long label for node {i} here"}
        for i in range(30)
    ]
    edges = [{"from": f"n{i}", "to": f"n{i + 4}"} for i in range(0, 25, 5)]
    theory = Theory.model_validate({"nodes": nodes, "edges": edges})
    svg = theory_svg(theory)
    root = ET.fromstring(svg)
    width, height = (float(v) for v in root.get("viewBox", "").split()[2:])
    assert width == 1000
    assert height > 6 * 60
    assert "…" not in svg
    for lane in ("Context", "What we do", "How we serve", "Outcomes"):
        assert f">{lane}</text>" in svg


def test_cli_json_has_the_same_content_as_the_table(project_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(project_dir)]).exit_code == 0
    out = tmp_path / "check.json"
    result = runner.invoke(
        app, ["theory", "check", str(project_dir), "--json", str(out)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    for item in data["identifications"]:
        assert f"{item['treatment']} -> {item['outcome']}" in result.output
        for node in item["adjustment_set"]:
            assert node in result.output
    out = tmp_path / "plan.json"
    result = runner.invoke(
        app, ["plan", str(project_dir), "--json", str(out)], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text())
    for column in plan["not_decision_relevant"]:
        assert column["column"] in result.output


def test_plan_drafts_items_for_unmeasured_and_weakly_measured_nodes(project_dir: Path) -> None:
    import csv

    clients = project_dir / "data" / "clients.csv"
    with clients.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for i, row in enumerate(rows):  # a column filled in for one client in five
        row["housing_history"] = str(i % 3) if i % 5 == 0 else ""
    with clients.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    theory = project_dir / "theory.yaml"
    theory.write_text(
        theory.read_text().replace(
            "nodes:\n",
            "nodes:\n  - id: housing_history\n    kind: context\n    label: Housing history\n"
            "    measure: {table: clients, column: housing_history}\n",
            1,
        )
    )
    project = Project(project_dir)
    project.import_data()
    items = {s.node: s for s in project.plan().survey_items}
    assert "weakly measured" in items["housing_history"].why
    assert "20%" in items["housing_history"].why
    assert items["motivation"].why == "not measured"  # unmeasured context gets one too
    assert items["trust"].why == "not measured"
    assert "respect" not in items  # measured for most clients
