"""On the simulator: verdicts match truth.json, naive comparisons are visibly biased."""

from __future__ import annotations

import json

from decisionframe.effects import EvidenceResult
from decisionframe.runs import latest_run


def test_verdicts_match_truth(analyzed) -> None:  # type: ignore[no-untyped-def]
    _, result, truth = analyzed
    verdicts = {e.treatment: e.verdict.verdict for e in result.edges}
    true = {e["from"]: e for e in truth["edges"]}
    for treatment, verdict in verdicts.items():
        if abs(true[treatment]["ATE"]) > 0.02:
            assert verdict == "supported", treatment
        else:
            assert verdict in ("no detectable effect", "contradicted"), treatment


def test_intervals_cover_truth_and_naive_is_biased(analyzed) -> None:  # type: ignore[no-untyped-def]
    _, result, truth = analyzed
    true = {e["from"]: e for e in truth["edges"]}
    for edge in result.edges:
        effect = edge.estimate.effect
        target = true[edge.treatment][edge.assumption.estimand]
        scale = edge.estimate.scale
        if true[edge.treatment]["continuous_per_unit"]:
            target *= scale
        assert effect.ci_low - effect.se < target < effect.ci_high + effect.se, edge.edge
    respect = next(e for e in result.edges if e.treatment == "respect")
    assert respect.estimate.naive.estimate - true["respect"]["ATE"] > 4 * respect.estimate.naive.se


def test_result_is_json_and_saved_with_provenance(analyzed) -> None:  # type: ignore[no-untyped-def]
    project, result, _ = analyzed
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["kind"] == "analyze"
    for edge in payload["edges"]:
        for key in (
            "treatment",
            "outcome",
            "assumption",
            "identification",
            "estimate",
            "diagnostics",
            "refutations",
            "sensitivity",
            "verdict",
        ):
            assert key in edge
    assert EvidenceResult.from_dict(payload).to_dict() == result.to_dict()
    frame = result.to_frame()
    for column in ("estimate", "se", "ci_low", "ci_high", "naive_estimate", "posterior_mean"):
        assert column in frame.columns
    with project.open_store(read_only=True) as store:
        saved = latest_run(store, "analyze")
    assert saved is not None
    assert isinstance(saved.result, EvidenceResult)
    prov = saved.provenance
    assert prov.theory_sha256 is not None
    assert len(prov.theory_sha256) == 64
    assert {i.table for i in prov.imports} >= {"clients", "touchpoints", "outcomes"}
    assert prov.versions["doubleml"] != "not installed"
    assert prov.seed == 1


def test_segments_respect_privacy_minimum(analyzed) -> None:  # type: ignore[no-untyped-def]
    _, result, _ = analyzed
    for edge in result.edges:
        for segment in edge.segments:
            assert segment.n >= 11
