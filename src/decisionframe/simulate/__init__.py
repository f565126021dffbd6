"""Seeded service-organization simulator: the fixture for tests, docs, demo and benchmarks."""

from decisionframe.simulate.scenarios import SCENARIOS, Scenario
from decisionframe.simulate.series import SERIES_SCENARIOS, build_series_world
from decisionframe.simulate.world import World, build_world
from decisionframe.simulate.writer import SimulationResult, simulate_project

__all__ = [
    "SCENARIOS",
    "SERIES_SCENARIOS",
    "Scenario",
    "SimulationResult",
    "World",
    "build_series_world",
    "build_world",
    "simulate_project",
]
