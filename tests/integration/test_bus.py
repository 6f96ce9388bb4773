"""The event bus plumbing against the real local broker and both database backends.

A tiny test "service" lives in this module: its own metadata with the bus tables
and an ``effects`` table that a ``ticket.received`` handler writes to. The
``effects.event_id`` column is deliberately not unique, so an event applied twice
shows up as two rows instead of being hidden by a constraint.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.broker import LocalBroker
from shared.consumer import EventConsumer, each
from shared.database import (
    TYPE_ANNOTATION_MAP,
    BigIntId,
    bus_tables,
    create_engine,
    session_factory,
    supports_skip_locked,
)
from shared.events import (
    TicketMessageAdded,
    TicketMessageAddedData,
    TicketReceived,
    TicketReceivedData,
    Topics,
)
from shared.kafka import ensure_topics, make_producer, standard_topics
from shared.observability import ServiceMetrics, correlation_id_var
from shared.outbox import OutboxRelay, UnitOfWork
from shared.settings import ServiceSettings

SERVICE = "bustest"
FAIL_SUBJECT = "the handler rejects this one"


class BusSettings(ServiceSettings):
    service_name: ClassVar[str] = SERVICE


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = TYPE_ANNOTATION_MAP


BUS = bus_tables(Base.metadata)


class Effect(Base):
    __tablename__ = "effects"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(index=True)
    ticket_id: Mapped[uuid.UUID | None]
    subject: Mapped[str] = mapped_column(sa.String(200))
    applied_at: Mapped[datetime]


EFFECTS: sa.Table = Effect.__table__  # type: ignore[assignment]


class Killed(BaseException):
    """Stands for the process dying (not an ``Exception``: nothing may catch it)."""


# --------------------------------------------------------------------------- helpers


async def eventually(
    predicate: Callable[[], Any], within: float = 15.0, what: str = "condition"
) -> None:
    """Poll ``predicate`` (sync or async) until it is truthy, or fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{what} not reached within {within}s")
        await asyncio.sleep(0.05)


async def read_topic(
    bootstrap_servers: str,
    topic: str,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    within: float = 15.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read a topic from the start, outside any group, until ``until(records)`` holds."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    try:
        while not until(records):
            if loop.time() > deadline:
                raise AssertionError(f"{topic}: condition not met; read {len(records)} records")
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
        return records
    finally:
        await consumer.stop()


async def read_to_end(
    bootstrap_servers: str, producer: AIOKafkaProducer, topic: str, within: float = 15.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything a topic holds now, duplicates included.

    A marker is appended to every partition and the topic is read up to the
    markers (Tansu's ``ListOffsets`` reports the start of the last batch, not the end).
    """
    marker = f"end-marker-{uuid.uuid4()}".encode()
    partitions = await producer.partitions_for(topic)
    for partition in partitions:
        await producer.send_and_wait(topic, marker, partition=partition)
    records = await read_topic(
        bootstrap_servers,
        topic,
        lambda rs: sum(r.value == marker for r in rs) == len(partitions),
        within,
    )
    return [r for r in records if r.value != marker]


def headers_of(record: ConsumerRecord[Any, Any]) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


def ticket_received(
    subject: str = "产品无法启动", ticket_id: uuid.UUID | None = None
) -> TicketReceived:
    now = datetime.now(UTC)
    return TicketReceived(
        ticket_id=ticket_id or uuid.uuid4(),
        correlation_id=uuid.uuid4(),
        producer="intake",
        data=TicketReceivedData(
            ticket_no=f"T-{uuid.uuid4().hex[:6]}",
            channel="phone",
            customer_id=uuid.uuid4(),
            customer_type="new",
            subject=subject,
            description="开机后黑屏",
            received_at=now,
        ),
    )


def settings_for(bootstrap: str, prefix: str, database_url: str) -> BusSettings:
    return BusSettings(
        kafka_bootstrap_servers=bootstrap,
        topic_prefix=prefix,
        topic_partitions=3,
        database_url=database_url,
    )


class Bus:
    """The test service: database, topics, a producer, and consumers on demand."""

    def __init__(self, settings: BusSettings) -> None:
        self.settings = settings
        self.topics = Topics(settings.topic_prefix)
        self.engine = create_engine(settings.resolved_database_url, pool_size=5)
        self.sessions = session_factory(self.engine)
        self.metrics = ServiceMetrics(SERVICE)
        self.producer = make_producer(settings)
        self.calls: Counter[uuid.UUID] = Counter()
        self.transient_failures: Counter[uuid.UUID] = Counter()
        self._running: list[tuple[EventConsumer, asyncio.Task[None] | None]] = []
        self._cleanups: list[Callable[[], Awaitable[Any]]] = []

    async def start(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await ensure_topics(self.settings, standard_topics(self.settings))
        await self.producer.start()

    async def close(self) -> None:
        for consumer, task in reversed(self._running):
            consumer.stop()
            if task is not None and not task.done():
                try:
                    await asyncio.wait_for(task, 5)
                except TimeoutError:
                    task.cancel()
            await consumer.close()
        for cleanup in reversed(self._cleanups):
            await cleanup()
        await self.producer.stop()
        await self.engine.dispose()

    def defer(self, cleanup: Callable[[], Awaitable[Any]]) -> None:
        self._cleanups.append(cleanup)

    # --- the service's behaviour

    def unit_of_work(self, on_commit: Callable[[], None] | None = None) -> UnitOfWork:
        return UnitOfWork(self.sessions, BUS.outbox, self.topics, SERVICE, on_commit=on_commit)

    async def on_ticket_received(self, event: TicketReceived, uow: UnitOfWork) -> None:
        self.calls[event.event_id] += 1
        if event.data.subject == FAIL_SUBJECT:
            raise ValueError(f"cannot handle ticket {event.ticket_id}")
        if self.transient_failures[event.event_id] > 0:
            self.transient_failures[event.event_id] -= 1
            raise ConnectionResetError("the database went away")
        await uow.session.execute(
            sa.insert(EFFECTS).values(
                event_id=event.event_id,
                ticket_id=event.ticket_id,
                subject=event.data.subject,
                applied_at=datetime.now(UTC),
            )
        )
        # An effect and the event it causes are committed together.
        uow.emit(
            TicketMessageAdded(
                ticket_id=event.ticket_id,
                data=TicketMessageAddedData(
                    message_id=uuid.uuid5(event.event_id, "ack"), author="system", body="收到"
                ),
            )
        )

    def consumer(self, *, max_attempts: int = 3) -> EventConsumer:
        consumer = EventConsumer(
            name=SERVICE,
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            topics=self.topics,
            handlers={"ticket.received": each(self.on_ticket_received)},
            unit_of_work=self.unit_of_work,
            inbox=BUS.inbox,
            dlq_producer=self.producer,
            metrics=self.metrics,
            max_attempts=max_attempts,
            # Tansu answers a JoinGroup after about half the session timeout, and
            # its first generation is 0, for which aiokafka sends no LeaveGroup on
            # stop, so a later member waits for the session to expire: keep it short.
            session_timeout_ms=1500,
        )
        self._running.append((consumer, None))
        return consumer

    async def run_consumer(self, **kwargs: Any) -> EventConsumer:
        consumer = self.consumer(**kwargs)
        await consumer.start()
        task = asyncio.create_task(consumer.run())
        self._running[-1] = (consumer, task)
        return consumer

    # --- inputs and observations

    async def produce(self, value: bytes, key: str, topic: str | None = None) -> Any:
        return await self.producer.send_and_wait(
            topic or self.topics.intake, value=value, key=key.encode()
        )

    async def count(self, table: sa.Table, *where: Any) -> int:
        async with self.sessions() as session:
            return int(
                await session.scalar(sa.select(sa.func.count()).select_from(table).where(*where))
                or 0
            )

    async def effects(self, event_id: uuid.UUID) -> int:
        return await self.count(EFFECTS, EFFECTS.c.event_id == event_id)

    def consumed(self, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "sopdesk_events_consumed_total",
            {"service": SERVICE, "type": "ticket.received", "outcome": outcome},
        )
        return value or 0.0

    def dlq_records(
        self, n: int, within: float = 15.0
    ) -> Awaitable[list[ConsumerRecord[bytes, bytes]]]:
        return read_topic(
            self.settings.kafka_bootstrap_servers,
            self.topics.dlq(SERVICE),
            lambda records: len(records) >= n,
            within,
        )


@pytest.fixture
async def bus(broker: str, topic_prefix: str, database_url: str) -> AsyncIterator[Bus]:
    service = Bus(settings_for(broker, topic_prefix, database_url))
    await service.start()
    try:
        yield service
    finally:
        await service.close()


async def collect(
    consumer: EventConsumer, n: int, within: float = 15.0
) -> dict[TopicPartition, list[ConsumerRecord[Any, Any]]]:
    """Fetch until ``n`` records have arrived, as one batch (what ``run`` would pass on)."""
    batch: dict[TopicPartition, list[ConsumerRecord[Any, Any]]] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while sum(len(r) for r in batch.values()) < n:
        assert loop.time() < deadline, f"fetched {batch} of {n} records"
        fetched = await consumer.consumer.getmany(timeout_ms=200)
        for tp, records in fetched.items():
            batch.setdefault(tp, []).extend(records)
    return batch


# --------------------------------------------------------------------------- consumer


async def test_redelivered_event_has_one_effect(bus: Bus) -> None:
    event = ticket_received()
    raw = event.model_dump_json().encode()
    await bus.produce(raw, event.key())
    await bus.produce(raw, event.key())
    await bus.run_consumer()

    # A duplicate in the same batch is counted before the batch commits.
    await eventually(
        lambda: bus.consumed("duplicate") >= 1 and bus.consumed("processed") >= 1,
        what="second delivery seen",
    )
    assert bus.consumed("processed") == 1

    # Once more, now that the first delivery is long committed: the inbox catches it.
    await bus.produce(raw, event.key())
    await eventually(lambda: bus.consumed("duplicate") >= 2, what="third delivery seen")

    assert await bus.effects(event.event_id) == 1
    assert await bus.count(BUS.inbox) == 1
    assert await bus.count(BUS.inbox, BUS.inbox.c.consumer == SERVICE) == 1
    assert await bus.count(BUS.outbox) == 1  # the handler's event was emitted once
    assert bus.calls[event.event_id] == 1


async def test_poison_messages_go_to_the_dlq_and_the_partition_moves_on(bus: Bus) -> None:
    key = str(uuid.uuid4())  # one key, so one partition, so this order is kept
    not_json = b"\xff{this is not json"
    invalid = ticket_received().model_dump(mode="json")
    del invalid["data"]["subject"]
    invalid["data"]["channel"] = "fax"
    invalid_raw = json.dumps(invalid).encode()
    good = ticket_received(ticket_id=uuid.UUID(key))

    sent_not_json = await bus.produce(not_json, key)
    sent_invalid = await bus.produce(invalid_raw, key)
    sent_good = await bus.produce(good.model_dump_json().encode(), key)
    consumer = await bus.run_consumer()

    await eventually(lambda: bus.effects(good.event_id), what="the valid event applied")
    records = await bus.dlq_records(2)
    assert len(records) == 2
    by_value = {r.value: r for r in records}
    assert set(by_value) == {not_json, invalid_raw}

    first = headers_of(by_value[not_json])
    assert first["dlq.origin_topic"] == bus.topics.intake
    assert first["dlq.origin_offset"] == str(sent_not_json.offset)
    assert first["dlq.origin_partition"] == str(sent_not_json.partition)
    assert "not JSON" in first["dlq.error"]
    assert first["dlq.consumer"] == SERVICE
    assert by_value[not_json].key == key.encode()

    second = headers_of(by_value[invalid_raw])
    assert second["dlq.origin_topic"] == bus.topics.intake
    assert second["dlq.origin_offset"] == str(sent_invalid.offset)
    assert "invalid ticket.received" in second["dlq.error"]
    assert "subject" in second["dlq.error"]

    tp = TopicPartition(bus.topics.intake, sent_good.partition)
    await eventually(
        lambda: _committed_at_least(consumer, tp, sent_good.offset + 1),
        what="offsets committed past the valid event",
    )
    assert await bus.count(BUS.inbox) == 1
    assert bus.consumed("processed") == 1
    for event_type in ("undecodable", "ticket.received"):
        dead_lettered = bus.metrics.registry.get_sample_value(
            "sopdesk_events_consumed_total",
            {"service": SERVICE, "type": event_type, "outcome": "dead_lettered"},
        )
        assert dead_lettered == 1, event_type


async def _committed_at_least(consumer: EventConsumer, tp: TopicPartition, offset: int) -> bool:
    return (await consumer.consumer.committed(tp) or 0) >= offset


async def test_failing_handler_dead_letters_only_its_event(bus: Bus) -> None:
    key = str(uuid.uuid4())
    ok_before = ticket_received("first", ticket_id=uuid.UUID(key))
    failing = ticket_received(FAIL_SUBJECT, ticket_id=uuid.UUID(key))
    ok_after = ticket_received("third", ticket_id=uuid.UUID(key))
    sent = [
        await bus.produce(e.model_dump_json().encode(), key) for e in (ok_before, failing, ok_after)
    ]

    consumer = bus.consumer(max_attempts=3)
    await consumer.start()
    batch = await collect(consumer, 3)
    assert [r.offset for part in batch.values() for r in part] == [m.offset for m in sent]
    await consumer.process(batch)

    assert await bus.effects(ok_before.event_id) == 1
    assert await bus.effects(ok_after.event_id) == 1
    assert await bus.effects(failing.event_id) == 0
    # once in the whole batch, then max_attempts times on its own
    assert bus.calls[failing.event_id] == 1 + 3
    async with bus.sessions() as session:
        inboxed = set(await session.scalars(sa.select(BUS.inbox.c.event_id)))
    assert inboxed == {ok_before.event_id, ok_after.event_id}
    assert await bus.count(BUS.outbox) == 2  # what the failing handler emitted was rolled back

    [dead] = await bus.dlq_records(1)
    assert dead.value == failing.model_dump_json().encode()
    headers = headers_of(dead)
    assert headers["dlq.error_type"] == "ValueError"
    assert headers["dlq.attempts"] == "3"
    assert headers["dlq.origin_offset"] == str(sent[1].offset)
    assert str(failing.ticket_id) in headers["dlq.error"]

    tp = TopicPartition(bus.topics.intake, sent[-1].partition)
    assert await consumer.consumer.committed(tp) == sent[-1].offset + 1


async def test_transient_failure_is_retried_not_dead_lettered(bus: Bus) -> None:
    flaky = ticket_received("flaky database")
    bus.transient_failures[flaky.event_id] = 2
    sent = await bus.produce(flaky.model_dump_json().encode(), flaky.key())
    consumer = await bus.run_consumer()

    await eventually(lambda: bus.effects(flaky.event_id), what="applied after the database is back")
    assert bus.calls[flaky.event_id] == 3
    tp = TopicPartition(bus.topics.intake, sent.partition)
    await eventually(
        lambda: _committed_at_least(consumer, tp, sent.offset + 1), what="offset committed"
    )
    assert await bus.effects(flaky.event_id) == 1
    dlq = await read_to_end(
        bus.settings.kafka_bootstrap_servers, bus.producer, bus.topics.dlq(SERVICE)
    )
    assert dlq == []


async def test_killed_between_database_commit_and_offset_commit(bus: Bus) -> None:
    event = ticket_received()
    sent = await bus.produce(event.model_dump_json().encode(), event.key())
    tp = TopicPartition(bus.topics.intake, sent.partition)

    doomed = bus.consumer()

    async def die(batch: Any) -> None:
        raise Killed

    doomed._commit_offsets = die  # type: ignore[method-assign]
    await doomed.start()
    batch = await collect(doomed, 1)
    with pytest.raises(Killed):
        await doomed.process(batch)
    # The database has the effect, Kafka has no committed offset.
    assert await bus.effects(event.event_id) == 1
    assert await doomed.consumer.committed(tp) is None
    await doomed.close()

    # A fresh replica in the same group gets the event again ...
    await bus.run_consumer()
    await eventually(lambda: bus.consumed("duplicate") == 1, what="redelivery to the new consumer")
    later = ticket_received(ticket_id=event.ticket_id)
    await bus.produce(later.model_dump_json().encode(), later.key())
    await eventually(lambda: bus.effects(later.event_id), what="a later event applied")

    # ... and nothing is lost or doubled.
    assert await bus.effects(event.event_id) == 1
    assert bus.calls[event.event_id] == 1
    assert await bus.count(BUS.inbox) == 2
    assert await bus.count(BUS.outbox) == 2


# --------------------------------------------------------------------------- outbox and relay


async def test_outbox_publishes_committed_events_once_and_rolled_back_never(bus: Bus) -> None:
    ticket = uuid.uuid4()
    correlation = uuid.uuid4()
    relay = OutboxRelay(
        bus.sessions,
        BUS.outbox,
        bus.producer,
        bus.metrics,
        idle_seconds=30,  # only wake() makes it publish promptly
        skip_locked=supports_skip_locked(bus.engine),
    )

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
    task = asyncio.create_task(relay.run())
    bus.defer(lambda: _stop_relay(relay, task))
    await eventually(lambda: _pending_is(relay, 0), what="first event published")

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

    await eventually(both_marked, within=5, what="both rows marked published")
    assert all(s.tzinfo is not None for s in marked)
    everything = await read_to_end(
        bus.settings.kafka_bootstrap_servers, bus.producer, bus.topics.intake
    )
    assert [r.value for r in everything] == [r.value for r in records]


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

    relay = BusyRelay(
        bus.sessions,
        BUS.outbox,
        bus.producer,
        bus.metrics,
        idle_seconds=30,
        skip_locked=supports_skip_locked(bus.engine),
    )
    task = asyncio.create_task(relay.run())
    bus.defer(lambda: _stop_relay(relay, task))
    await eventually(lambda: relay.injected, within=5, what="the commit during the batch")
    await eventually(lambda: _pending_is(relay, 0), within=5, what="the late event published")


async def test_relays_side_by_side_publish_each_row_once(bus: Bus) -> None:
    events = [ticket_received(f"bulk {i}") for i in range(60)]
    for chunk in (events[:30], events[30:]):
        async with bus.unit_of_work() as uow:
            for event in chunk:
                uow.emit(event)
            await uow.commit()

    relays = [
        OutboxRelay(
            bus.sessions,
            BUS.outbox,
            bus.producer,
            bus.metrics,
            batch_size=7,
            skip_locked=supports_skip_locked(bus.engine),
        )
        for _ in range(3)
    ]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    for relay, task in zip(relays, tasks, strict=True):
        bus.defer(functools.partial(_stop_relay, relay, task))
    await eventually(lambda: _pending_is(relays[0], 0), what="outbox drained")

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
        return OutboxRelay(
            bus.sessions,
            BUS.outbox,
            producer,
            bus.metrics,
            skip_locked=supports_skip_locked(bus.engine),
        )

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
    await eventually(lambda: relay.last_error is not None, what="the relay notices the outage")
    assert not task.done()
    assert await relay.pending_count() == 3
    # Stopped while the broker is away: Tansu acknowledges, then loses, what is sent
    # to a topic that does not exist yet, so nothing may publish before the topics are back.
    await _stop_relay(relay, task)

    # The broker comes back on the same address, empty (Tansu keeps nothing on disk).
    own.start()
    await ensure_topics(settings, standard_topics(settings))
    relay = new_relay()
    task = asyncio.create_task(relay.run())
    bus.defer(functools.partial(_stop_relay, relay, task))
    await eventually(lambda: _pending_is(relay, 0), within=20, what="outbox drained")
    wanted = {e.event_id for e in waiting}
    records = await read_topic(
        own.bootstrap_servers,
        bus.topics.intake,
        lambda rs: wanted <= {TicketReceived.model_validate_json(r.value).event_id for r in rs},
    )
    assert records
    assert relay.last_error is None
