"""Named simulator scenarios: the true effects the simulated organization has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Scenario:
    """True effects on the probability of being housed at 180 days (linear probability scale).

    ``respect_effect`` and ``explained_effect`` are per point of the 1-5 client mean rating;
    ``wait_effect`` per 10 minutes of mean wait. The follow-up intervention's effect is
    heterogeneous: ``followup_effect`` plus ``followup_extra_hard`` for complexity >= 4.
    """

    name: str
    description: str
    respect_effect: float
    explained_effect: float
    wait_effect: float = 0.0
    followup_effect: float = 0.04
    followup_extra_hard: float = 0.05
    # Multiplier of the respect and explained effects per case complexity 1..5 (None: the
    # same for everyone). The decision's true best targeted plan is in truth.json.
    service_by_complexity: tuple[float, float, float, float, float] | None = None
    # A process change on this day, in every unit, after which this share of the failure
    # demand (repeat, chasing and error contacts) no longer happens; truth.json holds its
    # effect on the monthly failure-demand share per unit, in share points.
    process_change_on: date | None = None
    failure_prevented: float = 0.0


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "service-matters",
            "Respect and explained next steps raise housing stability; waiting time does not.",
            respect_effect=0.05,
            explained_effect=0.04,
        ),
        Scenario(
            "service-does-not-matter",
            "Service quality has no effect on housing stability; only follow-up does. Harder "
            "cases still get worse service, so a naive comparison says service matters.",
            respect_effect=0.0,
            explained_effect=0.0,
        ),
        Scenario(
            "service-matters-for-some",
            "Respect and explained next steps matter for hard cases (complexity 4-5), a little "
            "for middling ones and not at all for easy ones: better service is worth "
            "targeting.",
            respect_effect=0.05,
            explained_effect=0.04,
            service_by_complexity=(0.0, 0.0, 0.5, 2.0, 3.0),
        ),
        Scenario(
            "same-for-everyone",
            "Respect, explained next steps and follow-up help every client equally: no "
            "segment gains more, so no targeted plan should be recommended.",
            respect_effect=0.05,
            explained_effect=0.04,
            followup_effect=0.06,
            followup_extra_hard=0.0,
        ),
        Scenario(
            "new-process",
            "Service matters as in service-matters, and on 2025-10-01 a new process went live "
            "in every unit (next steps confirmed in writing, progress sent before clients "
            "chase): from then on a quarter of failure demand no longer happens.",
            respect_effect=0.05,
            explained_effect=0.04,
            process_change_on=date(2025, 10, 1),
            failure_prevented=0.25,
        ),
    )
}
