"""Did it work? Initiatives evaluated over time: designs, placebos, verdicts."""

from decisionframe.initiatives.analyze import (
    Design,
    InitiativeEffect,
    InitiativesResult,
    adjust_for_multiplicity,
    choose_design,
    evaluate_initiative,
    evaluate_initiatives,
)
from decisionframe.initiatives.designs import Estimate
from decisionframe.initiatives.panel import Initiative, Panel, Wave, read_initiatives
from decisionframe.initiatives.placebos import Placebos

__all__ = [
    "Design",
    "Estimate",
    "Initiative",
    "InitiativeEffect",
    "InitiativesResult",
    "Panel",
    "Placebos",
    "Wave",
    "adjust_for_multiplicity",
    "choose_design",
    "evaluate_initiative",
    "evaluate_initiatives",
    "read_initiatives",
]
