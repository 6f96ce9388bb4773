"""Dispatch's defaults: supervisor reports, the default teams and demo agents, and the
teams its Alembic history seeds (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa

from services.dispatch import domain as dispatch
from services.dispatch.app import MIGRATIONS
from services.dispatch.domain import DEFAULT_TEAMS
from services.triage.rules.defaults import DEFAULT_RULES
from shared.database import create_engine
from shared.migrations import upgrade

# The SPEC's seven teams, written out here so that the code's list is checked against them.
SPEC_TEAM_KEYS = {
    "frontline",
    "tech_support",
    "finance",
    "logistics",
    "complaints",
    "after_sales",
    "product",
}


@pytest.mark.parametrize(("priority", "report"), [("P0", True), ("P1", True), ("P2", False)])
def test_must_report_to_supervisor(priority: str, report: bool) -> None:
    assert dispatch.must_report_to_supervisor(priority) is report


def test_default_teams_and_demo_agents() -> None:
    assert set(dispatch.DEFAULT_TEAM_KEYS) == SPEC_TEAM_KEYS
    assert all(team.supervisor for team in dispatch.DEFAULT_TEAMS)
    # Every team triage can route to exists in dispatch.
    assert {rule.actions.team for rule in DEFAULT_RULES} <= set(dispatch.DEFAULT_TEAM_KEYS)
    per_team = {
        key: [n for n, t in dispatch.DEMO_AGENTS if t == key] for key in dispatch.DEFAULT_TEAM_KEYS
    }
    assert all(len(names) == 2 for names in per_team.values())


async def test_dispatch_history_seeds_the_default_teams(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.text("SELECT key, supervisor, skills FROM teams"))).all()
    finally:
        await engine.dispose()
    keys = {row.key for row in rows}
    assert keys == SPEC_TEAM_KEYS
    assert len(rows) == 7
    assert all(row.supervisor for row in rows), "every team has a supervisor"
    # The migration writes the teams out by hand: it must agree with the domain's list.
    assert keys == {team.key for team in DEFAULT_TEAMS}
    supervisors = {row.key: row.supervisor for row in rows}
    assert supervisors == {team.key: team.supervisor for team in DEFAULT_TEAMS}
    skills = {row.key: list(_json(row.skills)) for row in rows}
    assert skills == {team.key: list(team.skills) for team in DEFAULT_TEAMS}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
