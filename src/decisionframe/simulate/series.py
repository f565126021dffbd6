"""Simulated KPI panels for evaluating initiatives: monthly series per office, known effects.

A project written here holds only ``series`` and ``initiatives`` (an analyst evaluating a
KPI export), which is the point: initiatives must work without clients or touchpoints.

The panel: each office has its own level, all offices share month effects (seasonality and
a slow drift: what a difference-in-differences design differences away), and each office
has its own AR(1) noise (what makes naive standard errors too small). Rates are binomial
shares of a monthly volume ``n``. Effects are additive and start in the first month of an
initiative; truth.json holds each effect per initiative and measure, on the scale of the
measure (share points, rating points, days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

MONTHS = 36
FIRST_MONTH = date(2023, 1, 1)


@dataclass(frozen=True)
class SeriesMeasure:
    name: str
    kind: str  # "rate" (binomial share with n) or "mean"
    base: float
    unit_sd: float  # between-office spread of levels
    month_sd: float  # shared month-to-month shocks
    noise_sd: float  # office-specific AR(1) innovation sd
    rho: float = 0.4


MEASURES = (
    SeriesMeasure("failure_share", "rate", 0.30, 0.04, 0.01, 0.010),
    SeriesMeasure("one_touch_rate", "rate", 0.55, 0.05, 0.01, 0.010),
    SeriesMeasure("satisfaction", "mean", 3.8, 0.15, 0.03, 0.04),
    SeriesMeasure("days_to_resolve", "mean", 9.0, 1.0, 0.2, 0.3),
    SeriesMeasure("letters_understood", "rate", 0.60, 0.05, 0.01, 0.010),
    SeriesMeasure("callback_kept", "rate", 0.70, 0.04, 0.01, 0.010),
)


@dataclass(frozen=True)
class PlantedInitiative:
    initiative_id: str
    name: str
    waves: tuple[tuple[int, tuple[str, ...]], ...]  # (start month index, units); () = all
    effects: dict[str, float]  # measure -> additive effect from the start month on
    expected: dict[str, str]  # measure -> how the organization hoped it would move
    design: str = ""  # the design a careful analyst would choose (for truth.json)


def _offices(k: int) -> tuple[str, ...]:
    return tuple(f"Office {i:02d}" for i in range(1, k + 1))


def _scenario(name: str) -> tuple[tuple[str, ...], tuple[PlantedInitiative, ...], str]:
    if name in ("staggered-rollout", "stable"):
        units = _offices(12)
        scale = 0.0 if name == "stable" else 1.0
        plans: tuple[PlantedInitiative, ...] = (
            PlantedInitiative(
                "I1",
                "Single point of contact",
                ((12, units[0:3]), (18, units[3:6]), (24, units[6:9])),
                {
                    "failure_share": -0.04 * scale,
                    "one_touch_rate": 0.05 * scale,
                    "days_to_resolve": -1.0 * scale,
                    "satisfaction": 0.0,
                },
                {
                    "failure_share": "decrease",
                    "one_touch_rate": "increase",
                    "days_to_resolve": "decrease",
                    "satisfaction": "increase",
                },
                design="staggered",
            ),
            PlantedInitiative(
                "I2",
                "Plain-language letters",
                ((20, units[9:12]),),
                {"letters_understood": 0.06 * scale},
                {"letters_understood": "increase"},
                design="did",
            ),
            PlantedInitiative(
                "I3",
                "Callback promise",
                ((22, units[0:1]),),
                {"callback_kept": 0.08 * scale},
                {"callback_kept": "increase"},
                design="synthetic_control",
            ),
        )
        description = (
            "Nothing changed the process: initiatives were logged but had no effect."
            if name == "stable"
            else "A single point of contact rolled out in three waves (nine of twelve offices), "
            "plain-language letters in three offices at once, a callback promise in one office."
        )
        return units, plans, description
    if name == "org-wide-change":
        units = _offices(4)
        plans = (
            PlantedInitiative(
                "W1",
                "New case system, everywhere at once",
                ((24, ()),),
                {"failure_share": 0.05, "days_to_resolve": 1.5},
                {"failure_share": "decrease", "days_to_resolve": "decrease"},
                design="its",
            ),
        )
        return units, plans, "A new case system went live in every office on one day."
    raise ValueError(name)


SERIES_SCENARIOS = ("staggered-rollout", "org-wide-change", "stable")


def _month(i: int) -> date:
    return date(FIRST_MONTH.year + (FIRST_MONTH.month - 1 + i) // 12, (i % 12) + 1, 1)


def _effect_matrix(
    plans: tuple[PlantedInitiative, ...], units: tuple[str, ...], measure: str
) -> np.ndarray:
    effect = np.zeros((len(units), MONTHS))
    for plan in plans:
        size = plan.effects.get(measure, 0.0)
        for start, wave in plan.waves:
            for u, unit in enumerate(units):
                if not wave or unit in wave:
                    effect[u, start:] += size
    return effect


def _ar1(rng: np.random.Generator, shape: tuple[int, int], sd: float, rho: float) -> np.ndarray:
    shocks = rng.normal(0.0, sd, shape)
    out = np.empty(shape)
    out[:, 0] = shocks[:, 0] / np.sqrt(1 - rho**2)
    for t in range(1, shape[1]):
        out[:, t] = rho * out[:, t - 1] + shocks[:, t]
    return out


def build_series_world(
    *, seed: int, scenario: str
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The ``series`` and ``initiatives`` tables of a scenario, and its truth."""
    units, plans, description = _scenario(scenario)
    rng = np.random.default_rng(seed)
    season = np.sin(2 * np.pi * np.arange(MONTHS) / 12)
    frames = []
    for m in MEASURES:
        level = m.base + rng.normal(0, m.unit_sd, (len(units), 1))
        shared = m.month_sd * (season + rng.normal(0, 1, MONTHS) + np.linspace(-1, 1, MONTHS))
        mean = level + shared + _ar1(rng, (len(units), MONTHS), m.noise_sd, m.rho)
        mean = mean + _effect_matrix(plans, units, m.name)
        n = rng.poisson(400, (len(units), MONTHS))
        if m.kind == "rate":
            value = rng.binomial(n, np.clip(mean, 0.01, 0.99)) / n
        else:
            value = mean + rng.normal(0, m.noise_sd / 2, mean.shape)
        frames.append(
            pd.DataFrame(
                {
                    "unit": np.repeat(units, MONTHS),
                    "period": [_month(t) for _ in units for t in range(MONTHS)],
                    "measure": m.name,
                    "value": value.ravel(),
                    "n": n.ravel(),
                }
            )
        )
    series = pd.concat(frames, ignore_index=True)
    rows = [
        {
            "initiative_id": plan.initiative_id,
            "name": plan.name,
            "started_on": _month(start),
            "units": ",".join(wave),
            "measures": ",".join(plan.effects),
            "expected": ",".join(plan.expected[k] for k in plan.effects),
        }
        for plan in plans
        for start, wave in plan.waves
    ]
    truth = {
        "scenario": scenario,
        "description": description,
        "seed": seed,
        "kind": "series",
        "initiatives": [
            {
                "initiative_id": plan.initiative_id,
                "measure": measure,
                "design": plan.design,
                "effect": effect,
                "scale": "additive, in the measure's own units, from the start month on",
            }
            for plan in plans
            for measure, effect in plan.effects.items()
        ],
    }
    return {"series": series, "initiatives": pd.DataFrame(rows)}, truth
