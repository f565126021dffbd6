"""decisionframe."""
