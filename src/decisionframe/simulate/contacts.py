"""Simulated needs and the contacts (touchpoints) it takes to resolve them.

Failure demand is planted explicitly: repeat contacts after the front line did not resolve
a need (more likely when next steps were poorly explained), progress-chasing while a
back-end unit holds the need, and error-correction contacts. Everything is vectorized:
one array entry per need or per contact, no Python loop over clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from decisionframe.simulate.clients import START, Clients

REASONS = (
    "benefit claim",
    "housing application",
    "rent arrears advice",
    "repairs request",
    "change of circumstances",
    "food support",
)
REASON_P = (0.28, 0.22, 0.15, 0.13, 0.12, 0.10)
# reason index -> (back-end unit, probability the need is handed to it)
BACKEND_ROUTING = {
    0: ("benefits_processing", 0.75),
    1: ("housing_assessment", 0.65),
    2: ("benefits_processing", 0.2),
    3: ("repairs_team", 0.5),
    4: ("records", 0.45),
}
BACKEND_CHASES = {
    "benefits_processing": 1.6,
    "housing_assessment": 0.55,
    "repairs_team": 0.35,
    "records": 0.25,
}
CHANNELS = ("in_person", "phone", "web", "mobile", "email", "social")
WAIT_MEDIAN = {"in_person": 18, "phone": 8, "web": 0, "mobile": 0, "email": 45, "social": 20}
HANDLE_MEDIAN = {"in_person": 25, "phone": 12, "web": 3, "mobile": 3, "email": 8, "social": 6}
CHANNEL_COST = {
    "in_person": 6.0,
    "phone": 2.0,
    "web": 0.5,
    "mobile": 0.5,
    "email": 1.0,
    "social": 1.0,
}
UNIT_RESPECT = {
    "north_office": 0.0,
    "south_office": -0.1,
    "contact_centre": -0.2,
    "online_team": 0.1,
}
INITIATIVE_UNIT = "north_office"
INITIATIVE_START = date(2025, 7, 1)
INITIATIVE_RESPECT_GAIN = 0.7
CHASE_TEXT = ("Chasing progress on {r}", "Where is my {r}?", "Follow-up on {r} status")
ERROR_TEXT = (
    "Wrong amount in {r} letter",
    "Correcting an error in {r}",
    "Complaint: mistake in {r}",
)

KIND_VALUE, KIND_REPEAT, KIND_CHASE, KIND_ERROR = 0, 1, 2, 3


@dataclass(frozen=True)
class Contacts:
    """Touchpoint frame plus the hidden columns the truth and outcomes need."""

    frame: pd.DataFrame
    client_index: np.ndarray
    kind: np.ndarray
    day: np.ndarray  # days since START
    backend: np.ndarray  # back-end unit holding the need, '' if none
    # A process change (scenario new-process): its true effect on the failure-demand share
    process_truth: dict[str, object] | None = None


@dataclass(frozen=True)
class Prevention:
    """From ``day`` (days since START) on, each failure contact happens with probability
    ``1 - share``; drawn from its own generator (``seed``), so the other draws of the
    world stay those of the same scenario without the change."""

    day: int
    share: float
    seed: int


def _within_group_cumsum(values: np.ndarray, group_start: np.ndarray) -> np.ndarray:
    total = np.cumsum(values)
    return np.asarray(
        total
        - np.repeat(
            total[group_start] - values[group_start], np.diff(np.append(group_start, len(values)))
        )
    )


def _needs(rng: np.random.Generator, clients: Clients) -> pd.DataFrame:
    n_needs = 1 + rng.poisson(0.45 + 0.15 * (clients.complexity - 1))
    client_index = np.repeat(np.arange(len(n_needs)), n_needs)
    first_of_client = np.r_[True, client_index[1:] != client_index[:-1]]
    offset = np.where(first_of_client, 0, rng.integers(0, 200, size=len(client_index)))
    reason = rng.choice(len(REASONS), size=len(client_index), p=REASON_P)
    backend = np.full(len(client_index), "", dtype=object)
    for reason_index, (unit, p) in BACKEND_ROUTING.items():
        routed = (reason == reason_index) & (rng.random(len(reason)) < p)
        backend[routed] = unit
    chase_mean = np.array([BACKEND_CHASES.get(b, 0.0) for b in backend])
    explained = clients.latent_explained[client_index]
    repeat_mean = np.clip(0.45 - 0.18 * (explained - 3.5), 0.05, 1.5)
    return pd.DataFrame(
        {
            "client_index": client_index,
            "start_day": clients.enrolled_day[client_index] + offset,
            "reason": reason,
            "backend": backend,
            "repeats": rng.poisson(repeat_mean),
            "chases": rng.poisson(chase_mean),
            "errors": (rng.random(len(reason)) < 0.06).astype(int),
        }
    )


def _channels(rng: np.random.Generator, clients: Clients, client_index: np.ndarray) -> np.ndarray:
    older = clients.age[client_index] >= 55
    hard = clients.complexity[client_index] >= 4
    p_young = np.array([0.15, 0.25, 0.25, 0.2, 0.1, 0.05])
    p_old = np.array([0.35, 0.4, 0.1, 0.05, 0.08, 0.02])
    p_hard = np.array([0.45, 0.3, 0.1, 0.05, 0.08, 0.02])
    u = rng.random(len(client_index))
    out = np.empty(len(client_index), dtype=object)
    for mask, p in ((~older & ~hard, p_young), (older & ~hard, p_old), (hard, p_hard)):
        cut = np.searchsorted(np.cumsum(p), u[mask], side="right")
        out[mask] = np.asarray(CHANNELS, dtype=object)[np.minimum(cut, len(CHANNELS) - 1)]
    return out


def simulate_contacts(
    rng: np.random.Generator, clients: Clients, *, prevent: Prevention | None = None
) -> Contacts:
    needs = _needs(rng, clients)
    per_need = 1 + needs["repeats"] + needs["chases"] + needs["errors"]
    need_index = np.repeat(np.arange(len(needs)), per_need.to_numpy())
    need_start = np.r_[0, np.cumsum(per_need.to_numpy())[:-1]]
    position = np.arange(len(need_index)) - np.repeat(need_start, per_need.to_numpy())
    repeats = needs["repeats"].to_numpy()[need_index]
    chases = needs["chases"].to_numpy()[need_index]
    kind = np.select(
        [position == 0, position <= repeats, position <= repeats + chases],
        [KIND_VALUE, KIND_REPEAT, KIND_CHASE],
        KIND_ERROR,
    )
    gap_mean = np.select([kind == KIND_REPEAT, kind == KIND_CHASE], [4.0, 8.0], 12.0)
    gaps = np.where(position == 0, 0.0, rng.exponential(gap_mean))
    day_in_need = _within_group_cumsum(gaps, need_start)
    day = needs["start_day"].to_numpy()[need_index] + np.floor(day_in_need).astype(int)
    client_index = needs["client_index"].to_numpy()[need_index]
    reason_index = needs["reason"].to_numpy()[need_index]
    backend = needs["backend"].to_numpy()[need_index]
    frame = _touchpoint_frame(rng, clients, client_index, kind, day, reason_index, position)
    frame["need_id"] = [f"N{900000 + i}" for i in need_index]
    frame["resolved"] = np.r_[need_index[1:] != need_index[:-1], True]
    waiting = (backend != "") & ((kind == KIND_VALUE) | (kind == KIND_CHASE))
    frame["waiting_on"] = pd.Series(backend, dtype=object).where(waiting, None).to_numpy()
    # The contact centre's phone system does not record the need: those repeats must be
    # recognised by client, reason and time window instead.
    no_need = (frame["unit"].to_numpy() == "contact_centre") & (rng.random(len(frame)) < 0.25)
    frame.loc[no_need, "need_id"] = None
    if prevent is None:
        return Contacts(frame, client_index, kind, day, backend)
    rng_change = np.random.default_rng([prevent.seed, 3])
    dropped = (
        (kind != KIND_VALUE) & (day >= prevent.day) & (rng_change.random(len(kind)) < prevent.share)
    )
    truth = _prevention_truth(frame["unit"].to_numpy(), kind, day, dropped, prevent)
    keep = ~dropped
    frame = frame[keep].reset_index(drop=True)
    kept_need = need_index[keep]
    # A need is resolved at its last contact that still happens.
    frame["resolved"] = np.r_[kept_need[1:] != kept_need[:-1], True]
    return Contacts(frame, client_index[keep], kind[keep], day[keep], backend[keep], truth)


def _prevention_truth(
    unit: np.ndarray, kind: np.ndarray, day: np.ndarray, dropped: np.ndarray, prevent: Prevention
) -> dict[str, object]:
    """The change's effect on the monthly failure-demand share: per unit and month from the
    change to the extraction, the share with the prevented contacts gone minus the share
    had they happened (true kinds, every contact in the denominator), averaged over those
    unit-months: what a before/after design on that measure estimates."""
    from decisionframe.simulate.clients import EXTRACTED_DAY

    dates = pd.to_datetime(START) + pd.to_timedelta(day, unit="D")
    month = dates.to_period("M").to_timestamp()
    after = (day >= prevent.day) & (day <= EXTRACTED_DAY)
    frame = pd.DataFrame(
        {
            "unit": unit[after],
            "month": month[after],
            "failure": (kind != KIND_VALUE)[after].astype(float),
            "kept": (~dropped)[after].astype(float),
        }
    )
    frame["kept_failure"] = frame["failure"] * frame["kept"]
    cells = frame.groupby(["unit", "month"]).sum()
    without = cells["kept_failure"] / cells["kept"]
    had = cells["failure"] / frame.groupby(["unit", "month"]).size()
    return {
        "effect": float((without - had).mean()),
        "share_before": float(had.mean()),
        "failure_prevented": prevent.share,
    }


def _touchpoint_frame(
    rng: np.random.Generator,
    clients: Clients,
    client_index: np.ndarray,
    kind: np.ndarray,
    day: np.ndarray,
    reason_index: np.ndarray,
    position: np.ndarray,
) -> pd.DataFrame:
    n = len(client_index)
    channel = _channels(rng, clients, client_index)
    region = clients.region[client_index]
    unit = np.select(
        [channel == "in_person", channel == "phone"],
        [np.where(region == "north", "north_office", "south_office"), "contact_centre"],
        "online_team",
    ).astype(object)
    seconds = rng.integers(8 * 3600, 18 * 3600, size=n)
    started = (
        pd.to_datetime(START) + pd.to_timedelta(day, unit="D") + pd.to_timedelta(seconds, unit="s")
    )
    after_initiative = day >= (INITIATIVE_START - START).days
    boost = np.where((unit == INITIATIVE_UNIT) & after_initiative, INITIATIVE_RESPECT_GAIN, 0.0)
    unit_shift = np.array([UNIT_RESPECT[u] for u in unit])
    respect = np.clip(
        np.round(clients.latent_respect[client_index] + unit_shift + boost + rng.normal(0, 0.6, n)),
        1,
        5,
    )
    explained = np.clip(
        np.round(clients.latent_explained[client_index] + rng.normal(0, 0.6, n)), 1, 5
    )
    answered = rng.random(n) < 0.7
    respect = np.where(answered, respect, np.nan)
    explained = np.where(answered & (rng.random(n) < 0.95), explained, np.nan)
    complexity = clients.complexity[client_index]
    wait_median = np.array([WAIT_MEDIAN[c] for c in channel], dtype=float)
    wait = np.round(wait_median * np.exp(0.12 * (complexity - 3) + rng.normal(0, 0.5, n)), 1)
    handle = np.round(
        np.array([HANDLE_MEDIAN[c] for c in channel])
        * (1 + 0.1 * (complexity - 3))
        * np.exp(rng.normal(0, 0.35, n)),
        1,
    )
    handle = np.where(rng.random(n) < 0.02, np.nan, handle)
    cost = np.round(
        np.nan_to_num(handle, nan=0.0) * 0.85 + np.array([CHANNEL_COST[c] for c in channel]), 2
    )
    reason_text = np.asarray(REASONS, dtype=object)[reason_index]
    variant = rng.integers(0, 3, size=n)
    reasons = reason_text.copy()
    for k, texts in ((KIND_CHASE, CHASE_TEXT), (KIND_ERROR, ERROR_TEXT)):
        for v, template in enumerate(texts):
            mask = (kind == k) & (variant == v)
            reasons[mask] = [template.format(r=r) for r in reason_text[mask]]
    staff = [f"S{u[:2].upper()}{s:03d}" for u, s in zip(unit, rng.integers(0, 40, n), strict=True)]
    del position
    return pd.DataFrame(
        {
            "touchpoint_id": [f"T{10_000_000 + i}" for i in range(n)],
            "client_id": clients.frame["client_id"].to_numpy()[client_index],
            "started_at": started,
            "channel": channel,
            "unit": unit,
            "service": np.where(reason_index <= 1, "benefits_and_housing", "support"),
            "reason": reasons,
            "wait_minutes": wait,
            "handle_minutes": handle,
            "staff_id": staff,
            "cost": cost,
            "respect": respect,
            "explained_next_steps": explained,
        }
    )
