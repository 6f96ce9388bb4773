"""Dispatch running with its runtime, token keys and an admin key, for people's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from dispatch_helpers import open_store
from testkit import TOKEN_KEYS, new_person, on_test_broker, serving

from services.dispatch.app import create_app
from services.dispatch.settings import DispatchSettings

KEYS: dict[str, Any] = {
    "ad": "admin",
    "vw": "viewer",
    "gw": "gateway",
    "ag": "agent",
    "sv": "supervisor",
    "crm-key": {"name": "crm", "scopes": ["assignments:read"]},
    "tool-key": {"name": "team-tool", "scopes": ["people:act-for"]},
}
ADMIN_KEY = {"Authorization": "Bearer ad"}


@asynccontextmanager
async def running_dispatch(
    database_url: str, broker: str, prefix: str, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    store = await open_store(database_url)
    await store.engine.dispose()
    settings = on_test_broker(
        DispatchSettings,
        database_url,
        broker,
        prefix,
        api_keys=KEYS,
        consumer_session_timeout_ms=6000,  # the local broker answers a join after half
        **{**TOKEN_KEYS, **overrides},
    )
    app = create_app(settings)
    async with serving(app, ready_within=20) as client:
        yield client


# A person as dispatch shows them, and their signed-in headers.
Signed = tuple[dict[str, Any], dict[str, str]]


async def team_cast(
    client: httpx.AsyncClient, team: str, lead_login: str, lead_name: str
) -> tuple[Signed, Signed, Signed, Signed, Signed]:
    """Created by the admin, in this order: ``team``'s agents 张伟 (zhang) and 李娜 (li), an
    agent of finance (qian), ``team``'s supervisor and finance's (fin-lead)."""
    zhang = await new_person(
        client, ADMIN_KEY, "zhang", roles=["agent"], teams=[team], display_name="张伟"
    )
    li = await new_person(
        client, ADMIN_KEY, "li", roles=["agent"], teams=[team], display_name="李娜"
    )
    stranger = await new_person(client, ADMIN_KEY, "qian", roles=["agent"], teams=["finance"])
    lead = await new_person(
        client,
        ADMIN_KEY,
        lead_login,
        roles=["supervisor"],
        supervises=[team],
        display_name=lead_name,
    )
    other_lead = await new_person(
        client, ADMIN_KEY, "fin-lead", roles=["supervisor"], supervises=["finance"]
    )
    return zhang, li, stranger, lead, other_lead


async def online_agent(
    client: httpx.AsyncClient,
    login: str,
    team: str,
    *,
    skills: dict[str, int],
    display_name: str | None = None,
    **fields: Any,
) -> Signed:
    """An agent of ``team`` created by the admin, given ``skills`` (and ``fields``, e.g. a
    capacity) by the admin, then online by their own hand."""
    person, me = await new_person(
        client, ADMIN_KEY, login, roles=["agent"], teams=[team], display_name=display_name
    )
    mine = f"/v1/agents/{person['id']}"
    skilled = await client.patch(mine, json={"skills": skills, **fields}, headers=ADMIN_KEY)
    assert skilled.status_code == 200, skilled.text
    online = await client.patch(mine, json={"status": "online"}, headers=me)
    assert online.is_success, online.text
    return person, me


async def on_shift(
    client: httpx.AsyncClient, team: str, moment: str, headers: dict[str, str]
) -> dict[str, Any]:
    """``GET /v1/teams/{team}/on-shift?at=moment``: who is on shift then, and the day."""
    got = await client.get(f"/v1/teams/{team}/on-shift", params={"at": moment}, headers=headers)
    assert got.status_code == 200, got.text
    seen: dict[str, Any] = got.json()
    return seen
