"""Overlap by estimand, and refuters that say when they could not run."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd

from decisionframe.effects.design import make_design
from decisionframe.effects.estimate import DoubleMLEstimator
from decisionframe.effects.overlap import crump_alpha
from decisionframe.effects.refute import refute_effect
from decisionframe.effects.sensitivity import Sensitivity
from decisionframe.effects.verdict import judge
from decisionframe.theory.model import Assumption

EST = DoubleMLEstimator(n_folds=3, max_iter=40, n_rep=2, learners="linear")


def _rare_treatment(n: int, seed: int) -> pd.DataFrame:
    """About 2% treated, concentrated where x is high: many comparisons resemble no one."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    e = 1 / (1 + np.exp(-(-5.2 + 1.8 * x)))
    d = rng.random(n) < e
    y = 1.0 + 2.0 * x + 1.0 * d + rng.normal(size=n)
    return pd.DataFrame({"y": y, "d": d, "x": x})


def test_att_keeps_every_treated_client_when_two_percent_are_treated() -> None:
    frame = _rare_treatment(6000, 1)
    share = frame["d"].mean()
    assert 0.01 < share < 0.04
    design = make_design(frame, treatment="d", outcome="y", covariates=["x"])
    fitted = EST.fit(design, estimand="ATT", scale=1.0, seed=3)
    overlap = fitted.estimate.overlap
    assert overlap is not None
    assert overlap.dropped_treated == 0
    assert overlap.kept_treated == int(frame["d"].sum())
    assert overlap.dropped_untreated > 0  # comparisons unlike any treated client
    assert "all of them" in overlap.population
    assert fitted.estimate.n_used == overlap.kept_treated + overlap.kept_untreated
    effect = fitted.estimate.effect
    assert effect.ci_low < 1.0 < effect.ci_high
    # The reverse for the effect on the untreated: every untreated client stays.
    atc = EST.fit(design, estimand="ATC", scale=1.0, seed=3).estimate.overlap
    assert atc is not None
    assert atc.dropped_untreated == 0
    # The ATE follows Crump et al.'s rule and says it now describes the overlap population.
    ate = EST.fit(design, estimand="ATE", scale=1.0, seed=3).estimate
    assert ate.overlap is not None
    assert ate.overlap.dropped > 0
    assert "overlap population" in ate.overlap.population
    assert "overlap population" in ate.method


def test_crump_rule_keeps_everyone_when_overlap_is_good() -> None:
    rng = np.random.default_rng(0)
    assert crump_alpha(rng.uniform(0.3, 0.7, 1000)) == 0.0
    alpha = crump_alpha(np.concatenate([rng.uniform(0.3, 0.7, 900), rng.uniform(0, 0.01, 100)]))
    assert 0.0 < alpha < 0.2


class _Broken:
    """An estimator whose re-fits fail, as a learner does on a degenerate sample."""

    def fit(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("This solver needs samples of at least 2 classes in the data")


def test_a_refuter_that_cannot_run_says_so_and_does_not_make_the_verdict_fragile() -> None:
    rng = np.random.default_rng(4)
    n = 2000
    x = rng.normal(size=n)
    d = rng.random(n) < 1 / (1 + np.exp(-x))
    y = x + 0.5 * d + rng.normal(size=n)
    frame = pd.DataFrame({"y": y, "d": d, "x": x})
    design = make_design(frame, treatment="d", outcome="y", covariates=["x"])
    fitted = EST.fit(design, estimand="ATE", scale=1.0, seed=1)
    refutations = refute_effect(fitted, _Broken(), seed=1)
    assert [r.status for r in refutations] == ["could not run"] * 3
    for r in refutations:
        assert r.new_effect is None
        assert r.reading.startswith("Could not run: the re-fit failed (ValueError")
    text = json.dumps([r.to_dict() for r in refutations], allow_nan=False)
    assert "NaN" not in text
    assumption = Assumption.model_validate({"claim": "c", "expected": "increase"})
    robust = Sensitivity(0.3, 0.2, 0.01, False, "")
    verdict = judge(
        assumption, fitted.estimate, refutations, robust, treatment="d", outcome="y", unit=""
    )
    assert verdict.verdict == "supported"
    # Each repeated split judged on its own interval: here all agree.
    assert verdict.stability is not None
    assert verdict.stability.split_verdicts == ("supported", "supported")
    assert not verdict.stability.flips
    # The real refuters run on the estimate's own sample and folds.
    real = refute_effect(fitted, DoubleMLEstimator(n_folds=3, n_rep=1), seed=1)
    assert all(r.status in ("passed", "failed") and r.new_effect is not None for r in real)


def test_a_verdict_that_depends_on_the_learner_says_so() -> None:
    from decisionframe.effects.estimate import EffectEstimate, Interval

    estimate = EffectEstimate(
        "ATE",
        Interval.normal(0.05, 0.01),
        Interval.normal(0.1, 0.01),
        1000,
        "test",
        1.0,
        repetitions=(Interval.normal(0.05, 0.01), Interval.normal(0.01, 0.01)),
    )
    assumption = Assumption.model_validate({"claim": "c", "expected": "increase"})
    robust = Sensitivity(0.3, 0.2, 0.01, False, "")
    verdict = judge(
        assumption,
        estimate,
        (),
        robust,
        treatment="d",
        outcome="y",
        unit="",
        learners=(("linear", Interval.normal(0.05, 0.01)), ("boosting", Interval.normal(0, 0.01))),
    )
    assert verdict.stability is not None
    assert verdict.stability.flips
    assert verdict.stability.held == 0.5
    assert "held in 1 of 2 repeated sample splits" in verdict.sentence
    assert verdict.stability.depends_on_learner
    assert "depends on the model used to adjust" in verdict.sentence


def test_sensitivity_is_benchmarked_against_a_measured_covariate() -> None:
    from decisionframe.effects.design import covariate_groups
    from decisionframe.effects.sensitivity import benchmark_covariates, sensitivity_of

    rng = np.random.default_rng(6)
    n = 3000
    strong, weak = rng.normal(size=n), rng.normal(size=n)
    d = rng.random(n) < 1 / (1 + np.exp(-1.2 * strong))
    y = 2.0 * strong + 0.05 * weak + 1.0 * d + rng.normal(size=n)
    frame = pd.DataFrame({"y": y, "d": d, "strong": strong, "weak": weak})
    design = make_design(frame, treatment="d", outcome="y", covariates=["strong", "weak"])
    fitted = EST.fit(design, estimand="ATE", scale=1.0, seed=2)
    groups = covariate_groups(design, ["strong", "weak"])
    assert groups == {"strong": ["strong"], "weak": ["weak"]}
    marks = benchmark_covariates(
        fitted, DoubleMLEstimator(n_folds=3, n_rep=1), groups, seed=2, unit="points"
    )
    by = {b.covariate: b for b in marks}
    assert set(by) == {"strong", "weak"}
    assert by["strong"].cf_y > by["weak"].cf_y
    assert by["strong"].estimate_high - by["strong"].estimate_low > (
        by["weak"].estimate_high - by["weak"].estimate_low
    )
    assert (
        by["strong"].estimate_low <= fitted.estimate.effect.estimate <= by["strong"].estimate_high
    )
    reading = sensitivity_of(fitted, treatment="d", outcome="y", benchmarks=marks).reading
    assert "An unmeasured confounder as strong as strong" in reading
    # Zero is judged on the interval with sampling error, not on the point bounds: the
    # weak covariate's point bounds hug the estimate, its interval is wider than they are.
    weak_text = by["weak"].reading
    assert "with sampling error" in weak_text
    bounds = [float(x) for x in re.findall(r"[+-]\d[\d.e+-]*", weak_text.split("error, ")[1])]
    ci_low, ci_high = bounds[0], bounds[1]
    assert ci_low < by["weak"].estimate_low <= by["weak"].estimate_high < ci_high
    assert weak_text.endswith("includes zero." if ci_low <= 0 <= ci_high else "excludes zero.")
