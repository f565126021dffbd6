"""Overlap by estimand: which clients the estimate can honestly describe.

* **ATT** (effect on the treated): every treated client is kept; comparison clients whose
  propensity lies outside the treated clients' range are dropped (they resemble no treated
  client; Dehejia and Wahba 1999). The estimand stays the effect on all the treated.
* **ATC**: the reverse (every untreated client kept, treated clients outside the untreated
  clients' range dropped).
* **ATE**: Crump, Hotz, Imbens and Mitnik (2009)'s optimal rule: keep clients with propensity
  in [alpha, 1 - alpha], where alpha minimises the variance bound of the overlap-population
  effect (alpha is zero when no client's weight 1/(e(1-e)) exceeds twice their mean). When
  clients are dropped the estimate describes the overlap population, and says so.

Propensities are the cross-fitted ones of the first fit, averaged over the repeated splits,
so the rule depends on the seed and the data, never on storage order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Overlap:
    """How overlap trimming changed the sample, in counts and in words."""

    rule: str
    low: float
    high: float
    dropped_treated: int
    dropped_untreated: int
    kept_treated: int
    kept_untreated: int
    population: str

    @property
    def dropped(self) -> int:
        return self.dropped_treated + self.dropped_untreated

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"dropped": self.dropped}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Overlap:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def crump_alpha(propensity: np.ndarray) -> float:
    """Crump et al. (2009), optimal trimming threshold for the ATE (their Theorem 1)."""
    e = np.clip(propensity, 1e-6, 1 - 1e-6)
    h = np.sort(1.0 / (e * (1.0 - e)))
    if h[-1] <= 2.0 * h.mean():
        return 0.0
    # Smallest gamma with gamma >= 2 E[h | h <= gamma]: scan the sorted weights.
    running = np.cumsum(h) / np.arange(1, len(h) + 1)
    ok = np.nonzero(h >= 2.0 * running)[0]
    gamma = float(h[ok[0]]) if len(ok) else float(h[-1])
    return float(0.5 - np.sqrt(max(0.25 - 1.0 / gamma, 0.0)))


def overlap_rule(
    propensity: np.ndarray, treated: np.ndarray, estimand: str
) -> tuple[np.ndarray, Overlap]:
    """Boolean mask of clients to keep, and the description of what was dropped."""
    t, c = treated, ~treated
    if estimand == "ATT":
        low, high = float(propensity[t].min()), float(propensity[t].max())
        keep = t | ((propensity >= low) & (propensity <= high))
        rule = (
            "every treated client kept; comparison clients outside the treated clients' "
            f"propensity range [{low:.3f}, {high:.3f}] dropped"
        )
        who = "the treated clients (all of them)"
    elif estimand == "ATC":
        low, high = float(propensity[c].min()), float(propensity[c].max())
        keep = c | ((propensity >= low) & (propensity <= high))
        rule = (
            "every untreated client kept; treated clients outside the untreated clients' "
            f"propensity range [{low:.3f}, {high:.3f}] dropped"
        )
        who = "the untreated clients (all of them)"
    else:
        alpha = crump_alpha(propensity)
        low, high = alpha, 1.0 - alpha
        keep = (propensity >= low) & (propensity <= high)
        rule = (
            f"Crump et al. (2009) optimal rule: clients with propensity outside [{low:.3f}, "
            f"{high:.3f}] dropped"
            if alpha > 0
            else "Crump et al. (2009) optimal rule: overlap good enough, no client dropped"
        )
        who = "all clients"
    dropped_t, dropped_c = int((t & ~keep).sum()), int((c & ~keep).sum())
    if estimand == "ATE" and (dropped_t or dropped_c):
        who = (
            "the overlap population: clients whose propensity lies in "
            f"[{low:.3f}, {high:.3f}], not all clients"
        )
    overlap = Overlap(
        rule,
        low,
        high,
        dropped_t,
        dropped_c,
        int((t & keep).sum()),
        int((c & keep).sum()),
        f"the estimate describes {who}",
    )
    return keep, overlap
