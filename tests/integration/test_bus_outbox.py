"""The outbox and its relay against the real local broker and both database backends."""

from __future__ import annotations

import asyncio
import functools
import uuid
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from bus_support import (
    BUS,
    EFFECTS,
    SERVICE,
    Bus,
    bus_fixture,  # noqa: F401  (the `bus` fixture)
    headers_of,
    read_to_end,
    read_topic,
    settings_for,
    ticket_received,
)
from testkit import poll

from shared.broker import LocalBroker
from shared.database import (
    supports_skip_locked,
)
from shared.events import (
    TicketReceived,
)
from shared.kafka import ensure_topics, standard_topics
from shared.observability import correlation_id_var
from shared.outbox import OutboxRelay

Relay = TypeVar("Relay", bound=OutboxRelay)

# --------------------------------------------------------------------------- outbox and relay


async def test_outbox_publishes_committed_events_once_and_rolled_back_never(bus: Bus) -> None:
    ticket = uuid.uuid4()
    correlation = uuid.uuid4()
    relay = _relay(bus, OutboxRelay, idle_seconds=30)  # only wake() makes it publish promptly

    def emitted(subject: str) -> TicketReceived:
        event = ticket_received(subject, ticket_id=ticket)
        event.correlation_id = None  # taken from the context by emit()
        event.producer = ""
        return event

    token = correlation_id_var.set(correlation)
    try:
        rolled_back = emitted("rolled back")
        async with bus.unit_of_work() as uow:
            uow.emit(rolled_back)
            await bus.on_ticket_received(rolled_back, uow)
            await uow.rollback()

        abandoned = emitted("never committed")
        async with bus.unit_of_work() as uow:
            uow.emit(abandoned)

        failed = emitted("failed")
        with pytest.raises(RuntimeError):
            async with bus.unit_of_work() as uow:
                uow.emit(failed)
                await bus.on_ticket_received(failed, uow)
                raise RuntimeError("the request failed")

        first = emitted("committed")
        async with bus.unit_of_work(on_commit=relay.wake) as uow:
            uow.emit(first)
            await uow.commit()
    finally:
        correlation_id_var.reset(token)

    assert await bus.count(BUS.outbox) == 1
    assert await bus.count(EFFECTS) == 0
    _start(bus, relay)
    await poll(lambda: _pending_is(relay, 0), what="first event published")

    # The relay now idles for 30 s; a commit must wake it.
    second = ticket_received("second", ticket_id=ticket)
    async with bus.unit_of_work(on_commit=relay.wake) as uow:
        uow.emit(second)
        await uow.commit()

    records = await read_topic(
        bus.settings.kafka_bootstrap_servers,
        bus.topics.intake,
        lambda rs: any(r.value and str(second.event_id) in r.value.decode() for r in rs),
        within=5,
    )
    # One key, one partition, published in outbox order: anything else would sit in between.
    published = [TicketReceived.model_validate_json(r.value) for r in records]
    assert [e.event_id for e in published] == [first.event_id, second.event_id]
    record = records[0]
    assert record.key == str(ticket).encode()
    assert headers_of(record) == {
        "type": "ticket.received",
        "producer": SERVICE,
        "correlation_id": str(correlation),
    }
    assert published[0].correlation_id == correlation
    assert published[0].producer == SERVICE
    assert headers_of(records[1])["correlation_id"] == str(second.correlation_id)

    # The relay marks rows after the broker acknowledged them, so a consumer may
    # see a message a moment before its row is marked.
    marked: list[Any] = []

    async def both_marked() -> bool:
        async with bus.sessions() as session:
            marked[:] = (await session.scalars(sa.select(BUS.outbox.c.published_at))).all()
        return len(marked) == 2 and all(s is not None for s in marked)

    await poll(both_marked, within=5, what="both rows marked published")
    assert all(s.tzinfo is not None for s in marked)
    everything = await read_to_end(
        bus.settings.kafka_bootstrap_servers, bus.producer, bus.topics.intake
    )
    assert [r.value for r in everything] == [r.value for r in records]


def _relay(
    bus: Bus,
    relay_type: type[Relay],
    producer: AIOKafkaProducer | None = None,
    **options: Any,
) -> Relay:
    """A relay of ``relay_type`` over the test bus's outbox (through ``producer``, the
    bus's by default), with the relay's keyword ``options``."""
    return relay_type(
        bus.sessions,
        BUS.outbox,
        producer or bus.producer,
        bus.metrics,
        skip_locked=supports_skip_locked(bus.engine),
        **options,
    )


def _start(bus: Bus, relay: OutboxRelay) -> None:
    """Run ``relay`` until the test ends."""
    task = asyncio.create_task(relay.run())
    bus.defer(functools.partial(_stop_relay, relay, task))


async def _pending_is(relay: OutboxRelay, n: int) -> bool:
    return await relay.pending_count() == n


async def _stop_relay(relay: OutboxRelay, task: asyncio.Task[None]) -> None:
    relay.stop()
    try:
        await asyncio.wait_for(task, 10)
    except TimeoutError:
        task.cancel()


async def test_relay_does_not_miss_a_commit_made_during_a_batch(bus: Bus) -> None:
    late = ticket_received("committed while the relay was busy")

    class BusyRelay(OutboxRelay):
        injected = False

        async def publish_batch(self) -> int:
            published = await super().publish_batch()
            if not self.injected:  # a request commits while this batch is in flight
                self.injected = True
                async with bus.unit_of_work(on_commit=self.wake) as uow:
                    uow.emit(late)
                    await uow.commit()
            return published

    relay = _relay(bus, BusyRelay, idle_seconds=30)
    _start(bus, relay)
    await poll(lambda: relay.injected, within=5, what="the commit during the batch")
    await poll(lambda: _pending_is(relay, 0), within=5, what="the late event published")


async def test_idle_relay_backs_off_and_still_publishes_a_row_another_process_left(
    bus: Bus,
) -> None:
    relay = _relay(bus, OutboxRelay, idle_seconds=0.01, max_idle_seconds=0.08)
    _start(bus, relay)
    # Polls that find nothing double the wait, up to the bound.
    await poll(lambda: relay.idle_wait == 0.08, within=10, what="the idle wait at its bound")

    # Another replica's commit (no wake() here): the backed-off poll still publishes it.
    left = ticket_received("left by another replica")
    async with bus.unit_of_work() as uow:
        uow.emit(left)
        await uow.commit()
    await poll(lambda: _pending_is(relay, 0), within=10, what="the left row published")
    records = await read_to_end(
        bus.settings.kafka_bootstrap_servers, bus.producer, bus.topics.intake
    )
    assert left.event_id in {TicketReceived.model_validate_json(r.value).event_id for r in records}


async def test_relays_side_by_side_publish_each_row_once(bus: Bus) -> None:
    events = [ticket_received(f"bulk {i}") for i in range(60)]
    for chunk in (events[:30], events[30:]):
        async with bus.unit_of_work() as uow:
            for event in chunk:
                uow.emit(event)
            await uow.commit()

    relays = [_relay(bus, OutboxRelay, batch_size=7) for _ in range(3)]
    for relay in relays:
        _start(bus, relay)
    await poll(lambda: _pending_is(relays[0], 0), what="outbox drained")

    records = await read_to_end(
        bus.settings.kafka_bootstrap_servers, bus.producer, bus.topics.intake
    )
    published = [TicketReceived.model_validate_json(r.value).event_id for r in records]
    assert len(published) == 60
    assert set(published) == {e.event_id for e in events}


async def test_relay_resumes_after_the_broker_was_unreachable(bus: Bus, unused_port: int) -> None:
    own = LocalBroker("127.0.0.1", unused_port)
    own.start()
    bus.defer(lambda: asyncio.to_thread(own.stop))
    settings = settings_for(own.bootstrap_servers, bus.settings.topic_prefix, "")
    await ensure_topics(settings, standard_topics(settings))
    producer = AIOKafkaProducer(
        bootstrap_servers=own.bootstrap_servers,
        acks="all",
        enable_idempotence=False,
        linger_ms=1,
        request_timeout_ms=1000,
        retry_backoff_ms=50,
    )
    await producer.start()
    bus.defer(producer.stop)

    def new_relay() -> OutboxRelay:
        return _relay(bus, OutboxRelay, producer=producer)

    async def write(n: int) -> list[TicketReceived]:
        events = [ticket_received(f"while away {i}") for i in range(n)]
        async with bus.unit_of_work() as uow:
            for event in events:
                uow.emit(event)
            await uow.commit()
        return events

    relay = new_relay()
    await write(1)
    assert await relay.publish_batch() == 1  # the broker is up: works

    own.stop()
    waiting = await write(3)
    with pytest.raises(KafkaError):
        await asyncio.wait_for(relay.publish_batch(), 10)
    assert await relay.pending_count() == 3

    # The relay loop keeps retrying through the outage.
    task = asyncio.create_task(relay.run())
    await poll(lambda: relay.last_error is not None, what="the relay notices the outage")
    assert not task.done()
    assert await relay.pending_count() == 3
    # Stopped while the broker is away: Tansu acknowledges, then loses, what is sent
    # to a topic that does not exist yet, so nothing may publish before the topics are back.
    await _stop_relay(relay, task)

    # The broker comes back on the same address, empty (Tansu keeps nothing on disk).
    own.start()
    await ensure_topics(settings, standard_topics(settings))
    relay = new_relay()
    _start(bus, relay)
    await poll(lambda: _pending_is(relay, 0), within=20, what="outbox drained")
    wanted = {e.event_id for e in waiting}
    records = await read_topic(
        own.bootstrap_servers,
        bus.topics.intake,
        lambda rs: wanted <= {TicketReceived.model_validate_json(r.value).event_id for r in rs},
    )
    assert records
    assert relay.last_error is None
