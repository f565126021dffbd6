"""No stale answers: runs record the theory and data they used; decide, report and the
Python API refuse to combine results computed from another theory or other data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from decisionframe.effects import EvidenceResult
from decisionframe.errors import ResultFormatError, StaleResultError
from decisionframe.project import Project
from tests.conftest import Pipeline


@pytest.fixture
def copy(pipeline: Pipeline, tmp_path: Path) -> Project:
    shutil.copytree(pipeline.folder, tmp_path / "org")
    return Project(tmp_path / "org")


def test_current_runs_are_used_as_they_are(copy: Project) -> None:
    run = copy.latest_run("decide")
    assert run is not None
    assert run.provenance.stale == ()
    assert run.provenance.inputs == {"analyze": copy.latest_run("analyze").run_id}  # type: ignore[union-attr]


def test_editing_the_theory_after_analyze_makes_decide_and_report_refuse(copy: Project) -> None:
    theory = copy.theory_path
    theory.write_text(theory.read_text().replace("expected: increase", "expected: decrease", 1))
    for attempt in (copy.decide, copy.report, lambda: copy.latest("analyze")):
        with pytest.raises(StaleResultError) as caught:
            attempt()
        assert caught.value.changes == [
            "theory.yaml changed since the last `analyze` (its arrows and assumptions)"
        ]
        assert caught.value.rerun[0] == "analyze"
    # Demand reads no theory: it stays current.
    assert copy.latest("demand") is not None
    # --allow-stale: the decision goes ahead and its provenance says what was out of date.
    copy.decide(seed=3, draws=2000, allow_stale=True)
    decided = copy.latest_run("decide", allow_stale=True)
    assert decided is not None
    assert any("theory.yaml changed" in note for note in decided.provenance.stale)
    report = copy.report(allow_stale=True)
    assert any("theory.yaml changed" in note for note in report.stale)


def test_a_new_node_without_arrows_or_a_comment_leaves_every_run_current(copy: Project) -> None:
    """Staleness follows what the analysis reads, not the file's bytes: a node the editor
    added but no arrow touches yet, a comment, a reworded question or description change
    no estimate, so decide and the report go ahead (they refused before)."""
    theory = copy.theory_path
    text = theory.read_text()
    text = text.replace("nodes:\n", "# a comment\nnodes:\n  - {id: belonging, kind: mediator}\n", 1)
    text = text.replace("question: ", "question: Now, ", 1)
    theory.write_text(text)
    assert copy.latest_run("analyze") is not None  # no StaleResultError
    assert copy.report().stale == ()
    copy.decide(seed=3, draws=2000)  # no --allow-stale needed
    # An arrow to it feeds the analysis: now it is stale, and the note says which part.
    theory.write_text(text.replace("edges:\n", "edges:\n  - {from: belonging, to: trust}\n", 1))
    with pytest.raises(StaleResultError) as caught:
        copy.latest("analyze")
    assert caught.value.changes == [
        "theory.yaml changed since the last `analyze` (its nodes, its arrows and assumptions)"
    ]


def test_a_run_saved_before_theory_parts_goes_by_the_file_hash(copy: Project) -> None:
    """Runs saved before the parts were kept have none: any change of the file is a change."""
    from dataclasses import replace

    from decisionframe.runs import staleness, theory_hash, theory_parts

    run = copy.latest_run("analyze")
    assert run is not None
    assert run.provenance.theory_parts is not None
    old = replace(run, provenance=replace(run.provenance, theory_parts=None))
    theory = copy.theory_path
    theory.write_text(theory.read_text() + "# a comment\n")
    now = {"theory_sha256": theory_hash(theory), "imports": run.provenance.imports}
    assert staleness(run, **now, parts=theory_parts(theory)) == []
    assert staleness(old, **now, parts=theory_parts(theory)) == [
        "theory.yaml changed since the last `analyze`"
    ]


def test_reimporting_a_changed_file_makes_decide_and_report_refuse(copy: Project) -> None:
    outcomes = copy.directory / "data" / "outcomes.csv"
    lines = outcomes.read_text().splitlines()
    outcomes.write_text("\n".join(lines[:-1]) + "\n")  # one outcome fewer
    copy.import_data()
    for attempt in (copy.decide, copy.report):
        with pytest.raises(StaleResultError, match=r"data changed.*\(outcomes\)"):
            attempt()
    # Analyzing again brings the evidence up to date; the decision still needs its rerun.
    copy.analyze(seed=3)
    with pytest.raises(StaleResultError, match="replaced by a newer one") as caught:
        copy.report()
    assert caught.value.rerun == ["decide"]
    copy.decide(seed=3, draws=2000)
    with pytest.raises(StaleResultError, match="last `demand`"):
        copy.report()  # demand read the old data too
    copy.demand()
    for rerun in (copy.voice, copy.profiles, copy.initiatives):  # they read the old data too
        rerun()
    assert copy.report().stale == ()


def test_new_costs_call_for_a_new_decision_not_a_new_analysis(copy: Project) -> None:
    """Staleness is per table read: analyze reads no costs, decide does."""
    costs = copy.directory / "data" / "costs.csv"
    header, *rows = costs.read_text().splitlines()
    costs.write_text("\n".join([header, *(r.replace(",", ",1", 1) for r in rows)]) + "\n")
    copy.import_data()
    assert copy.latest("analyze") is not None  # still current
    with pytest.raises(StaleResultError, match=r"data changed since the last `decide` \(costs\)"):
        copy.report()
    copy.decide(seed=3, draws=2000)  # no --allow-stale needed


def test_a_result_of_another_kind_or_version_is_a_clear_error() -> None:
    with pytest.raises(ResultFormatError, match="expected a 'analyze' result"):
        EvidenceResult.from_dict({"kind": "decide", "schema_version": 1})
    with pytest.raises(ResultFormatError, match="schema version 99"):
        EvidenceResult.from_dict({"kind": "analyze", "schema_version": 99})
    with pytest.raises(ResultFormatError, match="at edges"):
        EvidenceResult.from_dict({"kind": "analyze", "schema_version": 1, "seed": 0})
