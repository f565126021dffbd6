"""What the theory editor reads and writes, without the web framework (its endpoints call these).

- ``editor_state(project)``: the theory as data, the saved layout, the columns a node can
  be measured by (type and missing share), the outcomes held, the latest evidence on
  every arrow (verdict, estimate, interval, stale or not) and the diagnosis;
- ``save(project, draft, positions, author, message)``: ``theory.save.save_theory``
  against the store's columns, then the layout; every version lands in the store.

The layout (where each node was dragged) is kept beside the store in
``.decisionframe/editor-layout.json``: positions are the editor's business, not the
theory's, so theory.yaml stays free of coordinates.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import yaml

from decisionframe.errors import DecisionframeError
from decisionframe.project import Project
from decisionframe.theory.bindings import column_catalogue, store_catalogue, store_outcomes
from decisionframe.theory.diagnose import TheoryDiagnosis, check_draft
from decisionframe.theory.save import TheoryVersion, save_theory, versions

LAYOUT_FILE = "editor-layout.json"


@dataclass(frozen=True)
class ArrowEvidence:
    """The latest `analyze` answer for one assumption arrow, for colouring and hover."""

    edge: str
    verdict: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    unit: str
    adjustment_set: tuple[str, ...]
    stale: bool
    stale_reasons: tuple[str, ...]


def arrow_evidence(project: Project) -> list[ArrowEvidence]:
    """Each analyzed arrow's verdict and interval; stale when the theory or data changed
    since the run (``Project.latest_run`` with its staleness machinery)."""
    from decisionframe.effects import EvidenceResult

    try:
        run = project.latest_run("analyze", allow_stale=True)
    except DecisionframeError:
        return []
    if run is None or not isinstance(run.result, EvidenceResult):
        return []
    reasons = tuple(run.provenance.stale)
    out = []
    for edge in run.result.edges:
        effect = edge.effect
        out.append(
            ArrowEvidence(
                edge.edge,
                edge.verdict.verdict,
                effect.estimate if effect else None,
                effect.ci_low if effect else None,
                effect.ci_high if effect else None,
                edge.unit,
                tuple(edge.identification.adjustment_set),
                bool(reasons),
                reasons,
            )
        )
    return out


def _layout_path(project: Project) -> Any:
    return project.state_dir / LAYOUT_FILE


def read_layout(project: Project) -> dict[str, dict[str, float]]:
    path = _layout_path(project)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a broken layout only loses positions: the editor lays out afresh
    return {
        str(k): {"x": float(v["x"]), "y": float(v["y"])}
        for k, v in data.items()
        if isinstance(v, dict) and {"x", "y"} <= v.keys()
    }


def write_layout(project: Project, positions: dict[str, dict[str, float]]) -> None:
    project.state_dir.mkdir(parents=True, exist_ok=True)
    clean = {str(k): {"x": float(v["x"]), "y": float(v["y"])} for k, v in positions.items()}
    _layout_path(project).write_text(json.dumps(clean, indent=1), encoding="utf-8")


def _catalogues(project: Project) -> tuple[dict[str, list[str]] | None, list[str]]:
    if not project.has_store():
        return None, []
    with project.open_store(read_only=True) as store:
        catalogue = store_catalogue(store)
        return (catalogue or None), store_outcomes(store, catalogue)


def diagnose(project: Project, draft: Any) -> TheoryDiagnosis:
    """The live check of a draft, against the store's columns when data is loaded."""
    catalogue, outcomes = _catalogues(project)
    return check_draft(draft, catalogue=catalogue, outcomes=outcomes)


def editor_state(project: Project) -> dict[str, Any]:
    text = project.theory_path.read_text(encoding="utf-8") if project.theory_path.exists() else ""
    try:
        theory = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        theory = {}
    columns: list[dict[str, Any]] = []
    if project.has_store():
        with project.open_store(read_only=True) as store:
            columns = [asdict(c) for c in column_catalogue(store)]
    catalogue, outcomes = _catalogues(project)
    diagnosis = check_draft(theory, catalogue=catalogue, outcomes=outcomes)
    return {
        "theory": theory,
        "positions": read_layout(project),
        "columns": columns,
        "outcomes": outcomes,
        "evidence": [asdict(e) for e in arrow_evidence(project)],
        "diagnosis": diagnosis.to_dict(),
    }


def save(
    project: Project,
    draft: dict[str, Any],
    *,
    positions: dict[str, dict[str, float]],
    author: str,
    message: str = "",
) -> TheoryVersion | None:
    """Validate and save (see ``theory.save``); the layout is written after the theory."""
    catalogue, outcomes = _catalogues(project)
    with project.open_store() as store:
        version = save_theory(
            project.theory_path,
            draft,
            author=author,
            message=message,
            store=store,
            catalogue=catalogue,
            outcomes=outcomes,
        )
    write_layout(project, positions)
    return version


def history(project: Project) -> list[TheoryVersion]:
    if not project.has_store():
        return []
    with project.open_store(read_only=True) as store:
        return versions(store)
