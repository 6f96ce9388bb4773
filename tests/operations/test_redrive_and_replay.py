"""Redrive and replay reach only what they target (issue 15), on the real broker.

A redrive goes to the consumer's own retry topic, so the other consumers of the
origin topic never see the event again; a replay leaves out the topics read
outside sopdesk (notifications, team work orders) unless asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord
from eventkit import received
from operations_support import invoke, read_topic, write_triage_outbox
from testkit import outbox_row, poll

from services.triage.models import BUS as TRIAGE_BUS
from shared.consumer import EventConsumer, each
from shared.database import create_engine, session_factory
from shared.events import Topics
from shared.kafka import ensure_topics, make_producer
from shared.observability import ServiceMetrics
from shared.outbox import UnitOfWork
from shared.settings import ServiceSettings
from sopdesk.operations import dead_letters, redrive


@contextlib.asynccontextmanager
async def _triage_consumer(
    settings: ServiceSettings, url: str, seen: list[uuid.UUID], fail: set[uuid.UUID]
) -> AsyncIterator[EventConsumer]:
    """A real consumer named triage on a migrated triage store; its handler fails on ``fail``."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    topics = Topics(settings.topic_prefix)
    producer = make_producer(settings)
    await producer.start()

    async def handle(event: Any, uow: UnitOfWork) -> None:
        if event.event_id in fail:
            raise ValueError(f"cannot route {event.event_id}")
        seen.append(event.event_id)  # also from a batch rolled back: compare as sets

    consumer = EventConsumer(
        name="triage",
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topics=topics,
        handlers={"ticket.received": each(handle)},
        unit_of_work=lambda: UnitOfWork(sessions, TRIAGE_BUS.outbox, topics, "triage"),
        inbox=TRIAGE_BUS.inbox,
        dlq_producer=producer,
        metrics=ServiceMetrics("triage"),
        session_timeout_ms=6000,
        fetch_max_wait_ms=20,
    )
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 10)
        await consumer.close()
        await producer.stop()
        await engine.dispose()


async def test_redrive_reaches_only_the_consumer_that_failed(
    ops_env: ServiceSettings, triage_url: str
) -> None:
    url = triage_url
    topics = Topics(ops_env.topic_prefix)
    poison, fine = received(), received()
    seen: list[uuid.UUID] = []
    producer = make_producer(ops_env)
    await producer.start()
    try:
        for event in (poison, fine):
            await producer.send_and_wait(
                topics.intake, value=event.model_dump_json().encode(), key=event.key().encode()
            )
        fail = {poison.event_id}
        async with _triage_consumer(ops_env, url, seen, fail):

            async def dead_lettered() -> bool:
                return len(await dead_letters(ops_env, "triage")) == 1 and fine.event_id in seen

            await poll(dead_lettered, within=30, what="one dead letter, the fine event applied")
            # Fixed: a dry run lists the letter and sends nothing.
            fail.clear()
            dry = await asyncio.to_thread(invoke, "dlq", "redrive", "triage", "--dry-run")
            assert "1 dead letters would go to" in dry and "ticket.received" in dry
            await asyncio.sleep(1.0)
            assert set(seen) == {fine.event_id}

            out = await asyncio.to_thread(invoke, "dlq", "redrive", "triage")
            assert f"1 dead letters sent back to {topics.retry('triage')}" in out

            async def applied() -> bool:
                return set(seen) == {fine.event_id, poison.event_id}

            await poll(applied, within=30, what="the poison event applied once redriven")
    finally:
        await producer.stop()
    # The origin topic holds only the two original messages: followup and analytics,
    # which read it too, were not given the poison event a second time.
    assert len(await read_topic(ops_env, topics.intake)) == 2
    (redriven,) = await read_topic(ops_env, topics.retry("triage"))
    assert json.loads(redriven.value)["event_id"] == str(poison.event_id)
    headers = dict(redriven.headers)
    assert not any(k.startswith("dlq.") for k in headers)
    assert headers["redriven_from"].startswith(topics.dlq("triage").encode())
    assert "0 dead letters sent back" in await asyncio.to_thread(invoke, "dlq", "redrive", "triage")


async def _dead_letters_by_hand(settings: ServiceSettings, n: int) -> None:
    """``n`` dead letters on partition 0 of triage's dead-letter topic."""
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings, [topics.dlq("triage"), topics.retry("triage")])
    producer = make_producer(settings)
    await producer.start()
    try:
        for i in range(n):
            body = {"type": "ticket.received", "event_id": str(uuid.uuid4()), "n": i}
            await producer.send_and_wait(
                topics.dlq("triage"),
                value=json.dumps(body).encode(),
                key=b"k",
                partition=0,
                headers=[("dlq.origin_topic", topics.intake.encode()), ("dlq.error", b"boom")],
            )
    finally:
        await producer.stop()


def _numbers(records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[int]:
    return sorted(json.loads(r.value)["n"] for r in records)


async def test_redrive_by_offset_sends_that_letter_only(ops_env: ServiceSettings) -> None:
    topics = Topics(ops_env.topic_prefix)
    await _dead_letters_by_hand(ops_env, 3)
    one = await redrive(ops_env, "triage", partition=0, offset=1)
    assert [(d.partition, d.offset) for d in one.letters] == [(0, 1)]
    assert _numbers(await read_topic(ops_env, topics.retry("triage"))) == [1]
    # Not next in line, so not remembered: the rest still counts as to do.
    listed = {d.offset: d.redriven for d in await dead_letters(ops_env, "triage")}
    assert listed == {0: False, 1: False, 2: False}

    first = await redrive(ops_env, "triage", partition=0, offset=0)
    assert [d.redriven for d in first.letters] == [True]
    rest = await redrive(ops_env, "triage", dry_run=True)
    assert [d.offset for d in rest.letters] == [1, 2]
    assert _numbers(await read_topic(ops_env, topics.retry("triage"))) == [0, 1]
    assert len((await redrive(ops_env, "triage")).letters) == 2
    assert (await redrive(ops_env, "triage")).letters == []
    assert _numbers(await read_topic(ops_env, topics.retry("triage"))) == [0, 1, 1, 2]
    assert await read_topic(ops_env, topics.intake) == []


def test_replay_leaves_external_topics_out_unless_asked(
    ops_env: ServiceSettings, triage_url: str
) -> None:
    url = triage_url
    topics = Topics(ops_env.topic_prefix)
    now = datetime.now(UTC)
    written = {topics.triage: 2, topics.notifications: 3, topics.assignments("finance"): 1}

    rows = [
        outbox_row(topic, now - timedelta(minutes=1), now, key="ticket")
        for topic, count in written.items()
        for _ in range(count)
    ]
    asyncio.run(write_triage_outbox(url, rows))
    since = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")

    dry = invoke("replay", "triage", "--since", since, "--dry-run")
    assert "dry run: 2 events of triage would be published" in dry
    assert f"{topics.notifications}: 3 left out" in dry
    assert asyncio.run(read_topic(ops_env, topics.triage)) == []

    out = invoke("replay", "triage", "--since", since)
    assert "2 events of triage published again" in out
    assert len(asyncio.run(read_topic(ops_env, topics.triage))) == 2
    assert asyncio.run(read_topic(ops_env, topics.notifications)) == []
    assert asyncio.run(read_topic(ops_env, topics.assignments("finance"))) == []

    # Asked for by name: only that topic, once.
    out = invoke("replay", "triage", "--since", since, "--topic", "notifications")
    assert "3 events of triage published again" in out
    replayed = asyncio.run(read_topic(ops_env, topics.notifications))
    assert len({json.loads(r.value)["event_id"] for r in replayed}) == 3
    assert len(asyncio.run(read_topic(ops_env, topics.triage))) == 2

    out = invoke("replay", "triage", "--since", since, "--include-external")
    assert "6 events of triage published again" in out
    assert len(asyncio.run(read_topic(ops_env, topics.assignments("finance")))) == 1
