"""People and sign-in: accounts of agents, supervisors, admins and viewers (owned by dispatch)."""
