"""Decide: options, budget split, targeting, value of information."""

from decisionframe.decide.analyze import DecisionResult, decide_options

__all__ = ["DecisionResult", "decide_options"]
