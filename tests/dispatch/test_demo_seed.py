"""Replicas that start together seed the demo people once: the one whose seed finds an
account another replica committed after it looked starts all the same (a 409 from the
account check is that race, as a unique-key error from the store is). PostgreSQL only:
on SQLite a unit of work takes the write lock when it begins, so replicas take turns."""

from __future__ import annotations

import pytest
from dispatch_helpers import open_store
from people_support import ADMIN_KEY, running_dispatch

from services.dispatch.people import demo
from shared.events import utcnow


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_replica_beaten_to_the_demo_people_starts_and_seeds_nothing_twice(
    database_url: str, broker: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await open_store(database_url)
    hash_password = demo.hash_password
    raced: list[list[str]] = []

    async def hash_while_another_replica_seeds(password: str) -> str:
        # Between this replica's look at the logins and its inserts, another one commits
        # every demo account (the window a real start leaves: the argon2 hash).
        if not raced:
            raced.append([])
            async with store.uow() as uow:
                raced[0] = await demo.add_demo_people(uow.session, password, utcnow())
                await uow.commit()
        return await hash_password(password)

    monkeypatch.setattr(demo, "hash_password", hash_while_another_replica_seeds)
    try:
        async with running_dispatch(
            database_url, broker, topic_prefix, demo_agents=True, demo_password="demo-2026-pass"
        ) as client:
            response = await client.get("/v1/people", headers=ADMIN_KEY, params={"limit": 1000})
    finally:
        await store.engine.dispose()
    assert response.status_code == 200, response.text
    logins = [person["login"] for person in response.json()]
    assert raced and {"admin", "viewer"} <= set(raced[0])
    assert sorted(logins) == sorted(raced[0])
