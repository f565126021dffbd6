"""A whole simulated organization: data tables and the truth behind them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from decisionframe.simulate.clients import (
    EXPORT_FIRST_DAY,
    EXTRACTED_DAY,
    EXTRACTED_ON,
    PLANTED_IRRELEVANT,
    START,
    Clients,
    simulate_clients,
)
from decisionframe.simulate.contacts import (
    INITIATIVE_RESPECT_GAIN,
    INITIATIVE_START,
    INITIATIVE_UNIT,
    KIND_CHASE,
    KIND_VALUE,
    Contacts,
    Prevention,
    simulate_contacts,
)
from decisionframe.simulate.feedback import simulate_feedback
from decisionframe.simulate.scenarios import Scenario

WINDOW_DAYS = 90
OUTCOME_DAYS = (90, 180)
CONFOUNDERS = ("case_complexity", "prior_episodes")


@dataclass(frozen=True)
class World:
    tables: dict[str, pd.DataFrame]
    truth: dict[str, Any]


def _client_means(contacts: Contacts, clients: Clients, column: str) -> np.ndarray:
    """Mean of a touchpoint column within the first 90 days after enrolment, per client."""
    in_window = contacts.day - clients.enrolled_day[contacts.client_index] < WINDOW_DAYS
    values = contacts.frame[column].to_numpy(dtype=float)
    keep = in_window & ~np.isnan(values)
    n = len(clients.complexity)
    sums = np.bincount(contacts.client_index[keep], weights=values[keep], minlength=n)
    counts = np.bincount(contacts.client_index[keep], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


@dataclass(frozen=True)
class _Drivers:
    respect: np.ndarray
    explained: np.ndarray
    wait: np.ndarray
    followup: np.ndarray


def _probability(s: Scenario, c: Clients, d: _Drivers, *, horizon: int) -> np.ndarray:
    """Linear probability of being housed at ``horizon`` days (clipped to [0.01, 0.99])."""
    scale = 1.0 if horizon == 180 else 0.7
    tau = s.followup_effect + s.followup_extra_hard * (c.complexity >= 4)
    service = (
        np.asarray(s.service_by_complexity)[c.complexity - 1]
        if s.service_by_complexity is not None
        else 1.0
    )
    base = 0.55 if horizon == 180 else 0.5
    p = (
        base
        - 0.07 * (c.complexity - 3)
        - 0.025 * np.minimum(c.prior, 5)
        + 0.04 * c.motivation
        + scale * s.respect_effect * service * (d.respect - 3.5)
        + scale * s.explained_effect * service * (d.explained - 3.5)
        + scale * s.wait_effect * (d.wait - 15.0) / 10.0
        + scale * tau * d.followup
    )
    return np.asarray(np.clip(p, 0.01, 0.99))


def _effect_truth(
    s: Scenario, c: Clients, d: _Drivers, observed: np.ndarray
) -> list[dict[str, Any]]:
    """Sample ATE/ATT/ATC of every assumption edge over clients whose outcome is observed."""
    base = _probability(s, c, d, horizon=180)
    edges = []
    for node, step, unit in (
        ("respect", 1.0, "per point of mean rating (1-5)"),
        ("explained_next_steps", 1.0, "per point of mean rating (1-5)"),
        ("wait_minutes", 10.0, "per 10 minutes of mean wait"),
    ):
        field = {"respect": "respect", "explained_next_steps": "explained", "wait_minutes": "wait"}
        shifted = _Drivers(**{**d.__dict__, field[node]: getattr(d, field[node]) + step})
        effect = (_probability(s, c, shifted, horizon=180) - base)[observed]
        value = float(effect.mean()) / step
        adjustment = (
            ["case_complexity", "prior_episodes"] if node == "respect" else ["case_complexity"]
        )
        edges.append(_edge(node, unit, value, value, value, adjustment, per_unit=True))
    treated = _Drivers(**{**d.__dict__, "followup": np.ones_like(d.followup)})
    control = _Drivers(**{**d.__dict__, "followup": np.zeros_like(d.followup)})
    effect = _probability(s, c, treated, horizon=180) - _probability(s, c, control, horizon=180)
    f = c.followup.astype(bool)
    edges.append(
        _edge(
            "followup",
            "difference in probability, follow-up vs none",
            float(effect[observed].mean()),
            float(effect[observed & f].mean()),
            float(effect[observed & ~f].mean()),
            list(CONFOUNDERS),
            per_unit=False,
        )
    )
    return edges


def _edge(
    node: str, unit: str, ate: float, att: float, atc: float, adjust: list[str], *, per_unit: bool
) -> dict[str, Any]:
    return {
        "from": node,
        "to": "housed_180",
        "unit": unit,
        "continuous_per_unit": per_unit,
        "ATE": ate,
        "ATT": att,
        "ATC": atc,
        "adjustment_set": sorted(adjust),
    }


def _outcomes(
    rng: np.random.Generator, s: Scenario, c: Clients, d: _Drivers
) -> tuple[pd.DataFrame, np.ndarray]:
    extracted_day = (EXTRACTED_ON - START).days
    rows = []
    observed_180 = c.enrolled_day + 180 <= extracted_day
    for horizon in OUTCOME_DAYS:
        observed = c.enrolled_day + horizon <= extracted_day
        housed = rng.random(len(observed)) < _probability(s, c, d, horizon=horizon)
        rows.append(
            pd.DataFrame(
                {
                    "client_id": c.frame["client_id"].to_numpy()[observed],
                    "outcome": "housed",
                    "value": housed[observed].astype(int),
                    "measured_on": (
                        pd.to_datetime(START)
                        + pd.to_timedelta(c.enrolled_day[observed] + horizon, unit="D")
                    ).date,
                }
            )
        )
    return pd.concat(rows, ignore_index=True), observed_180


STAFF_LABELLED_SHARE = 0.02  # contacts staff tagged as value or failure in an audit
STAFF_LABEL_NOISE = 0.05  # how often a tag disagrees with what really happened


def _staff_labels(seed: int, contacts: Contacts) -> np.ndarray:
    """A staff audit: a small sample of contacts tagged 'value' or 'failure', with noise.

    Drawn from its own generator so that adding it changed no other simulated value.
    """
    rng = np.random.default_rng([seed, 2])
    n = len(contacts.kind)
    failure = contacts.kind != KIND_VALUE
    tagged_failure = np.where(rng.random(n) < STAFF_LABEL_NOISE, ~failure, failure)
    labels = np.where(tagged_failure, "failure", "value").astype(object)
    labels[rng.random(n) >= STAFF_LABELLED_SHARE] = None
    return labels


def _demand_truth(contacts: Contacts) -> dict[str, Any]:
    t = contacts.frame
    failure = contacts.kind != KIND_VALUE
    by_channel = pd.Series(failure).groupby(t["channel"].to_numpy()).mean()
    caused = pd.Series(contacts.kind == KIND_CHASE).groupby(contacts.backend).sum()
    caused = caused.drop(labels=[""], errors="ignore").sort_values(ascending=False)
    return {
        "failure_share": float(failure.mean()),
        "failure_share_by_channel": {str(k): float(v) for k, v in by_channel.items()},
        "chasing_contacts_by_backend_unit": {str(k): int(v) for k, v in caused.items()},
        "main_backend_cause": str(caused.index[0]),
        "staff_labelled_share": STAFF_LABELLED_SHARE,
        "staff_label_noise": STAFF_LABEL_NOISE,
    }


def _exported(contacts: Contacts) -> Contacts:
    """Only contacts in the export window are in the data: none after the extraction date
    (they have not happened yet; needs cut off there are still open) and none before the
    export's first day (earlier history was not exported)."""
    keep = (contacts.day >= EXPORT_FIRST_DAY) & (contacts.day <= EXTRACTED_DAY)
    return Contacts(
        contacts.frame[keep].reset_index(drop=True),
        contacts.client_index[keep],
        contacts.kind[keep],
        contacts.day[keep],
        contacts.backend[keep],
        contacts.process_truth,
    )


def build_world(*, n_clients: int, seed: int, scenario: Scenario) -> World:
    rng = np.random.default_rng(seed)
    clients = simulate_clients(rng, n_clients)
    prevent = None
    if scenario.process_change_on is not None:
        prevent = Prevention(
            (scenario.process_change_on - START).days, scenario.failure_prevented, seed
        )
    contacts = _exported(simulate_contacts(rng, clients, prevent=prevent))
    drivers = _Drivers(
        respect=_client_means(contacts, clients, "respect"),
        explained=_client_means(contacts, clients, "explained_next_steps"),
        wait=_client_means(contacts, clients, "wait_minutes"),
        followup=clients.followup.astype(float),
    )
    rated = ~np.isnan(drivers.respect) & ~np.isnan(drivers.explained)
    # Clients never rated in their first 90 days still experienced service: their outcome
    # follows their latent level (they drop out of analysis frames as "missing treatment").
    drivers = _Drivers(
        respect=np.where(np.isnan(drivers.respect), clients.latent_respect, drivers.respect),
        explained=np.where(
            np.isnan(drivers.explained), clients.latent_explained, drivers.explained
        ),
        wait=np.where(np.isnan(drivers.wait), 15.0, drivers.wait),
        followup=drivers.followup,
    )
    outcomes, observed_180 = _outcomes(rng, scenario, clients, drivers)
    order = np.argsort(contacts.frame["started_at"].to_numpy(), kind="stable")
    contacts = Contacts(
        contacts.frame.iloc[order].reset_index(drop=True),
        contacts.client_index[order],
        contacts.kind[order],
        contacts.day[order],
        contacts.backend[order],
        contacts.process_truth,
    )
    contacts.frame["demand_label"] = _staff_labels(seed, contacts)
    feedback = simulate_feedback(
        seed, contacts.frame, chasing=contacts.kind == KIND_CHASE, backend=contacts.backend
    )
    tables = {
        "clients": clients.frame,
        "touchpoints": contacts.frame,
        "outcomes": outcomes,
        "feedback": feedback.frame,
        "costs": pd.DataFrame(
            {
                "option": ["standard", "enhanced"],
                "cost_per_client": [400.0, 800.0],
                "capacity": [4000, 2500],
            }
        ),
        "initiatives": _initiatives_table(scenario),
    }
    truth = {
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": seed,
        "n_clients": n_clients,
        "population": "clients whose 180-day outcome was observed by the extraction date",
        "edges": _effect_truth(scenario, clients, drivers, observed_180),
        "demand": _demand_truth(contacts),
        "initiative": {
            "initiative_id": "I1",
            "unit": INITIATIVE_UNIT,
            "started_on": INITIATIVE_START.isoformat(),
            "respect_gain_per_contact": INITIATIVE_RESPECT_GAIN,
        },
        "decision": decision_truth(
            scenario, clients, drivers, observed_180 & rated, outcomes, tables["costs"]
        ),
        "voice": feedback.truth,
        **_process_truth(scenario, contacts),
        "irrelevant_columns": [PLANTED_IRRELEVANT],
        "unmeasured_nodes": ["motivation"],
    }
    return World(tables=tables, truth=truth)


PROCESS_INITIATIVE = "P1"


def _initiatives_table(scenario: Scenario) -> pd.DataFrame:
    """The initiatives log; with a process change, its row too, and each row names the
    measure it should move (so the training is not judged on failure demand)."""
    table = pd.DataFrame(
        {
            "initiative_id": ["I1"],
            "name": ["Respect and dignity training"],
            "started_on": [INITIATIVE_START],
            "units": [INITIATIVE_UNIT],
        }
    )
    if scenario.process_change_on is None:
        return table
    process = pd.DataFrame(
        {
            "initiative_id": [PROCESS_INITIATIVE],
            "name": ["New process: next steps in writing, progress before chasing"],
            "started_on": [scenario.process_change_on],
            "units": [""],
        }
    )
    return pd.concat([table, process], ignore_index=True).assign(
        measures=["respect", "failure_demand_share"], expected=["increase", "decrease"]
    )


def _process_truth(scenario: Scenario, contacts: Contacts) -> dict[str, Any]:
    if scenario.process_change_on is None or contacts.process_truth is None:
        return {}
    return {
        "initiatives": [
            {
                "initiative_id": PROCESS_INITIATIVE,
                "measure": "failure_demand_share",
                "design": "its",
                "started_on": scenario.process_change_on.isoformat(),
                **contacts.process_truth,
                "scale": "share points of all contacts, per unit and month, from the "
                "start month on",
            }
        ]
    }


def _segment_effects(
    s: Scenario, c: Clients, d: _Drivers, observed: np.ndarray
) -> dict[str, dict[str, float]]:
    """True effect per unit of each decision lever, per case complexity (observed clients)."""
    base = _probability(s, c, d, horizon=180)
    shifted = {
        "respect": _Drivers(d.respect + 1.0, d.explained, d.wait, d.followup),
        "explained_next_steps": _Drivers(d.respect, d.explained + 1.0, d.wait, d.followup),
    }
    change = {k: _probability(s, c, v, horizon=180) - base for k, v in shifted.items()}
    treated = _Drivers(d.respect, d.explained, d.wait, np.ones_like(d.followup))
    control = _Drivers(d.respect, d.explained, d.wait, np.zeros_like(d.followup))
    change["followup"] = _probability(s, c, treated, horizon=180) - _probability(
        s, c, control, horizon=180
    )
    return {
        node: {
            str(k): float(delta[observed & (c.complexity == k)].mean())
            for k in range(1, 6)
            if (observed & (c.complexity == k)).any()
        }
        for node, delta in change.items()
    }


def decision_truth(
    s: Scenario,
    c: Clients,
    d: _Drivers,
    observed: np.ndarray,
    outcomes: pd.DataFrame,
    costs: pd.DataFrame,
) -> dict[str, Any]:
    """The decision's true best plans: the theory's options, the costs table, true effects.

    Valued the way `decide` values plans (gain per client = today's outcome rate - the
    counterfactual baseline + each lever's true effect in the segment x its change), with an
    independent linear programme over (complexity, option), so a test can hold decide's
    recommendation against it.
    """
    import yaml
    from scipy.optimize import linprog

    from decisionframe.simulate.theory_yaml import THEORY_YAML

    decision = yaml.safe_load(THEORY_YAML.format(name="x"))["decision"]
    cost = dict(zip(costs["option"], costs["cost_per_client"], strict=True))
    capacity = dict(zip(costs["option"], costs["capacity"], strict=True))
    ids = list(c.frame["client_id"].to_numpy())
    housed = outcomes[outcomes["measured_on"].notna()]
    index = {cid: i for i, cid in enumerate(ids)}
    y180 = np.full(len(ids), np.nan)
    for cid, day, value in zip(
        housed["client_id"], housed["measured_on"], housed["value"], strict=True
    ):
        i = index[cid]
        if (pd.Timestamp(day) - pd.Timestamp(START)).days - c.enrolled_day[i] == 180:
            y180[i] = value
    effects = _segment_effects(s, c, d, observed)
    now = {
        "respect": float(d.respect[observed].mean()),
        "explained_next_steps": float(d.explained[observed].mean()),
        "followup": float(d.followup[observed].mean()),
    }
    outcome_now = float(np.nanmean(y180[observed]))
    segments = [str(k) for k in range(1, 6)]
    sizes = np.array([(c.complexity == k).sum() for k in range(1, 6)], dtype=float)
    options = decision["options"]
    gain = np.array(
        [
            [
                outcome_now
                - decision["baseline"]
                + sum(effects[n][seg] * (v - now[n]) for n, v in o["set"].items())
                for o in options
            ]
            for seg in segments
        ]
    )
    k = len(options)
    a_ub = [np.tile([cost[o["id"]] for o in options], len(segments))]
    b_ub = [float(decision["budget"])]
    for j, o in enumerate(options):
        row = np.zeros(len(segments) * k)
        row[j::k] = 1
        a_ub.append(row)
        b_ub.append(float(capacity[o["id"]]))
    for i in range(len(segments)):
        row = np.zeros(len(segments) * k)
        row[i * k : (i + 1) * k] = 1
        a_ub.append(row)
        b_ub.append(float(sizes[i]))
    solved = linprog(-gain.reshape(-1), A_ub=np.array(a_ub), b_ub=b_ub, method="highs")
    x = solved.x.reshape(len(segments), k)
    weights = sizes / sizes.sum()
    uniform = []
    for j, o in enumerate(options):
        n = min(decision["budget"] / cost[o["id"]], capacity[o["id"]], sizes.sum())
        uniform.append(
            {"option": o["id"], "clients": float(n), "outcomes": float(n * weights @ gain[:, j])}
        )
    return {
        "segment_variable": "case_complexity",
        "segment_effects": effects,
        "outcome_now": outcome_now,
        "levels_now": now,
        "best_targeted_plan": [
            {"segment": segments[i], "option": options[j]["id"], "clients": float(x[i, j])}
            for i in range(len(segments))
            for j in range(k)
            if x[i, j] > 1e-6
        ],
        "best_targeted_outcomes": float(-solved.fun),
        "uniform_plans": uniform,
    }
