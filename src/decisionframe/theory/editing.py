"""What the theory editor reads and writes, without the web framework (its endpoints call these).

- ``editor_state(project)``: the theory as data, the saved layout, the columns a node can
  be measured by (type and missing share), the outcomes held, the latest evidence on
  every arrow (verdict, estimate, interval, stale or not) and the diagnosis;
- ``save(project, draft, positions, author, message)``: ``theory.save.save_theory``
  against the store's columns, then the layout; every version lands in the store;
- ``rename_node(draft, old, new)``: a node's new id, followed by everything that names it.

The layout (where each node was dragged) is kept beside the store in
``.decisionframe/editor-layout.json``: positions are the editor's business, not the
theory's, so theory.yaml stays free of coordinates.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from decisionframe.errors import DecisionframeError, Problem, ProblemsError
from decisionframe.project import Project
from decisionframe.theory.bindings import column_catalogue, store_catalogue, store_outcomes
from decisionframe.theory.diagnose import TheoryDiagnosis, check_draft
from decisionframe.theory.save import TheoryVersion, save_theory, versions
from decisionframe.yamlfile import read_located_yaml

LAYOUT_FILE = "editor-layout.json"
NODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # as theory.model.Node.id says


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
    # The theory file through the same guarded reader as every other YAML (no aliases,
    # bounded size and depth, #13): a plain safe_load shares aliased nodes, so a
    # 400-byte "billion laughs" theory only exploded when this answer was turned into
    # JSON. A file that cannot be read opens an empty editor (the check says why).
    path = project.theory_path  # confined to the project (a config error otherwise)
    try:
        theory = read_located_yaml(path).data
    except ProblemsError:
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


def _refused(rule: str, message: str, hint: str) -> ProblemsError:
    return ProblemsError("the node was not renamed", [Problem("theory.yaml", rule, message, hint)])


def rename_node(draft: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The draft with node ``old`` called ``new``, and everything that names it following:
    the arrows from and to it (their assumption cards ride along), the decision's
    objective and the levers its options set. A node measured by the clients column of
    its own name (``measure: {}``) gets that column written out, so the rename changes
    what the node is called, never what it reads.

    Refused, with nothing changed, when the new id is not one (letters, digits and ``_``)
    or another node has it: two nodes of one name would merge their arrows. The caller's
    draft is left untouched (a copy is answered), so an editor can keep it for undo."""
    nodes = draft.get("nodes") if isinstance(draft, dict) else None
    if not isinstance(nodes, list):
        raise _refused("theory-rename", "the draft has no nodes", "reload the editor")
    ids = [n.get("id") for n in nodes if isinstance(n, dict)]
    if old not in ids:
        # The id asked for is not in the theory, so it is not repeated back.
        raise _refused("theory-rename", "no such node in the draft", "reload the editor")
    if not isinstance(new, str) or not NODE_ID.match(new):
        raise _refused(
            "theory-rename-id",
            "a node id is letters, digits and _, not starting with a digit",
            "for example trust_survey",
        )
    if new == old:
        return copy.deepcopy(draft)
    if new in ids:
        raise _refused(
            "theory-rename-clash",
            f"there is already a node '{new}': two nodes of one id would merge their arrows",
            "pick another id, or delete the other node first",
        )
    out = copy.deepcopy(draft)
    for node in out["nodes"]:
        if isinstance(node, dict) and node.get("id") == old:
            node["id"] = new
            measure = node.get("measure")
            if (
                isinstance(measure, dict)
                and measure.get("table") in (None, "clients")
                and not measure.get("column")
            ):
                measure["column"] = old
    for edge in out.get("edges") or []:
        if isinstance(edge, dict):
            for end in ("from", "to"):
                if edge.get(end) == old:
                    edge[end] = new
    decision = out.get("decision")
    if isinstance(decision, dict):
        if decision.get("objective") == old:
            decision["objective"] = new
        for option in decision.get("options") or []:
            levers = option.get("set") if isinstance(option, dict) else None
            if isinstance(levers, dict) and old in levers:
                option["set"] = {new if k == old else k: v for k, v in levers.items()}
    return out
