"""The published JSON Schemas: one per result kind, generated from the result types.

``docs/schemas/<kind>.schema.json`` is the contract of each command's ``--json`` output;
``python -m tools.write_schemas`` regenerates the files and a test checks they are current.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from decisionframe.results import Result


def published_types() -> dict[str, type[Result]]:
    """Every result kind with a published schema (a new command's result adds a line)."""
    from decisionframe.backup import BackupResult, RestoreResult
    from decisionframe.decide import DecisionResult
    from decisionframe.demand import DemandResult
    from decisionframe.effects import EvidenceResult
    from decisionframe.ingest import ImportResult
    from decisionframe.initiatives import InitiativesResult
    from decisionframe.project import StatusResult
    from decisionframe.recovery import RepairResult
    from decisionframe.report import ReportResult
    from decisionframe.runs import Provenance
    from decisionframe.simulate import SimulationResult
    from decisionframe.theory import MeasurementPlan, TheoryCheck, TheoryDiagnosis
    from decisionframe.theory.implications import ImplicationsResult
    from decisionframe.theory.save import TheoryVersion
    from decisionframe.voice import VoiceResult
    from decisionframe.voice.profiles import ProfilesResult

    types: list[type[Result]] = [
        SimulationResult,
        ImportResult,
        StatusResult,
        RepairResult,
        TheoryCheck,
        TheoryDiagnosis,
        ImplicationsResult,
        TheoryVersion,
        MeasurementPlan,
        EvidenceResult,
        DecisionResult,
        DemandResult,
        VoiceResult,
        ProfilesResult,
        InitiativesResult,
        ReportResult,
        BackupResult,
        RestoreResult,
        Provenance,
    ]
    return {t.kind: t for t in types}


def schema_text(cls: type[Result]) -> str:
    return json.dumps(cls.json_schema(), indent=2, sort_keys=True) + "\n"


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema of ``kind``'s ``to_dict()`` output."""
    return published_types()[kind].json_schema()


def write_schemas(directory: Path) -> list[Path]:
    """Write every published schema into ``directory``; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, cls in published_types().items():
        path = directory / f"{kind}.schema.json"
        path.write_text(schema_text(cls), encoding="utf-8")
        written.append(path)
    return written


__all__ = ["published_types", "schema_for", "schema_text", "write_schemas"]
