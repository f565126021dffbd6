"""Commented starter files written by `decisionframe init`."""

CONFIG_TEMPLATE = """\
# decisionframe project config. Unknown keys are an error, so typos are caught early.
name: {name}

# Where the store lives (a DuckDB file; keep .decisionframe/ out of version control).
store: .decisionframe/store.duckdb

# One entry per canonical table: clients, touchpoints, outcomes, feedback, costs, initiatives.
# `columns` maps a canonical (or new attribute) column to the name your export uses.
# Every key is explained in docs/schema.md (or run `decisionframe schema`).
# An HMIS CSV export or a Zendesk ticket export needs no mapping (docs/presets.md):
#   sources: {{preset: hmis, path: data/hmis/}}
#   sources: {{preset: zendesk, path: data/tickets.csv}}
sources:
  clients: {{path: data/clients.csv}}
  # touchpoints:
  #   path: data/contacts_*.csv            # a glob or a list: monthly files append
  #   date_format: ['%d/%m/%Y %H:%M', '%d/%m/%Y']   # strftime; tried in order
  #   timezone: Europe/London              # for times written without an offset
  #   encoding: cp1252                     # detected when not given
  #   columns: {{touchpoint_id: Contact ID, client_id: Case Ref, started_at: Contact Date,
  #             channel: Channel, respect: Respect Score}}
  #   values: {{channel: {{Walk-in: in_person, Phone: phone}}}}
  # outcomes: {{path: data/outcomes.xlsx, sheet: Outcomes,
  #            values: {{value: {{'Yes': 1, 'No': 0}}}}}}

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
counterfactual: Clients could still get help from two other agencies.
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
      # min_effect: 0.03       # smallest effect that would change a decision

# A decision to make with the estimates (`decisionframe decide` needs it):
# decision:
#   objective: housed_6m       # the outcome node to maximize
#   budget: 50000              # money available for the options
#   baseline: 0.62             # the outcome today, with none of the options
#   options:
#     - id: respect_training
#       cost_per_client: 40    # or in the costs table (data/costs.csv)
#       capacity: 800          # clients it can take
#       set: {respect: 4.5}    # what the option changes
#   min_coverage: {respect_training: 0.1}
"""
