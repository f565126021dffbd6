"""Commented starter files written by `decisionframe init`."""

CONFIG_TEMPLATE = """\
# decisionframe project config. Unknown keys are an error, so typos are caught early.
name: {name}

# Where the store lives (a DuckDB file; keep .decisionframe/ out of version control).
store: .decisionframe/store.duckdb

# One entry per canonical table: clients, touchpoints, outcomes, feedback, costs, initiatives.
# `columns` maps a canonical column to the name your export uses.
sources:
  clients: {{path: data/clients.csv}}
  # touchpoints: {{path: data/contacts.csv, columns: {{started_at: contact_time}}}}
  # outcomes: {{path: data/outcomes.csv}}

privacy:
  # No published number is ever based on fewer clients than this.
  min_cell_size: 11
  # These columns are replaced by keyed pseudonyms (HMAC-SHA-256) on import.
  pseudonymize: [client_id, staff_id]

# Allowed contact channels; anything else in touchpoints.channel is an import error.
channels: [in_person, phone, web, mobile, email, social]
"""

THEORY_TEMPLATE = """\
# Your impact theory: how you believe your work changes people's lives.
# Nodes are things that vary between clients; edges are causes; an edge with an
# `assumption` is a belief decisionframe will test against your data.
question: Does how we treat people change whether they stay housed?
counterfactual: Without us, clients could still get help from two other agencies.
nodes:
  - id: respect
    kind: service_quality      # intervention | service_quality | mediator | outcome | context
    label: Treated with respect
    measure: {table: touchpoints, column: respect, aggregate: mean, within_days: 90}
  - id: housed_6m
    kind: outcome
    label: Stably housed after six months
    measure: {table: outcomes, outcome: housed, at_day: 180}
  - id: prior_episodes
    kind: context
    label: Earlier episodes of homelessness
    measure: {table: clients, column: prior_episodes}
edges:
  - {from: prior_episodes, to: respect}
  - {from: prior_episodes, to: housed_6m}
  - from: respect
    to: housed_6m
    assumption:
      claim: Respectful treatment keeps people housed
      expected: increase       # increase | decrease | none
      prior: {mean: 0.05, sd: 0.05}
      estimand: ATE            # ATE | ATT | ATC
      source: Program director interview
"""
