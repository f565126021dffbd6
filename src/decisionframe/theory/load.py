"""Read theory.yaml into a Theory and check it; every problem names its line and a hint."""

from __future__ import annotations

import difflib
from pathlib import Path

import networkx as nx
from pydantic import ValidationError

from decisionframe.config import problems_from_validation
from decisionframe.errors import Problem, TheoryError
from decisionframe.theory.graph import causal_graph
from decisionframe.theory.model import CAUSE_KINDS, Theory
from decisionframe.yamlfile import KeyPath, LocatedYaml, read_located_yaml

_MISSING_HINTS = {
    "expected": "say what you expect: `expected: increase`, `decrease` or `none`",
    "kind": "one of intervention, service_quality, mediator, outcome, context",
}


def _problem(located: LocatedYaml, where: KeyPath, rule: str, message: str, hint: str) -> Problem:
    return Problem(
        file=str(located.path),
        line=located.line_of(where),
        column=".".join(str(p) for p in where),
        rule=rule,
        message=message,
        hint=hint,
    )


def parse_theory(path: Path) -> tuple[Theory, LocatedYaml]:
    """Parse and check theory.yaml without the store (structure and graph rules)."""
    located = read_located_yaml(path, error=TheoryError)
    try:
        theory = Theory.model_validate(located.data)
    except ValidationError as exc:
        problems = problems_from_validation(exc, located)
        problems = [
            _with_hint(p, _MISSING_HINTS.get(str(p.column).rsplit(".", 1)[-1])) for p in problems
        ]
        raise TheoryError(f"invalid theory {path.name}", problems) from exc
    problems = check_structure(theory, located)
    if problems:
        raise TheoryError(f"invalid theory {path.name}", problems)
    return theory, located


def _with_hint(problem: Problem, hint: str | None) -> Problem:
    if hint is None or problem.rule != "config-missing":
        return problem
    return Problem(
        problem.file, "theory-missing", problem.message, hint, problem.line, problem.column
    )


def check_structure(theory: Theory, located: LocatedYaml) -> list[Problem]:
    """Graph rules: known nodes, no cycles, kinds used sensibly, priors, decision options."""
    problems = _check_nodes_and_edges(theory, located)
    graph = causal_graph(theory)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        cycle = []
    if cycle:
        shown = " -> ".join([cycle[0][0], *(v for _, v in cycle)])
        index = next(i for i, e in enumerate(theory.edges) if (e.source, e.target) == cycle[-1][:2])
        problems.append(
            _problem(
                located,
                ("edges", index),
                "theory-cycle",
                f"the edges form a cycle: {shown}",
                "a cause cannot be its own effect; remove or reverse one edge of the cycle",
            )
        )
    problems += _check_assumptions(theory, located)
    if theory.decision is not None and not cycle:
        problems += _check_decision(theory, located, graph)
    return problems


def _check_nodes_and_edges(theory: Theory, located: LocatedYaml) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, node in enumerate(theory.nodes):
        if node.id in seen:
            problems.append(
                _problem(
                    located,
                    ("nodes", index, "id"),
                    "theory-duplicate-node",
                    f"node '{node.id}' is defined twice",
                    "give each node a unique id",
                )
            )
        seen.add(node.id)
    kinds = {n.id: n.kind for n in theory.nodes}
    for index, edge in enumerate(theory.edges):
        for end, key in ((edge.source, "from"), (edge.target, "to")):
            if end not in kinds:
                close = difflib.get_close_matches(end, list(kinds), n=3)
                hint = (
                    f"did you mean {', '.join(repr(c) for c in close)}?"
                    if close
                    else ("add the node under `nodes:` first")
                )
                problems.append(
                    _problem(
                        located,
                        ("edges", index, key),
                        "theory-unknown-node",
                        f"edge {key} '{end}' is not a node",
                        hint,
                    )
                )
        source, target = kinds.get(edge.source), kinds.get(edge.target)
        if source is None or target is None:
            continue
        if target == "context" and source != "context":
            problems.append(
                _problem(
                    located,
                    ("edges", index),
                    "theory-kind",
                    f"'{edge.target}' is context (describes clients before service) but is caused "
                    f"by {source} '{edge.source}'",
                    "reverse the edge, or make the effect a mediator or outcome",
                )
            )
        if source == "outcome" and target != "outcome":
            problems.append(
                _problem(
                    located,
                    ("edges", index),
                    "theory-kind",
                    f"outcome '{edge.source}' is used as a cause of {target} '{edge.target}'",
                    "outcomes come last; only another outcome can follow an outcome",
                )
            )
    return problems


def _check_assumptions(theory: Theory, located: LocatedYaml) -> list[Problem]:
    problems: list[Problem] = []
    kinds = {n.id: n.kind for n in theory.nodes}
    for index, edge in enumerate(theory.edges):
        assumption = edge.assumption
        if assumption is None:
            continue
        where: KeyPath = ("edges", index, "assumption")
        if kinds.get(edge.source) not in (*CAUSE_KINDS, None):
            problems.append(
                _problem(
                    located,
                    (*where[:2], "from"),
                    "theory-kind",
                    f"an assumption tests a cause you can act on, but '{edge.source}' is "
                    f"{kinds[edge.source]}",
                    "put assumptions on edges from an intervention, service_quality or mediator",
                )
            )
        if kinds.get(edge.target) not in ("outcome", "mediator", None):
            problems.append(
                _problem(
                    located,
                    (*where[:2], "to"),
                    "theory-kind",
                    f"an assumption's effect must be an outcome or mediator, not "
                    f"{kinds[edge.target]} '{edge.target}'",
                    "point the assumption at the outcome it is meant to change",
                )
            )
        if assumption.prior is not None and assumption.prior.sd <= 0:
            problems.append(
                _problem(
                    located,
                    (*where, "prior", "sd"),
                    "theory-prior-sd",
                    f"prior sd must be positive (got {assumption.prior.sd:g})",
                    "use a wide sd (e.g. as large as the mean) if you are unsure",
                )
            )
    return problems


def _check_decision(theory: Theory, located: LocatedYaml, graph: nx.DiGraph) -> list[Problem]:
    decision = theory.decision
    assert decision is not None
    problems: list[Problem] = []
    kinds = {n.id: n.kind for n in theory.nodes}
    if kinds.get(decision.objective) != "outcome":
        problems.append(
            _problem(
                located,
                ("decision", "objective"),
                "theory-objective",
                f"decision objective '{decision.objective}' is not an outcome node",
                f"use one of: {', '.join(n for n, k in kinds.items() if k == 'outcome')}",
            )
        )
        return problems
    causes = nx.ancestors(graph, decision.objective)
    for index, option in enumerate(decision.options):
        for node_id in option.set:
            if node_id not in causes:
                problems.append(
                    _problem(
                        located,
                        ("decision", "options", index, "set", node_id),
                        "theory-option-not-a-cause",
                        f"option '{option.id}' sets '{node_id}', which is not a cause of "
                        f"'{decision.objective}' in the theory",
                        "add the edge that makes it a cause, or remove it from the option",
                    )
                )
    return problems
