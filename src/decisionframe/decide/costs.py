"""Costs from one place: the imported costs table when present, theory.yaml otherwise.

The costs table (``option, cost_per_client, capacity``) is what the finance team exports;
theory.yaml's ``cost_per_client``/``capacity`` are the evaluator's working numbers. When
both give a value and they disagree, the table wins and the decision carries a warning
naming both values. An option with a cost in neither place is an error that says so: a
missing cost is never read as 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from decisionframe.errors import NotEstimableError
from decisionframe.store import Store
from decisionframe.theory.model import Decision


@dataclass(frozen=True)
class PlanOption:
    """A decision option with its resolved cost and capacity, and where each came from."""

    id: str
    cost_per_client: float
    capacity: float | None
    set: dict[str, float]
    cost_source: str  # "costs table" | "theory.yaml"
    capacity_source: str | None


def _costs_table(store: Store | None) -> dict[str, tuple[float | None, float | None]]:
    if store is None or not store.table_exists("costs"):
        return {}
    columns = {name for name, _ in store.table_columns("costs")}
    capacity = "capacity" if "capacity" in columns else "NULL"
    table: dict[str, tuple[float | None, float | None]] = {}
    for option, cost, cap in store.rows(f"SELECT option, cost_per_client, {capacity} FROM costs"):
        table[str(option)] = (
            None if cost is None or _nan(cost) else float(cost),
            None if cap is None or _nan(cap) else float(cap),
        )
    return table


def _nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _differ(a: float, b: float) -> bool:
    return not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def resolve_costs(
    decision: Decision, store: Store | None
) -> tuple[tuple[PlanOption, ...], tuple[str, ...]]:
    """Each option's cost and capacity, and warnings for every conflict between sources."""
    table = _costs_table(store)
    warnings: list[str] = []
    options = []
    for option in decision.options:
        row_cost, row_capacity = table.get(option.id, (None, None))
        if row_cost is not None and row_cost <= 0:
            raise NotEstimableError(
                f"the costs table gives option '{option.id}' a cost per client of "
                f"{row_cost:g}. Hint: a cost must be above 0; fix data/costs.csv."
            )
        if row_cost is not None:
            cost, cost_source = row_cost, "costs table"
            if option.cost_per_client is not None and _differ(option.cost_per_client, row_cost):
                warnings.append(
                    f"option '{option.id}': the costs table says {row_cost:,.2f} per client, "
                    f"theory.yaml says {option.cost_per_client:,.2f}; using the costs table"
                )
        elif option.cost_per_client is not None:
            cost, cost_source = option.cost_per_client, "theory.yaml"
        else:
            raise NotEstimableError(
                f"option '{option.id}' has no cost per client: it is missing from the costs "
                "table and from theory.yaml. Hint: add a row to data/costs.csv (option, "
                "cost_per_client, capacity) or `cost_per_client:` to the option in theory.yaml."
            )
        capacity: float | None
        if row_capacity is not None:
            capacity, capacity_source = row_capacity, "costs table"
            if option.capacity is not None and _differ(option.capacity, row_capacity):
                warnings.append(
                    f"option '{option.id}': the costs table gives a capacity of "
                    f"{row_capacity:,.0f} clients, theory.yaml {option.capacity:,}; using the "
                    "costs table"
                )
        elif option.capacity is not None:
            capacity, capacity_source = float(option.capacity), "theory.yaml"
        else:
            capacity, capacity_source = None, None
        options.append(
            PlanOption(
                option.id,
                float(cost),
                capacity,
                dict(option.set),
                cost_source,
                capacity_source,
            )
        )
    unmatched = len(set(table) - {o.id for o in decision.options})
    if unmatched:
        warnings.append(
            f"{unmatched} row(s) of the costs table name no option in theory.yaml and are not used"
        )
    return tuple(options), tuple(warnings)
