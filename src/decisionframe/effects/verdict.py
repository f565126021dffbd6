"""Judge an assumption: combine the prior belief with the estimate and give a verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from scipy import stats

from decisionframe.effects.estimate import EffectEstimate, Interval
from decisionframe.effects.refute import Refutation
from decisionframe.effects.sensitivity import Sensitivity
from decisionframe.theory.model import Assumption

VerdictName = Literal[
    "supported",
    "contradicted",
    "no detectable effect",
    "inconclusive",
    "fragile",
    "not identifiable",
    "not estimable",
]
DEFAULT_MIN_EFFECT = 0.01


@dataclass(frozen=True)
class Posterior:
    mean: float
    sd: float
    p_expected_direction: float


@dataclass(frozen=True)
class Stability:
    """How often the verdict held across the repeated sample splits, and under each learner.

    ``held`` is the share of splits whose own interval gives the same verdict;
    ``split_verdicts`` each split's verdict; ``learner_verdicts`` the verdict under each
    candidate learner of the specification table (empty when it was not computed).
    """

    held: float
    split_verdicts: tuple[str, ...]
    learner_verdicts: tuple[tuple[str, str], ...] = ()

    @property
    def flips(self) -> bool:
        return self.held < 1.0

    @property
    def depends_on_learner(self) -> bool:
        return len({v for _, v in self.learner_verdicts}) > 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"flips": self.flips, "depends_on_learner": self.depends_on_learner}


@dataclass(frozen=True)
class Verdict:
    verdict: VerdictName
    min_effect: float
    posterior: Posterior | None
    sentence: str
    advice: str
    stability: Stability | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def smallest_effect_that_matters(assumption: Assumption) -> float:
    """The assumption's ``min_effect``, else half the prior mean (or sd), else 0.01."""
    if assumption.min_effect is not None:
        return assumption.min_effect
    prior = assumption.prior
    if prior is not None:
        return abs(prior.mean) / 2 if prior.mean else prior.sd / 2
    return DEFAULT_MIN_EFFECT


def update(assumption: Assumption, estimate: EffectEstimate, min_effect: float) -> Posterior:
    """Normal-normal update of the prior with the estimate (a flat prior if none is given)."""
    e, se = estimate.effect.estimate, estimate.effect.se
    if assumption.prior is None:
        mean, sd = e, se
    else:
        precision = 1 / assumption.prior.sd**2 + 1 / se**2
        mean = (assumption.prior.mean / assumption.prior.sd**2 + e / se**2) / precision
        sd = precision**-0.5
    posterior = stats.norm(mean, sd)
    if assumption.expected == "increase":
        p = 1 - posterior.cdf(0.0)
    elif assumption.expected == "decrease":
        p = posterior.cdf(0.0)
    else:
        p = posterior.cdf(min_effect) - posterior.cdf(-min_effect)
    return Posterior(float(mean), float(sd), float(p))


def _name(
    assumption: Assumption, estimate: EffectEstimate, fragile: bool, min_effect: float
) -> VerdictName:
    effect = estimate.effect
    if effect.excludes_zero:
        sign_ok = (effect.estimate > 0) == (assumption.expected == "increase")
        if assumption.expected == "none" or not sign_ok:
            return "fragile" if fragile else "contradicted"
        return "fragile" if fragile else "supported"
    if -min_effect < effect.ci_low and effect.ci_high < min_effect:
        return "supported" if assumption.expected == "none" else "no detectable effect"
    return "inconclusive"


_ADVICE: dict[str, str] = {
    "supported": "Keep investing in it; keep measuring so a change would show.",
    "contradicted": (
        "Do not scale this up on belief alone: review how it is delivered, ask front-line "
        "staff and clients why it may backfire, and test a changed version before spending more."
    ),
    "no detectable effect": (
        "Any effect is too small to matter: consider moving money to what does work, unless "
        "it is valued for its own sake (dignity is worth providing even without outcome gains)."
    ),
    "inconclusive": (
        "Collect more data or a sharper measure before deciding (see what to measure next)."
    ),
    "fragile": (
        "Treat the estimate with caution: it fails a robustness check. Measure the likely "
        "confounders named in the plan before acting on it."
    ),
}


def judge(
    assumption: Assumption,
    estimate: EffectEstimate,
    refutations: tuple[Refutation, ...],
    sensitivity: Sensitivity,
    *,
    treatment: str,
    outcome: str,
    unit: str,
    learners: tuple[tuple[str, Interval], ...] = (),
) -> Verdict:
    """Verdict, posterior and one plain sentence for a program director."""
    min_effect = smallest_effect_that_matters(assumption)
    posterior = update(assumption, estimate, min_effect)
    fragile = (
        any(r.status == "failed" for r in refutations)
        or sensitivity.explained_away_by_weak_confounder
    )
    name = _name(assumption, estimate, fragile, min_effect)
    splits = tuple(
        _name(assumption, replace(estimate, effect=each), fragile, min_effect)
        for each in estimate.repetitions
    )
    learner_verdicts = tuple(
        (label, _name(assumption, replace(estimate, effect=effect), fragile, min_effect))
        for label, effect in learners
    )
    stability = (
        Stability(sum(v == name for v in splits) / len(splits), splits, learner_verdicts)
        if splits
        else None
    )
    e = estimate.effect
    sentence = (
        f"{assumption.claim}: {name.upper()}. "
        f"Our best estimate is {e.estimate:+.3f} {unit} (95% interval {e.ci_low:+.3f} to "
        f"{e.ci_high:+.3f}), against {estimate.naive.estimate:+.3f} from a naive comparison; "
        f"after combining with the prior belief there is a {posterior.p_expected_direction:.0%} "
        f"chance the effect is {_direction_words(assumption)}."
    )
    sentence += _stability_words(name, stability)
    return Verdict(name, min_effect, posterior, sentence, _ADVICE[name], stability)


def _stability_words(name: str, stability: Stability | None) -> str:
    if stability is None:
        return ""
    n = len(stability.split_verdicts)
    out = ""
    if stability.flips:
        others = sorted({v for v in stability.split_verdicts if v != name})
        held = sum(v == name for v in stability.split_verdicts)
        out += (
            f" The verdict is not stable: it held in {held} of {n} repeated sample splits "
            f"(the others gave {', '.join(others)})."
        )
    elif n > 1:
        out += f" It held in all {n} repeated sample splits."
    if stability.depends_on_learner:
        by = "; ".join(f"{label}: {v}" for label, v in stability.learner_verdicts)
        out += f" The verdict depends on the model used to adjust ({by})."
    return out


def _direction_words(assumption: Assumption) -> str:
    return {"increase": "positive", "decrease": "negative", "none": "negligible"}[
        assumption.expected
    ]


def not_identifiable(reason: str, claim: str) -> Verdict:
    return Verdict(
        "not identifiable",
        0.0,
        None,
        f"{claim}: NOT IDENTIFIABLE. {reason}.",
        "Start measuring the nodes named in the measurement plan; until then the data "
        "cannot separate this effect from confounding.",
    )


def not_estimable(reason: str, claim: str) -> Verdict:
    return Verdict(
        "not estimable",
        0.0,
        None,
        f"{claim}: NOT ESTIMABLE. {reason}",
        "Fix the data problem named above, then run analyze again.",
    )
