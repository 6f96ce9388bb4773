"""Dispatch's pure rules: supervisor reports, the default teams and demo agents."""

from __future__ import annotations

import pytest

from services.dispatch import domain as dispatch
from services.triage.rules.defaults import DEFAULT_RULES


@pytest.mark.parametrize(("priority", "report"), [("P0", True), ("P1", True), ("P2", False)])
def test_must_report_to_supervisor(priority: str, report: bool) -> None:
    assert dispatch.must_report_to_supervisor(priority) is report


def test_default_teams_and_demo_agents() -> None:
    assert set(dispatch.DEFAULT_TEAM_KEYS) == {
        "frontline",
        "tech_support",
        "finance",
        "logistics",
        "complaints",
        "after_sales",
        "product",
    }
    assert all(team.supervisor for team in dispatch.DEFAULT_TEAMS)
    # Every team triage can route to exists in dispatch.
    assert {rule.actions.team for rule in DEFAULT_RULES} <= set(dispatch.DEFAULT_TEAM_KEYS)
    per_team = {
        key: [n for n, t in dispatch.DEMO_AGENTS if t == key] for key in dispatch.DEFAULT_TEAM_KEYS
    }
    assert all(len(names) == 2 for names in per_team.values())
