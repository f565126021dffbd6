"""decisionframe: test an organization's impact theory on its own data.

The public API is what ``__all__`` lists; everything else may change.
"""

from typing import TYPE_CHECKING

from decisionframe.config import ProjectConfig, load_config
from decisionframe.errors import (
    ConfigError,
    DecisionframeError,
    ImportValidationError,
    NotEstimableError,
    Problem,
    ProjectError,
    ResultFormatError,
    StaleResultError,
    StoreError,
    TheoryError,
)
from decisionframe.ingest import ImportResult
from decisionframe.project import Project, StatusResult, init_project
from decisionframe.simulate import SCENARIOS, SimulationResult, simulate_project

if TYPE_CHECKING:  # the lazily loaded names below, for type checkers and editors
    from decisionframe.api import (
        analyze_assumption,
        analyze_tables,
        complete_rows,
        decide_tables,
        demand_tables,
        estimate,
        identify,
        judge,
        refute,
        sensitivity,
    )
    from decisionframe.decide import DecisionResult
    from decisionframe.demand import DemandResult
    from decisionframe.effects import EdgeResult, EvidenceResult
    from decisionframe.report import ReportResult
    from decisionframe.results import Frame, Result
    from decisionframe.runs import Provenance, SavedRun
    from decisionframe.theory import Identification, MeasurementPlan, TheoryCheck
    from decisionframe.theory.dagitty import parse_dagitty

__version__ = "0.1.0"

# The analysis API and result types import the statistics stack (scikit-learn, DoubleML),
# so they load on first use: `import decisionframe` stays quick for the CLI.
_LAZY = {
    "identify": "decisionframe.api",
    "analyze_tables": "decisionframe.api",
    "decide_tables": "decisionframe.api",
    "demand_tables": "decisionframe.api",
    "estimate": "decisionframe.api",
    "refute": "decisionframe.api",
    "sensitivity": "decisionframe.api",
    "judge": "decisionframe.api",
    "analyze_assumption": "decisionframe.api",
    "complete_rows": "decisionframe.api",
    "parse_dagitty": "decisionframe.theory.dagitty",
    "Result": "decisionframe.results",
    "Frame": "decisionframe.results",
    "EdgeResult": "decisionframe.effects",
    "EvidenceResult": "decisionframe.effects",
    "DecisionResult": "decisionframe.decide",
    "DemandResult": "decisionframe.demand",
    "ReportResult": "decisionframe.report",
    "Identification": "decisionframe.theory",
    "MeasurementPlan": "decisionframe.theory",
    "TheoryCheck": "decisionframe.theory",
    "Provenance": "decisionframe.runs",
    "SavedRun": "decisionframe.runs",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'decisionframe' has no attribute {name!r}")


__all__ = [
    "SCENARIOS",
    "ConfigError",
    "DecisionResult",
    "DecisionframeError",
    "DemandResult",
    "EdgeResult",
    "EvidenceResult",
    "Frame",
    "Identification",
    "ImportResult",
    "ImportValidationError",
    "MeasurementPlan",
    "NotEstimableError",
    "Problem",
    "Project",
    "ProjectConfig",
    "ProjectError",
    "Provenance",
    "ReportResult",
    "Result",
    "ResultFormatError",
    "SavedRun",
    "SimulationResult",
    "StaleResultError",
    "StatusResult",
    "StoreError",
    "TheoryCheck",
    "TheoryError",
    "__version__",
    "analyze_assumption",
    "analyze_tables",
    "complete_rows",
    "decide_tables",
    "demand_tables",
    "estimate",
    "identify",
    "init_project",
    "judge",
    "load_config",
    "parse_dagitty",
    "refute",
    "sensitivity",
    "simulate_project",
]
