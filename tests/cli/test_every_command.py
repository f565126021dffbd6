"""Every command as users run it (Typer's runner): exit code, its one-line summary, and a
--json output that validates against the published schema in docs/schemas/."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from decisionframe.cli import app
from decisionframe.schemas import published_types
from tests.conftest import PIPELINE, Pipeline

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def validate(kind: str, data: dict[str, object]) -> None:
    schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text())
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def test_the_committed_schemas_are_what_the_types_generate() -> None:
    from decisionframe.schemas import schema_text

    for kind, cls in published_types().items():
        path = SCHEMAS / f"{kind}.schema.json"
        assert path.exists(), f"{path.name} missing: run `python -m tools.write_schemas`"
        assert path.read_text() == schema_text(cls), (
            f"{path.name} is out of date: run `python -m tools.write_schemas`"
        )
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))


@pytest.mark.parametrize("kind", ["simulate", *(kind for _, _, kind in PIPELINE)])
def test_json_output_validates_and_the_summary_is_printed(pipeline: Pipeline, kind: str) -> None:
    output, data = pipeline.outputs[kind]
    assert data["kind"] == kind
    validate(kind, data)
    result = published_types()[kind].from_dict(data)
    # The one-line summary is printed (Rich may wrap it; compare without whitespace).
    assert "".join(result.summary().split()) in "".join(output.split())


def test_saved_runs_load_back_typed(pipeline: Pipeline) -> None:
    from decisionframe.decide import DecisionResult
    from decisionframe.demand import DemandResult
    from decisionframe.effects import EvidenceResult
    from decisionframe.project import Project

    project = Project(pipeline.folder)
    evidence = project.latest("analyze")
    assert isinstance(evidence, EvidenceResult)
    # The --json file is the result plus its privacy marking (private, not publishable).
    written = {
        k: v
        for k, v in pipeline.outputs["analyze"][1].items()
        if k not in ("private", "publishable", "privacy_note")
    }
    assert evidence.to_dict() == written
    frame = evidence.to_frame()
    assert list(frame["edge"]) == [e.edge for e in evidence.edges]
    for column in ("estimate", "se", "ci_low", "ci_high", "naive_estimate", "posterior_mean"):
        assert column in frame.columns
    assert isinstance(project.latest("decide"), DecisionResult)
    assert isinstance(project.latest("demand"), DemandResult)


def test_every_result_type_round_trips(pipeline: Pipeline) -> None:
    """Each result, saved to JSON text and loaded back, is an equal object."""
    import yaml

    from decisionframe.project import Project
    from decisionframe.theory.editing import diagnose

    project = Project(pipeline.folder)
    run = project.latest_run("analyze")
    assert run is not None
    results = [
        project.status(),
        project.theory_check(),
        project.plan(),
        project.latest("analyze"),
        project.latest("decide"),
        project.latest("demand"),
        project.latest("voice"),
        project.latest("profiles"),
        project.latest("initiatives"),
        project.implications(),
        diagnose(project, yaml.safe_load(project.theory_path.read_text())),
        run.provenance,
        *run.result.edges,  # type: ignore[attr-defined]
    ]
    for result in results:
        assert result is not None
        back = type(result).from_dict(json.loads(json.dumps(result.to_dict())))
        assert back == result, result.kind
    seen = {r.kind for r in results if r is not None}
    # simulate, import and report round-trip from the CLI's --json (the test above);
    # backup and restore in tests/test_backup.py; repair in tests/store/test_robustness.py;
    # a saved theory version in tests/theory/test_save.py.
    done_elsewhere = {
        "simulate",
        "import",
        "report",
        "backup",
        "restore",
        "repair",
        "theory-version",
    }
    assert seen | done_elsewhere >= set(published_types())


def test_bad_input_is_a_clear_error_for_every_command(tmp_path: Path) -> None:
    nowhere = str(tmp_path / "nowhere")
    for command, _, _ in PIPELINE:
        ran = runner.invoke(app, [*command, nowhere])
        assert ran.exit_code == 2, command
        assert "error:" in ran.output, command
    ran = runner.invoke(app, ["simulate", str(tmp_path / "x"), "--scenario", "nope"])
    assert ran.exit_code == 2
    assert "Traceback" not in ran.output


def test_demo_composes_the_pipeline(tmp_path: Path) -> None:
    ran = runner.invoke(app, ["demo", str(tmp_path / "demo"), "--clients", "600"], env=WIDE)
    assert ran.exit_code == 0, ran.output
    assert "Headline" in ran.output
    assert (tmp_path / "demo" / "reports" / "report.html").exists()
    assert f"decisionframe serve {tmp_path / 'demo'}" in ran.output  # how to open the app
    assert "http://127.0.0.1:8000/" in ran.output


def test_demo_of_a_series_scenario_says_what_to_run_instead(tmp_path: Path) -> None:
    ran = runner.invoke(
        app, ["demo", str(tmp_path / "d"), "--scenario", "staggered-rollout"], env=WIDE
    )
    assert ran.exit_code == 2, ran.output
    assert "initiatives" in ran.output
    assert "Traceback" not in ran.output
    assert not (tmp_path / "d").exists()  # refused before anything was written


def test_a_stale_analysis_is_refused_and_allow_stale_says_so(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    copy = tmp_path / "org"
    shutil.copytree(pipeline.folder, copy)
    theory = copy / "theory.yaml"
    theory.write_text(theory.read_text().replace("expected: increase", "expected: decrease", 1))
    for args in (["decide", str(copy)], ["report", str(copy)]):
        ran = runner.invoke(app, args, env=WIDE)
        assert ran.exit_code == 2, ran.output
        assert "theory.yaml changed" in ran.output
        assert "decisionframe analyze" in ran.output
    out = tmp_path / "report.json"
    ran = runner.invoke(app, ["report", str(copy), "--allow-stale", "--json", str(out)], env=WIDE)
    assert ran.exit_code == 0, ran.output
    report = json.loads(out.read_text())
    validate("report", report)
    assert any("theory.yaml changed" in note for note in report["stale"])
    html = (copy / "reports" / "report.html").read_text()
    assert "Out of date (built with --allow-stale)" in html


def test_voice_terminal_says_no_staff_tag_counts(pipeline: Pipeline) -> None:
    """As `demand` (#13): the terminal says what the report says of staff labels, not how
    many comments staff tagged (a count the disclosure layer never saw)."""
    terminal, data = pipeline.outputs["voice"]
    assert data["staff"], "the simulated feedback carries staff theme tags"
    said = " ".join(terminal.split())
    assert "Staff tagged" in said
    assert not re.search(r"Staff tagged '[^']+' on \d", said)
