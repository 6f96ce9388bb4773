"""The SLA timer's core, driven with fixed clocks: warnings and breaches at the right
moment, each exactly once per clock, across restarts and concurrent replicas."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from followup_support import T0, FollowupStore, open_store, triaged

from services.followup.settings import FollowupSettings
from shared.events import SlaBreached, SlaWarning


async def test_warning_at_warn_at_and_breach_at_the_deadline_each_once(
    store: FollowupStore,
) -> None:
    event = triaged(respond=timedelta(hours=1), resolve=timedelta(hours=24))
    ticket_id = event.ticket_id
    assert ticket_id is not None
    await store.open(event)
    clocks = await store.clocks(ticket_id)
    # Short window: warned at half of it; long window: 4 h before.
    assert clocks["response"].warn_at == T0 + timedelta(minutes=30)
    assert clocks["resolution"].warn_at == T0 + timedelta(hours=20)

    assert await store.fire(T0 + timedelta(minutes=29, seconds=59)) == []
    fired = await store.fire(T0 + timedelta(minutes=30))
    assert [(e.type, e.data.clock) for e in fired] == [("sla.warning", "response")]  # type: ignore[attr-defined]
    warning = fired[0]
    assert isinstance(warning, SlaWarning)
    assert warning.ticket_id == ticket_id
    assert warning.data.due_at == T0 + timedelta(hours=1)
    assert (warning.data.priority, warning.data.team) == ("P1", "tech_support")
    assert warning.occurred_at == T0 + timedelta(minutes=30)

    # Again, and again a little later: nothing new before the deadline.
    assert await store.fire(T0 + timedelta(minutes=30)) == []
    assert await store.fire(T0 + timedelta(minutes=59)) == []
    fired = await store.fire(T0 + timedelta(hours=1))
    assert [type(e) for e in fired] == [SlaBreached]
    assert await store.fire(T0 + timedelta(hours=2)) == []

    clocks = await store.clocks(ticket_id)
    response = clocks["response"]
    assert response.state == "breached"
    assert response.warned_at == T0 + timedelta(minutes=30)
    assert response.breached_at == T0 + timedelta(hours=1)
    assert response.next_fire_at is None
    assert clocks["resolution"].next_fire_at == T0 + timedelta(hours=20)

    fired = await store.fire(T0 + timedelta(hours=24))
    assert [(e.type, e.data.clock) for e in fired] == [  # type: ignore[attr-defined]
        ("sla.warning", "resolution"),
        ("sla.breached", "resolution"),
    ]
    alarms = await store.events("sla.warning", "sla.breached")
    # Four about response and resolution; and the daily update, due at 24 h too, missed
    # (the timer looked only then, so no late reminder).
    assert [(e.type, e.data.clock) for e in alarms if e.data.clock == "update"] == [  # type: ignore[attr-defined]
        ("sla.breached", "update")
    ]
    assert len(alarms) == 5
    # Every row went to the outbox in the emitting transaction, keyed by ticket.
    rows = await store.outbox()
    assert {row.key for row in rows} == {str(ticket_id)}
    assert {row.topic for row in rows} == {"test.followup"}


async def test_a_stopped_clock_never_fires(store: FollowupStore) -> None:
    event = triaged()
    assert event.ticket_id is not None
    await store.open(event)
    await store.stop(event.ticket_id, "response", T0 + timedelta(minutes=10))
    await store.stop(event.ticket_id, "resolution", T0 + timedelta(hours=21))  # after the warning
    assert await store.fire(T0 + timedelta(days=2)) == []
    clocks = await store.clocks(event.ticket_id)
    assert clocks["response"].state == "met"
    assert clocks["resolution"].state == "met"
    assert clocks["response"].next_fire_at is None


async def test_stopped_after_the_warning_does_not_breach(store: FollowupStore) -> None:
    event = triaged()
    assert event.ticket_id is not None
    await store.open(event)
    fired = await store.fire(T0 + timedelta(minutes=40))
    assert [e.type for e in fired] == ["sla.warning"]
    await store.stop(event.ticket_id, "response", T0 + timedelta(minutes=50))
    assert [e.type for e in await store.fire(T0 + timedelta(hours=2))] == []
    clocks = await store.clocks(event.ticket_id)
    assert clocks["response"].state == "met"
    assert clocks["response"].warned_at is not None
    assert clocks["response"].breached_at is None


async def test_warning_lead_is_configurable_per_priority(store: FollowupStore) -> None:
    settings = FollowupSettings(
        warning_lead=timedelta(hours=2), warning_leads={"P0": timedelta(minutes=15)}
    )
    p0 = triaged(priority="P0", resolve=timedelta(hours=4))
    p2 = triaged(priority="P2", resolve=timedelta(hours=48))
    await store.open(p0, p2, settings=settings)
    assert p0.ticket_id is not None and p2.ticket_id is not None
    assert (await store.clocks(p0.ticket_id))["resolution"].warn_at == T0 + timedelta(
        hours=3, minutes=45
    )
    assert (await store.clocks(p2.ticket_id))["resolution"].warn_at == T0 + timedelta(hours=46)


def test_warning_leads_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPDESK_WARNING_LEADS", '{"P0": "PT30M", "P1": 7200}')
    settings = FollowupSettings()
    assert settings.lead_for("P0") == timedelta(minutes=30)
    assert settings.lead_for("P1") == timedelta(hours=2)
    assert settings.lead_for("P2") == timedelta(hours=4)
    assert settings.lead_for(None) == timedelta(hours=4)


async def test_after_downtime_the_warning_comes_before_the_breach(store: FollowupStore) -> None:
    event = triaged(respond=timedelta(hours=1))
    await store.open(event)
    fired = await store.fire(T0 + timedelta(hours=3))
    assert [(e.type, e.data.clock) for e in fired] == [  # type: ignore[attr-defined]
        ("sla.warning", "response"),
        ("sla.breached", "response"),
    ]


async def test_a_late_stop_keeps_the_breach_and_a_stop_before_triage_never_fires(
    store: FollowupStore,
) -> None:
    early = uuid.uuid4()
    await store.stop(early, "response", T0 + timedelta(minutes=5))
    assert await store.fire(T0 + timedelta(days=3)) == []  # no deadline known yet
    await store.open(triaged(early))
    fired = await store.fire(T0 + timedelta(days=3))
    assert [(e.type, e.data.clock) for e in fired] == [  # type: ignore[attr-defined]
        ("sla.warning", "resolution"),
        ("sla.breached", "resolution"),
    ]
    await store.stop(early, "resolution", T0 + timedelta(days=3, hours=1))
    clocks = await store.clocks(early)
    assert clocks["resolution"].state == "breached"
    assert clocks["response"].state == "met"


async def test_exactly_once_after_a_restart(database_url: str) -> None:
    first = await open_store(database_url)
    event = triaged()
    try:
        await first.open(event)
        assert len(await first.fire(T0 + timedelta(hours=1))) == 2
    finally:
        await first.engine.dispose()
    # A new process on the same store (migrations run again, a fresh engine).
    second = await open_store(database_url)
    try:
        assert await second.fire(T0 + timedelta(hours=1)) == []
        assert await second.fire(T0 + timedelta(hours=2)) == []
        assert len(await second.events("sla.warning", "sla.breached")) == 2
    finally:
        await second.engine.dispose()


async def test_claims_in_batches_soonest_first(store: FollowupStore) -> None:
    events = [triaged(at=T0 + timedelta(minutes=i)) for i in range(5)]
    await store.open(*events)
    first = await store.fire(T0 + timedelta(hours=2), limit=3)
    second = await store.fire(T0 + timedelta(hours=2), limit=3)
    third = await store.fire(T0 + timedelta(hours=2), limit=3)
    order = [e.ticket_id for e in [*first, *second] if e.type == "sla.warning"]
    assert order == [e.ticket_id for e in events]
    assert third == []


async def test_two_replicas_firing_at_once_emit_each_event_exactly_once(
    database_url: str,
) -> None:
    """Two timers on their own engines (two replicas) race over the same due clocks."""
    replicas = [await open_store(database_url) for _ in range(2)]
    try:
        events = [triaged(at=T0 + timedelta(seconds=i)) for i in range(40)]
        await replicas[0].open(*events)
        now = T0 + timedelta(hours=1, minutes=1)

        async def drain(replica: FollowupStore) -> list[tuple[str, uuid.UUID | None, str]]:
            seen = []
            for _ in range(20):
                fired = await replica.fire(now, limit=7)
                seen += [(e.type, e.ticket_id, e.data.clock) for e in fired]  # type: ignore[attr-defined]
                await asyncio.sleep(0)
            return seen

        results = await asyncio.gather(*(drain(r) for r in replicas))
        emitted = Counter([*results[0], *results[1]])
        assert all(count == 1 for count in emitted.values()), emitted.most_common(3)
        # Response clocks: warned and breached; resolution clocks: not yet due.
        assert len(emitted) == 80
        stored = await replicas[0].events("sla.warning", "sla.breached")
        assert len(stored) == 80
        assert len({(e.type, e.ticket_id) for e in stored}) == 80
    finally:
        for replica in replicas:
            await replica.engine.dispose()


# PostgreSQL only: SQLite has one writer at a time, so the second would wait, not skip.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_replica_skips_clocks_another_holds_on_postgresql(database_url: str) -> None:
    """While one replica holds its claimed clocks, another claims the rest without waiting."""
    from services.followup import sla_clocks

    a, b = await open_store(database_url), await open_store(database_url)
    try:
        events = [triaged(at=T0 + timedelta(seconds=i)) for i in range(6)]
        await a.open(*events)
        now = T0 + timedelta(minutes=45)  # every response clock is due for its warning
        async with a.uow() as held:
            claimed = await sla_clocks.fire_due_clocks(held, now, FollowupSettings(), limit=4)
            assert claimed == 4
            other = await asyncio.wait_for(b.fire(now), timeout=5)
            assert len(other) == 2
            await held.commit()
        assert await b.fire(now) == []
        warned = await a.events("sla.warning")
        assert sorted(str(e.ticket_id) for e in warned) == sorted(str(e.ticket_id) for e in events)
    finally:
        await a.engine.dispose()
        await b.engine.dispose()
