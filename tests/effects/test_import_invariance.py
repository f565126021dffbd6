"""Same data, same seed, same answer: whatever the pseudonymization key or the row order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from decisionframe.effects import analyze_theory
from decisionframe.project import Project
from decisionframe.theory import load_theory
from tests.conftest import make_project


def _shuffle_rows(folder: Path, seed: int) -> None:
    """Rewrite every data file with its rows in a different order (same content)."""
    for path in sorted((folder / "data").glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        order = np.random.default_rng(seed).permutation(len(frame))
        frame.iloc[order].to_csv(path, index=False)


def _evidence(folder: Path) -> list[dict[str, object]]:
    project = Project(folder)
    project.import_data()
    with project.open_store(read_only=True) as store:
        theory = load_theory(project.theory_path, store)
        result = analyze_theory(store, theory, seed=7)
    keep = ("edge", "estimate", "se", "ci_low", "ci_high", "n_used", "verdict")
    out = []
    for typed, edge in zip(result.edges, result.to_dict()["edges"], strict=True):
        row = {k: typed.row()[k] for k in keep}
        row["stability"] = edge["verdict"]["stability"]
        row["refutations"] = [(r["status"], r["new_effect"]) for r in edge["refutations"]]
        row["specifications"] = edge["specifications"]
        row["overlap"] = edge["estimate"]["overlap"] if edge["estimate"] else None
        out.append(row)
    return out


def test_two_keys_and_two_row_orders_give_identical_evidence(
    sim_cache: Path, tmp_path: Path
) -> None:
    first = make_project(sim_cache, tmp_path / "a", n=800, seed=11)
    second = make_project(sim_cache, tmp_path / "b", n=800, seed=11)
    _shuffle_rows(second, seed=5)
    a, b = _evidence(first), _evidence(second)
    keys = [(f / ".decisionframe" / "key").read_text() for f in (first, second)]
    assert keys[0] != keys[1]  # two fresh imports, two random pseudonymization keys
    assert any(row["estimate"] is not None for row in a)
    assert a == b
