"""Triage refuses to start on a setting that names an unknown SLA policy or industry,
instead of silently running another one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, cast

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.triage.app import MIGRATIONS, started
from services.triage.settings import TriageSettings
from services.triage.sla import SLA_POLICIES, UnknownSlaPolicy, policy_named
from shared.database import create_engine, session_factory
from shared.migrations import upgrade
from shared.runtime import ServiceRuntime


@dataclass
class _Runtime:
    """What the start-up check reads from the service runtime."""

    sessions: async_sessionmaker[AsyncSession]
    settings: TriageSettings


async def _start(database_url: str, **settings: Any) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    engine = create_engine(database_url)
    try:
        runtime = _Runtime(session_factory(engine), TriageSettings(**settings))
        async with started(cast(ServiceRuntime, runtime)):
            pass
    finally:
        await engine.dispose()


def test_an_unknown_industry_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValidationError) as refused:
        TriageSettings(industry="retail")
    assert "unknown industry 'retail'" in str(refused.value)
    assert "e-commerce" in str(refused.value)


async def test_a_misspelt_sla_preset_refuses_to_start(database_url: str) -> None:
    with pytest.raises(RuntimeError) as refused:
        await _start(database_url, sla_preset="cross-industy")
    message = str(refused.value)
    assert "SOPDESK_SLA_PRESET='cross-industy'" in message
    assert "no SLA policy named 'cross-industy'" in message
    assert "cross-industry" in message  # the known ones are listed


async def test_a_preset_or_the_industrys_policy_starts(database_url: str) -> None:
    await _start(database_url, sla_preset="helpdesk")
    await _start(database_url, industry="e-commerce")


def test_a_policy_is_found_by_its_name_only() -> None:
    stored = {"night-shift": SLA_POLICIES["helpdesk"]}
    assert policy_named("night-shift", stored) is SLA_POLICIES["helpdesk"]
    assert policy_named("sop-basic", stored) is SLA_POLICIES["sop-basic"]
    with pytest.raises(UnknownSlaPolicy):
        policy_named("sop-basics", stored)
