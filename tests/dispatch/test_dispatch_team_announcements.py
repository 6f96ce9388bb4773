"""Dispatch announces its teams (team.created / updated / deleted) through its outbox, in
the transaction of the change; at start it announces every team whose latest change it
has not announced, with the names the other services seed in their copies."""

from __future__ import annotations

from dispatch_helpers import DispatchStore

from services.dispatch import roster, team_announcements
from shared.events import TeamCreated, TeamDeleted, TeamEvent, TeamUpdated
from shared.team_copies import SPEC_TEAMS


async def _announce_unannounced(store: DispatchStore) -> int:
    async with store.uow() as uow:
        count = await team_announcements.announce_unannounced(uow)
        await uow.commit()
    return count


async def _team_events(store: DispatchStore) -> list[TeamEvent]:
    return [e for e in await store.events() if isinstance(e, TeamEvent)]


async def test_seeded_teams_are_announced_once_with_the_copies_names(
    store: DispatchStore,
) -> None:
    assert await _announce_unannounced(store) == len(SPEC_TEAMS)
    assert await _announce_unannounced(store) == 0, "announced already: not again"
    events = await _team_events(store)
    assert all(isinstance(e, TeamUpdated) and e.key() == f"team:{e.data.key}" for e in events)
    # The copies' seed (shared.team_copies) and dispatch's migration say the same.
    assert {(e.data.key, e.data.name, e.data.name_en) for e in events} == set(SPEC_TEAMS)
    tech = next(e for e in events if e.data.key == "tech_support")
    assert (tech.data.supervisor, tech.data.skills) == ("tech-supervisor", ["fault"])


async def test_every_change_is_announced_in_its_own_transaction(store: DispatchStore) -> None:
    await _announce_unannounced(store)
    async with store.uow() as uow:
        await roster.create_team(
            uow, key="vip_desk", name="VIP 专席", name_en="VIP desk", supervisor="vip", skills=[]
        )
        await uow.commit()
    async with store.uow() as uow:
        await roster.update_team(
            uow, "vip_desk", {"name": "贵宾专席"}, supervisor=frozenset({"vip_desk"})
        )
        await uow.commit()
    async with store.uow() as uow:
        await roster.delete_team(uow, "vip_desk")
        await uow.commit()
    created, updated, deleted = [e for e in await _team_events(store) if e.data.key == "vip_desk"]
    assert isinstance(created, TeamCreated) and created.data.name_en == "VIP desk"
    assert isinstance(updated, TeamUpdated) and updated.data.name == "贵宾专席"
    assert isinstance(deleted, TeamDeleted)
    assert created.data.updated_at <= updated.data.updated_at <= deleted.data.updated_at
    assert await _announce_unannounced(store) == 0
