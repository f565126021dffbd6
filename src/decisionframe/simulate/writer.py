"""Write a simulated organization as a complete project folder plus truth.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from decisionframe.errors import DecisionframeError
from decisionframe.results import Result
from decisionframe.simulate.scenarios import SCENARIOS
from decisionframe.simulate.series import SERIES_SCENARIOS, build_series_world
from decisionframe.simulate.theory_yaml import THEORY_YAML
from decisionframe.simulate.world import build_world

CONFIG_YAML = """\
# decisionframe project config (written by `decisionframe simulate`).
name: {name}
store: .decisionframe/store.duckdb
sources:
  clients: {{path: data/clients.csv}}
  # The case system calls the contact time `contact_time`: map it onto `started_at`.
  touchpoints: {{path: data/contacts.csv, columns: {{started_at: contact_time}}}}
  outcomes: {{path: data/outcomes.csv}}
  feedback: {{path: data/feedback.csv}}
  costs: {{path: data/costs.csv}}
  initiatives: {{path: data/initiatives.csv}}
privacy:
  min_cell_size: 11
  pseudonymize: [client_id, staff_id]
# Themes the analyst expects in the feedback, each with a few seed terms (`word*` matches
# any ending). `voice` also discovers themes nobody named.
voice:
  themes:
    felt_rushed: {{label: Felt rushed, seeds: [rush*, hurr*, in a hurry, no time]}}
    next_steps: {{label: Next steps unclear, seeds: [next step*, explain*, confus*, unclear]}}
    chasing: {{label: Chasing progress, seeds: [chas*, call* back, follow up, no update]}}
    praise: {{label: Treated with respect, seeds: [respect*, kind, dignity, helpful]}}
  segments: [region, language]
"""

SERIES_CONFIG_YAML = """\
# decisionframe project config (written by `decisionframe simulate`): a KPI export only,
# monthly series per office and the initiatives log; no clients or contacts.
name: {name}
store: .decisionframe/store.duckdb
sources:
  series: {{path: data/series.csv}}
  initiatives: {{path: data/initiatives.csv}}
"""

FILES = {
    "clients": "clients.csv",
    "touchpoints": "contacts.csv",
    "outcomes": "outcomes.csv",
    "feedback": "feedback.csv",
    "costs": "costs.csv",
    "initiatives": "initiatives.csv",
}


@dataclass(frozen=True)
class SimulationResult(Result):
    """The simulated project folder: scenario, seed and rows written per file."""

    kind: ClassVar[str] = "simulate"
    directory: Path
    scenario: str
    seed: int
    rows: dict[str, int]

    def summary(self) -> str:
        rows = ", ".join(f"{k} {v:,}" for k, v in self.rows.items())
        return f"Simulated '{self.scenario}' (seed {self.seed}) into {self.directory}: {rows}."


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write with pyarrow (fast for millions of rows); timestamps as 'YYYY-MM-DD HH:MM:SS'."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M:%S")
    table = pa.Table.from_pandas(out, preserve_index=False)
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def simulate_project(
    directory: Path | str,
    *,
    n_clients: int | None = None,
    seed: int = 1,
    scenario: str = "service-matters",
    name: str | None = None,
    overwrite: bool = False,
) -> SimulationResult:
    """Write a realistic project folder whose true effects are known (see truth.json).

    ``n_clients`` (default 5000) is refused for a series scenario: those simulate monthly
    measures of offices, not clients, and a silently ignored ``--clients`` let a user
    believe they had asked for a larger organization.
    """
    if scenario in SERIES_SCENARIOS:
        if n_clients is not None:
            raise DecisionframeError(
                f"--clients does not apply to scenario '{scenario}': it simulates monthly "
                "measures of offices (series and initiatives), not clients. Hint: leave out "
                f"--clients, or pick a client scenario: {', '.join(SCENARIOS)}"
            )
        return _simulate_series(
            directory, seed=seed, scenario=scenario, name=name, overwrite=overwrite
        )
    if scenario not in SCENARIOS:
        choices = ", ".join([*SCENARIOS, *SERIES_SCENARIOS])
        raise DecisionframeError(f"unknown scenario '{scenario}'. Hint: choose one of {choices}")
    if n_clients is None:
        n_clients = 5000
    if n_clients < 50:
        raise DecisionframeError("--clients must be at least 50. Hint: try 5000.")
    target = Path(directory)
    if (target / "decisionframe.yaml").exists() and not overwrite:
        raise DecisionframeError(
            f"{target} already holds a project. Hint: pick a new folder or pass --overwrite."
        )
    world = build_world(n_clients=n_clients, seed=seed, scenario=SCENARIOS[scenario])
    data = target / "data"
    data.mkdir(parents=True, exist_ok=True)
    tables = dict(world.tables)
    tables["touchpoints"] = tables["touchpoints"].rename(columns={"started_at": "contact_time"})
    for table, filename in FILES.items():
        write_csv(tables[table], data / filename)
    org = name or f"Simulated Housing Support ({scenario})"
    (target / "decisionframe.yaml").write_text(CONFIG_YAML.format(name=org), encoding="utf-8")
    (target / "theory.yaml").write_text(THEORY_YAML.format(name=org), encoding="utf-8")
    (target / "truth.json").write_text(json.dumps(world.truth, indent=2) + "\n", encoding="utf-8")
    (target / ".gitignore").write_text(".decisionframe/\nreports/\n", encoding="utf-8")
    return SimulationResult(target, scenario, seed, {t: len(f) for t, f in world.tables.items()})


def _simulate_series(
    directory: Path | str, *, seed: int, scenario: str, name: str | None, overwrite: bool
) -> SimulationResult:
    """A KPI-panel project: only ``series`` and ``initiatives``, with truth.json."""
    target = Path(directory)
    if (target / "decisionframe.yaml").exists() and not overwrite:
        raise DecisionframeError(
            f"{target} already holds a project. Hint: pick a new folder or pass --overwrite."
        )
    tables, truth = build_series_world(seed=seed, scenario=scenario)
    data = target / "data"
    data.mkdir(parents=True, exist_ok=True)
    for table, frame in tables.items():
        write_csv(frame, data / f"{table}.csv")
    org = name or f"Simulated offices ({scenario})"
    (target / "decisionframe.yaml").write_text(
        SERIES_CONFIG_YAML.format(name=org), encoding="utf-8"
    )
    (target / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    (target / ".gitignore").write_text(".decisionframe/\nreports/\n", encoding="utf-8")
    return SimulationResult(target, scenario, seed, {t: len(f) for t, f in tables.items()})
