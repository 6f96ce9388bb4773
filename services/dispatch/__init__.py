"""Dispatch: teams, agents, skills, assignment, agent work, approvals."""
