"""The decision simulator: the budget, each option's cost per client and capacity, and
each lever's assumed effect as sliders; every move posts (htmx, with the CSRF token) to
``/simulator/what-if``, which calls ``decide.whatif.what_if`` and answers the
recommendation, the chance each plan is best and the budget frontier.

The decision's inputs (effects from the newest evidence, today's outcome and levels,
costs) are gathered once per state of the runs and kept; a what-if then touches no data.
It runs fewer Monte Carlo draws than `decide` (``DRAWS``), so it answers while the slider
moves; the page says so, and `decide` remains the saved answer. Every value posted is
clamped to its slider's range, so a hand-made post cannot ask for more than the page can.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import asdict
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from decisionframe.accounts import Role
from decisionframe.decide.allocate import frontier
from decisionframe.decide.analyze import _in_sentence
from decisionframe.decide.evaluate import effect_draws
from decisionframe.decide.inputs import DecisionInputs, gather_inputs
from decisionframe.decide.whatif import what_if, what_if_inputs
from decisionframe.errors import DecisionframeError
from decisionframe.numbers import count as count_of
from decisionframe.numbers import money, probability, signed
from decisionframe.report import charts
from decisionframe.report.build import _plan_sentence, _split_title, _worded
from decisionframe.report.words import label_of, outcome_scale, quoted
from decisionframe.theory import load_theory
from decisionframe.web.auth import Principal, require_write
from decisionframe.web.context import context_key
from decisionframe.web.pages import page
from decisionframe.web.pages.shared import ChartData, chart_data, count
from decisionframe.web.render import render, wants_json

DRAWS = 4000
ANSWERS_KEPT = 256  # what-if answers kept per state of the runs
_lock = threading.Lock()


class Slider(BaseModel):
    name: str  # the form field
    label: str
    value: float
    min: float
    max: float
    step: float
    unlimited_at_max: bool = False  # a capacity: the top of the range means no limit
    shown: str = ""  # the value as the page writes it (numbers.money, count, points)
    scale: float = 1.0  # shown = value x scale (100: a share's change in points)
    suffix: str = ""  # the unit after the shown value (' points')


class PlanLine(BaseModel):
    label: str
    mean: float
    low: float
    high: float
    p_best: float
    p_best_words: str  # numbers.probability, as everywhere else
    recommended: bool


class FrontierLine(BaseModel):
    share_on_better: float
    gain_mean: float
    gain_low: float
    gain_high: float


class Assigned(BaseModel):
    segment: str
    option: str
    clients: str  # as published (a count, or "<k")


class Simulation(BaseModel):
    sentence: str
    recommendation: str
    p_best: float
    p_best_words: str
    outcomes_mean: float
    outcomes_low: float
    outcomes_high: float
    plan: list[Assigned]
    plans: list[PlanLine]
    frontier: list[FrontierLine]
    frontier_options: tuple[str, str]
    frontier_chart: ChartData | None
    draws: int
    error: str | None = None


class Simulator(BaseModel):
    available: bool
    reason: str | None  # why there is no simulator yet
    budget: Slider | None
    costs: list[Slider]
    capacities: list[Slider]
    effects: list[Slider]
    result: Simulation | None
    draws: int


class Setup:
    """The gathered inputs and the slider ranges (fixed per state of the runs)."""

    def __init__(self, inputs: DecisionInputs, theory: Any, k: int) -> None:
        self.inputs, self.theory, self.k = inputs, theory, k
        d = inputs.decision
        self.objective_label = _in_sentence(theory.node(d.objective).title)
        self.scale = outcome_scale(theory, d.objective)
        self.budget = Slider(
            name="budget",
            label="Budget",
            value=d.budget,
            min=round(d.budget * 0.1, 2),
            max=round(d.budget * 3, 2),
            step=_step(d.budget * 2.9),
            shown=money(d.budget),
        )
        self.costs = [
            Slider(
                name="cost",
                label=f"Cost per client: {o.id}",
                value=o.cost_per_client,
                min=round(o.cost_per_client * 0.25, 2),
                max=round(o.cost_per_client * 3, 2),
                step=_step(o.cost_per_client * 2.75),
                shown=money(o.cost_per_client),
            )
            for o in inputs.options
        ]
        reach = max(
            float(inputs.population), *(d.budget / o.cost_per_client for o in inputs.options)
        )
        self.capacities = []
        for o in inputs.options:
            top = max(reach * 2, (o.capacity or 0) * 2, 1.0)
            self.capacities.append(
                Slider(
                    name="capacity",
                    label=f"Capacity (clients): {o.id}",
                    value=top if o.capacity is None else o.capacity,
                    min=0,
                    max=round(top),
                    step=max(1.0, _step(top)),
                    unlimited_at_max=True,
                    shown="unlimited" if o.capacity is None else count_of(o.capacity),
                )
            )
        self.effects = []
        factor = 100.0 if self.scale.per_100 else 1.0
        for lever, e in sorted(inputs.effects.items()):
            spread = max(4 * e.sd, abs(e.mean) * 2, 1e-6)
            low, high = min(e.mean - spread, -abs(e.mean)), max(e.mean + spread, abs(e.mean))
            self.effects.append(
                Slider(
                    name="effect",
                    label=effect_label(theory, lever, self.scale),
                    value=e.mean,
                    min=_round(low),
                    max=_round(high),
                    step=_step(high - low),
                    shown=signed(e.mean * factor, 3) + (" points" if factor == 100 else ""),
                    scale=factor,
                    suffix=" points" if factor == 100 else "",
                )
            )
        self.levers = sorted(inputs.effects)
        # What-ifs already answered, by their (clamped) settings: sliders are moved back
        # and forth over the same steps, and an answer is a pure function of the settings
        # (seeded draws) and of this Setup, which a new run replaces.
        self._answers: OrderedDict[str, Simulation] = OrderedDict()
        self._answers_lock = threading.Lock()

    def simulate(
        self,
        budget: float | None = None,
        costs: list[float] | None = None,
        capacities: list[float] | None = None,
        effects: list[float] | None = None,
    ) -> Simulation:
        options = self.inputs.options
        chosen_budget = _clamp(budget, self.budget)
        chosen_costs = {
            o.id: _clamp(v, s)
            for o, v, s in zip(options, _pad(costs, options), self.costs, strict=True)
        }
        chosen_caps: dict[str, float | None] = {}
        for o, v, s in zip(options, _pad(capacities, options), self.capacities, strict=True):
            value = _clamp(v, s)
            chosen_caps[o.id] = None if value >= s.max else value
        chosen_effects = {
            lever: (_clamp(v, s), self.inputs.effects[lever].sd)
            for lever, v, s in zip(
                self.levers, _pad(effects, self.levers), self.effects, strict=True
            )
        }
        settings: dict[str, Any] = {
            "budget": chosen_budget,
            "costs": chosen_costs,
            "capacity": chosen_caps,
            "effects": chosen_effects,
        }
        key = repr(sorted(settings.items()))
        with self._answers_lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        answer = self._simulate(settings)
        with self._answers_lock:
            self._answers[key] = answer
            while len(self._answers) > ANSWERS_KEPT:
                self._answers.popitem(last=False)
        return answer

    def _simulate(self, settings: dict[str, Any]) -> Simulation:
        rec = what_if(
            self.inputs,
            **settings,
            objective_label=self.objective_label,
            draws=DRAWS,
            min_cell_size=self.k,
        )
        changed = what_if_inputs(self.inputs, **settings)
        theta = effect_draws(changed, draws=DRAWS, seed=0)
        cost = [o.cost_per_client for o in changed.options]
        cheap, better = int(np.argmin(cost)), int(np.argmax(cost))
        points = [asdict(p) for p in frontier(changed, theta, cheap=cheap, better=better)]
        rec_dict = _worded(asdict(rec), self.theory) or {}
        ids = (changed.options[cheap].id, changed.options[better].id)
        return Simulation(
            sentence=_plan_sentence(rec_dict, self.scale.outcome_many),
            recommendation=str(rec_dict["label"]),
            p_best=rec.p_best,
            p_best_words=probability(rec.p_best),
            outcomes_mean=rec.outcomes.mean,
            outcomes_low=rec.outcomes.low,
            outcomes_high=rec.outcomes.high,
            plan=[
                Assigned(
                    segment=a["segment"],
                    option=a["option"],
                    clients=count(a["clients"], self.k) or "",
                )
                for a in rec_dict["plan"]
            ],
            plans=[
                PlanLine(
                    label=c["label"],
                    mean=c["outcomes"]["mean"],
                    low=c["outcomes"]["low"],
                    high=c["outcomes"]["high"],
                    p_best=c["p_best"],
                    p_best_words=probability(c["p_best"]),
                    recommended=c["label"] == rec_dict["label"],
                )
                for c in rec_dict["candidates"]
            ],
            frontier=[FrontierLine(**p) for p in points],
            frontier_options=ids,
            frontier_chart=chart_data(self._chart(points, ids)),
            draws=DRAWS,
        )

    def _chart(self, points: list[dict[str, Any]], ids: tuple[str, str]) -> charts.Chart:
        cheap, better = ids
        best = max(points, key=lambda p: p["gain_mean"])
        many = self.scale.outcome_many
        return charts.frontier(
            points,
            better,
            "more than without us",
            _split_title(best["share_on_better"], better, cheap)
            + f" ({many}, more than without us)",
            f"Expected gain as the share of the budget spent on '{better}' goes from 0% to "
            f"100%: from {points[0]['gain_mean']:,.0f} to {points[-1]['gain_mean']:,.0f}, "
            f"highest at {best['share_on_better']:.0%} ({best['gain_mean']:,.0f}).",
        )


def effect_label(theory: Any, lever: str, scale: Any) -> str:
    """What an effect slider moves, with its unit: 'Assumed effect of “Treated with
    respect”: percentage points more people stably housed at six months per point on the
    1-5 respect rating' (a yes/no outcome's effect is a change in its share, in points)."""
    node = theory.node(lever) if lever in theory.node_ids else None
    name = quoted(label_of(theory, lever))
    if node is not None and node.unit is None and node.kind == "intervention":
        per = "with it than without it"
    else:
        per = f"per {node.units.one}" if node is not None else f"per unit of {name}"
    what = f"percentage points more {scale.outcome_many}" if scale.per_100 else scale.axis
    return f"Assumed effect of {name}: {what} {per}"


def _step(span: float) -> float:
    """A slider step of about 1/200 of the range, rounded to one significant digit."""
    raw = abs(span) / 200 or 1e-6
    return float(f"{raw:.1g}")


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def _pad(values: list[float] | None, like: Any) -> list[float | None]:
    given: list[float | None] = [float(v) for v in (values or [])[: len(like)]]
    return given + [None] * (len(like) - len(given))


def _clamp(value: float | None, slider: Slider) -> float:
    if value is None or not math.isfinite(value):
        return slider.value
    return min(max(float(value), slider.min), slider.max)


def setup_of(request: Request) -> Setup | str:
    """The simulator's inputs, or why there are none yet (kept per state of the runs)."""
    state = request.app.state.web
    project = state.project()
    if not project.has_store():
        return "no data imported yet"
    key = context_key(state)
    cached = state.cache.get("simulator")
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    with _lock:
        cached = state.cache.get("simulator")
        if cached is not None and cached[0] == key:
            return cached[1]  # type: ignore[no-any-return]
        found: Setup | str
        evidence = project.latest("analyze", allow_stale=True)
        if evidence is None:
            found = "no evidence yet: run analyze on the runs page first"
        elif not project.theory_path.exists():
            found = "no theory.yaml"
        else:
            try:
                with state.read() as store:
                    theory = load_theory(project.theory_path, store)
                    inputs = gather_inputs(store, theory, evidence)
                found = Setup(inputs, theory, project.config.privacy.min_cell_size)
            except DecisionframeError as exc:
                found = str(exc)
        state.cache["simulator"] = (key, found)
        return found


def simulator_of(request: Request) -> Simulator:
    setup = setup_of(request)
    if isinstance(setup, str):
        return Simulator(
            available=False,
            reason=setup,
            budget=None,
            costs=[],
            capacities=[],
            effects=[],
            result=None,
            draws=DRAWS,
        )
    return Simulator(
        available=True,
        reason=None,
        budget=setup.budget,
        costs=setup.costs,
        capacities=setup.capacities,
        effects=setup.effects,
        result=setup.simulate(),
        draws=DRAWS,
    )


def build_router() -> APIRouter:
    router = APIRouter()

    @page(
        router,
        "/simulator",
        role=Role.viewer,
        template="simulator.html.j2",
        model=Simulator,
        nav="Simulator",
    )
    def simulator(request: Request, principal: Principal) -> Simulator:
        """The decision simulator's sliders and the recommendation at the saved settings."""
        return simulator_of(request)

    @router.post(
        "/simulator/what-if",
        response_model=Simulation,
        summary="The recommendation, chance best and frontier under changed assumptions",
        tags=["actions"],
    )
    def simulate(
        request: Request,
        budget: float | None = Form(None),
        cost: list[float] = Form([]),
        capacity: list[float] = Form([]),
        effect: list[float] = Form([]),
        principal: Principal = Depends(require_write(Role.viewer)),
    ) -> Response:
        """Changes nothing in the store: a write only in that it posts (CSRF-checked)."""
        setup = setup_of(request)
        if isinstance(setup, str):
            raise DecisionframeError(f"no decision to simulate: {setup}.")
        try:
            result = setup.simulate(budget, cost, capacity, effect)
        except DecisionframeError as exc:
            if wants_json(request):
                raise
            return render(request, "_simulation.html.j2", {"result": None, "error": str(exc)})
        if wants_json(request):
            return JSONResponse(result.model_dump(mode="json"))
        return render(request, "_simulation.html.j2", {"result": result, "error": None})

    return router
