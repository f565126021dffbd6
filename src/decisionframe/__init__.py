"""decisionframe: test an organization's impact theory on its own data.

The public API is what ``__all__`` lists; everything else may change.
"""

from decisionframe.config import ProjectConfig, load_config
from decisionframe.errors import (
    ConfigError,
    DecisionframeError,
    ImportValidationError,
    NotEstimableError,
    Problem,
    ProjectError,
    StoreError,
    TheoryError,
)
from decisionframe.ingest import ImportResult
from decisionframe.project import Project, StatusResult, init_project
from decisionframe.simulate import SCENARIOS, SimulationResult, simulate_project

__version__ = "0.1.0"

__all__ = [
    "SCENARIOS",
    "ConfigError",
    "DecisionframeError",
    "ImportResult",
    "ImportValidationError",
    "NotEstimableError",
    "Problem",
    "Project",
    "ProjectConfig",
    "ProjectError",
    "SimulationResult",
    "StatusResult",
    "StoreError",
    "TheoryError",
    "__version__",
    "init_project",
    "load_config",
    "simulate_project",
]
