"""An idle service sleeps: a quiet consumer asks the broker to hold its fetches
longer, and every commit tells the loops that would otherwise poll the store."""

from __future__ import annotations

import pytest
from bus_support import (  # the bus fixture and helpers of the plumbing tests
    BUS,
    SERVICE,
    Bus,
    bus_fixture,  # noqa: F401  (the `bus` fixture)
    ticket_received,
)
from testkit import poll

from shared import consumer as consumer_module
from shared.consumer import EventConsumer
from shared.outbox import UnitOfWork


def fetch_wait_ms(consumer: EventConsumer) -> int:
    """How long the broker is asked to hold the next fetch (what aiokafka sends)."""
    return int(consumer.consumer._fetcher._fetch_max_wait_ms)


async def test_a_quiet_consumer_fetches_with_its_idle_wait_and_a_message_wakes_it(
    bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumer_module, "QUIET_SECONDS", 0.5)
    consumer = await bus.run_consumer(fetch_max_wait_ms=20, idle_fetch_max_wait_ms=700)
    await poll(lambda: fetch_wait_ms(consumer) == 700, within=20, what="idle fetch wait")

    event = ticket_received()
    await bus.produce(event.model_dump_json().encode(), str(event.ticket_id))
    await poll(lambda: bus.effects(event.event_id), within=20, what="event applied")
    assert fetch_wait_ms(consumer) == 20


async def test_every_commit_calls_after_commit_and_only_event_commits_wake_the_relay(
    bus: Bus,
) -> None:
    woken: list[str] = []

    def unit_of_work() -> UnitOfWork:
        return UnitOfWork(
            bus.sessions,
            BUS.outbox,
            bus.topics,
            SERVICE,
            on_commit=lambda: woken.append("relay"),
            after_commit=lambda: woken.append("listeners"),
        )

    async with unit_of_work() as uow:
        await uow.commit()  # a projection that emits nothing
    assert woken == ["listeners"]
    async with unit_of_work() as uow:
        uow.emit(ticket_received())
        await uow.commit()
    assert woken == ["listeners", "relay", "listeners"]
    async with unit_of_work() as uow:
        uow.emit(ticket_received())
        # Thrown away without a commit: nobody is told.
    assert woken == ["listeners", "relay", "listeners"]
