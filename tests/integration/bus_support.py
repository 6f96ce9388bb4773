"""A tiny test "service" for the event bus tests: its own metadata with the bus tables
and an ``effects`` table that a ``ticket.received`` handler writes to. The
``effects.event_id`` column is deliberately not unique, so an event applied twice
shows up as two rows instead of being hidden by a constraint.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.consumer import EventConsumer, each
from shared.database import (
    TYPE_ANNOTATION_MAP,
    BigIntId,
    bus_tables,
    create_engine,
    session_factory,
)
from shared.events import (
    TicketMessageAdded,
    TicketMessageAddedData,
    TicketReceived,
    TicketReceivedData,
    Topics,
)
from shared.kafka import ensure_topics, make_producer, standard_topics
from shared.observability import ServiceMetrics
from shared.outbox import UnitOfWork
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

    def consumer(
        self, *, max_attempts: int = 3, session_timeout_ms: int = 1500, **options: Any
    ) -> EventConsumer:
        """The consumer of this bus's ``ticket.received``; ``options`` go to EventConsumer
        (its fetch waits, say)."""
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
            session_timeout_ms=session_timeout_ms,
            **options,
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


# Imported by the bus test modules (not a conftest.py: tests/conftest.py is imported as
# `conftest` by other modules, and a second one would shadow it).
@pytest.fixture(name="bus")
async def bus_fixture(broker: str, topic_prefix: str, database_url: str) -> AsyncIterator[Bus]:
    service = Bus(settings_for(broker, topic_prefix, database_url))
    await service.start()
    try:
        yield service
    finally:
        await service.close()
