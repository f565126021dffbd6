"""Did it work? Initiatives evaluated over time: designs, placebos, verdicts."""

from decisionframe.initiatives.analyze import (
    Design,
    InitiativeEffect,
    InitiativesResult,
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
    "choose_design",
    "evaluate_initiative",
    "evaluate_initiatives",
    "read_initiatives",
]
