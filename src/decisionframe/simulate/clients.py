"""Simulated clients: who they are, how hard their case is, and the service they get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

START = date(2025, 1, 1)
EXTRACTED_ON = date(2026, 3, 31)
# Enrolment runs steadily from well before the export window until the extraction date, and
# the export starts nine months before START: by then the service is in a steady state (the
# mix of first contacts and long-running cases no longer changes), as in a real export.
ENROL_FIRST_DAY = -500
EXPORT_FIRST_DAY = -270
EXTRACTED_DAY = (EXTRACTED_ON - START).days
FRONT_UNITS = ("north_office", "south_office", "contact_centre", "online_team")
REGIONS = ("north", "south", "east")
LANGUAGES = ("en", "es", "ar", "other")
PLANTED_IRRELEVANT = "intake_form_version"


@dataclass(frozen=True)
class Clients:
    """Client-level arrays (one entry per client) plus the frame written to clients.csv."""

    frame: pd.DataFrame
    complexity: np.ndarray
    prior: np.ndarray
    motivation: np.ndarray
    followup: np.ndarray
    latent_respect: np.ndarray
    latent_explained: np.ndarray
    enrolled_day: np.ndarray  # days since START
    age: np.ndarray
    region: np.ndarray


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def simulate_clients(rng: np.random.Generator, n: int) -> Clients:
    """Draw clients. Case complexity drives worse service *and* worse outcomes (confounding)."""
    complexity = rng.choice(np.arange(1, 6), size=n, p=[0.15, 0.25, 0.3, 0.2, 0.1])
    prior = np.minimum(rng.poisson(0.3 + 0.3 * (complexity - 1)), 8)
    motivation = rng.normal(size=n)  # never measured: affects outcomes only
    age = np.clip(np.round(rng.normal(42, 14, size=n)), 18, 90).astype(int)
    household = 1 + rng.poisson(1.2, size=n)
    language = rng.choice(LANGUAGES, size=n, p=[0.7, 0.15, 0.08, 0.07])
    region = rng.choice(REGIONS, size=n, p=[0.4, 0.35, 0.25])
    enrolled_day = rng.integers(ENROL_FIRST_DAY, EXTRACTED_DAY + 1, size=n)
    followup = rng.random(n) < _sigmoid(-1.6 + 0.55 * (complexity - 3) + 0.35 * prior)
    # Harder cases get rushed, less respectful service and fewer explanations.
    latent_respect = 3.7 - 0.3 * (complexity - 3) - 0.12 * prior + rng.normal(0, 0.45, n)
    latent_explained = 3.5 - 0.3 * (complexity - 3) + rng.normal(0, 0.5, n)
    frame = pd.DataFrame(
        {
            "client_id": [f"C{100000 + i}" for i in range(n)],
            "enrolled_on": pd.to_datetime(START) + pd.to_timedelta(enrolled_day, unit="D"),
            "age": pd.array(age, dtype="Int64"),
            "household_size": household,
            "language": language,
            "region": region,
            "case_complexity": complexity,
            "prior_episodes": prior,
            "case_worker_followup": followup,
            PLANTED_IRRELEVANT: rng.choice(["v1", "v2", "v3"], size=n),
        }
    )
    frame.loc[rng.random(n) < 0.02, "age"] = pd.NA
    frame["enrolled_on"] = frame["enrolled_on"].dt.date
    return Clients(
        frame=frame,
        complexity=complexity,
        prior=prior,
        motivation=motivation,
        followup=followup,
        latent_respect=latent_respect,
        latent_explained=latent_explained,
        enrolled_day=enrolled_day,
        age=age,
        region=region,
    )
