"""Impact theory: model, checks, identification, measurement plan, diagram."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd

from decisionframe.errors import Problem, TheoryError
from decisionframe.results import Result
from decisionframe.store import Store, nothing_imported
from decisionframe.theory.bindings import check_bindings
from decisionframe.theory.diagnose import (
    Diagnostic,
    TheoryDiagnosis,
    check_draft,
    graph_diagnostics,
)
from decisionframe.theory.diagram import theory_svg
from decisionframe.theory.identify import Identification, identify_all, identify_effect
from decisionframe.theory.load import parse_theory
from decisionframe.theory.model import Assumption, Edge, Node, Theory
from decisionframe.theory.plan import MeasurementPlan, measurement_plan


@dataclass(frozen=True)
class TheoryCheck(Result):
    """A checked theory: its nodes, every assumption's identification, and the graph's
    diagnostics (mediators, colliders, arrows that lead nowhere), each naming its nodes."""

    kind: ClassVar[str] = "theory-check"

    theory: Theory
    identifications: tuple[Identification, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    def summary(self) -> str:
        ok = sum(i.identified for i in self.identifications)
        return (
            f"theory OK: {len(self.theory.nodes)} nodes, {len(self.theory.edges)} edges, "
            f"{ok} of {len(self.identifications)} assumptions identifiable"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per assumption: how its effect is identified."""
        return pd.DataFrame(
            [
                {
                    "edge": f"{i.treatment} -> {i.outcome}",
                    "strategy": i.strategy,
                    "adjustment_set": ", ".join(i.adjustment_set),
                    "to_measure": ", ".join(i.to_measure),
                    "explanation": i.explanation,
                }
                for i in self.identifications
            ],
            columns=["edge", "strategy", "adjustment_set", "to_measure", "explanation"],
        )


def load_theory(path: Path, store: Store | None = None) -> Theory:
    """Parse, check the graph, and (with a store) check every measure binding."""
    theory, located = parse_theory(path)
    if store is not None:
        problems = check_bindings(theory, located, store)
        if problems and nothing_imported(store):
            # One problem, not one per node: the cause is the missing import, not the theory.
            problems = [
                Problem(
                    str(located.path),
                    "nothing-imported",
                    "no data is loaded yet, so no measure can be read",
                    "run `decisionframe import` first (and fix what it reports)",
                )
            ]
        if problems:
            raise TheoryError(f"theory {path.name} does not match the data", problems)
    return theory


def check_theory(path: Path, store: Store | None = None) -> TheoryCheck:
    theory = load_theory(path, store)
    identifications = identify_all(theory)
    return TheoryCheck(
        theory, tuple(identifications), tuple(graph_diagnostics(theory, identifications))
    )


__all__ = [
    "Assumption",
    "Diagnostic",
    "Edge",
    "Identification",
    "MeasurementPlan",
    "Node",
    "Theory",
    "TheoryCheck",
    "TheoryDiagnosis",
    "check_draft",
    "check_theory",
    "graph_diagnostics",
    "identify_all",
    "identify_effect",
    "load_theory",
    "measurement_plan",
    "theory_svg",
]
