"""The theory.yaml the simulator writes: how the simulated organization believes it works."""

THEORY_YAML = """\
# Impact theory of {name} (written by `decisionframe simulate`).
# Each edge is an arrow of cause; an edge with an `assumption` is a belief to test.
question: Does how we treat people change whether they stay housed?
counterfactual: >-
  Clients could still apply to the council's housing office directly;
  about 35% of people like our clients are stably housed after six months anyway.
nodes:
  - id: case_complexity
    kind: context
    label: Case complexity assessed at intake (1-5)
    measure: {{table: clients, column: case_complexity}}
  - id: prior_episodes
    kind: context
    label: Earlier episodes of homelessness
    measure: {{table: clients, column: prior_episodes}}
  - id: motivation
    kind: context
    label: Client's own motivation and resources
    description: Not measured; believed to affect outcomes only.
  - id: followup
    kind: intervention
    label: Case-worker follow-up call programme
    measure: {{table: clients, column: case_worker_followup}}
  - id: respect
    kind: service_quality
    label: Treated with respect
    unit: point on the 1-5 respect rating
    measure: {{table: touchpoints, column: respect, aggregate: mean, within_days: 90}}
  - id: explained_next_steps
    kind: service_quality
    label: Next steps were explained
    unit: point on the 1-5 rating of explained next steps
    measure: {{table: touchpoints, column: explained_next_steps, aggregate: mean, within_days: 90}}
  - id: wait_minutes
    kind: service_quality
    label: Waiting time before being served (minutes)
    unit: {{one: minute of waiting, many: minutes of waiting}}
    measure: {{table: touchpoints, column: wait_minutes, aggregate: mean, within_days: 90}}
  - id: trust
    kind: mediator
    label: Client trusts the service enough to come back
    description: Not measured yet; a survey item would fill it.
  - id: housed_180
    kind: outcome
    label: Stably housed six months after enrolment
    unit: {{one: person stably housed at six months, many: people stably housed at six months}}
    measure: {{table: outcomes, outcome: housed, at_day: 180}}
edges:
  - {{from: case_complexity, to: respect}}
  - {{from: case_complexity, to: explained_next_steps}}
  - {{from: case_complexity, to: wait_minutes}}
  - {{from: case_complexity, to: followup}}
  - {{from: case_complexity, to: housed_180}}
  - {{from: prior_episodes, to: respect}}
  - {{from: prior_episodes, to: followup}}
  - {{from: prior_episodes, to: housed_180}}
  - {{from: motivation, to: housed_180}}
  - {{from: respect, to: trust}}
  - {{from: trust, to: housed_180}}
  - from: respect
    to: housed_180
    assumption:
      claim: Respectful treatment keeps people housed
      expected: increase
      prior: {{mean: 0.05, sd: 0.05}}
      min_effect: 0.02         # 2 points more housed per rating point would change our plans
      estimand: ATE
      source: Program director interview, 2026-03-02
  - from: explained_next_steps
    to: housed_180
    assumption:
      claim: Explaining next steps keeps people housed
      expected: increase
      prior: {{mean: 0.03, sd: 0.04}}
      min_effect: 0.02
      estimand: ATE
      source: Front-line team workshop, 2026-02-11
  - from: wait_minutes
    to: housed_180
    assumption:
      claim: Long waits make people give up (per 10 minutes)
      expected: decrease
      prior: {{mean: -0.01, sd: 0.02}}
      min_effect: 0.01
      estimand: ATE
      per: 10
      source: Board discussion, 2026-01-20
  - from: followup
    to: housed_180
    assumption:
      claim: Follow-up calls keep people housed
      expected: increase
      prior: {{mean: 0.05, sd: 0.05}}
      estimand: ATT
      source: Pilot evaluation, 2025
decision:
  objective: housed_180
  budget: 1200000
  baseline: 0.35
  options:
    # Standard: rushed contacts as today for hard cases, no follow-up; room for 4,000 a year.
    - id: standard
      cost_per_client: 400
      capacity: 4000
      set: {{respect: 3, explained_next_steps: 3, followup: 0}}
    # Enhanced: time to treat people with respect, explain next steps, and follow up.
    - id: enhanced
      cost_per_client: 800
      capacity: 2500
      set: {{respect: 4.5, explained_next_steps: 4.5, followup: 1}}
"""
