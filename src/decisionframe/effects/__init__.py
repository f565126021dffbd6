"""Evidence: estimate each assumption's effect, diagnose, refute, test sensitivity, judge."""

from decisionframe.effects.analyze import EdgeResult, EvidenceResult, analyze_edge, analyze_theory
from decisionframe.effects.estimate import DoubleMLEstimator, EffectEstimate, Estimator, Interval
from decisionframe.effects.verdict import Verdict, judge

__all__ = [
    "DoubleMLEstimator",
    "EdgeResult",
    "EffectEstimate",
    "Estimator",
    "EvidenceResult",
    "Interval",
    "Verdict",
    "analyze_edge",
    "analyze_theory",
    "judge",
]
