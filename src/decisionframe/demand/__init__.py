"""Demand: value vs failure demand, internal customers, end-to-end time, control charts."""

from decisionframe.demand.analyze import DemandResult, analyze_demand
from decisionframe.demand.classify import classification_sql, classify_demand

__all__ = ["DemandResult", "analyze_demand", "classification_sql", "classify_demand"]
