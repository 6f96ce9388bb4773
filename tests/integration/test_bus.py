"""The consumer against the real local broker and both database backends: redelivery,
poison messages, dead letters, retries, a crash between the two commits."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import TopicPartition
from bus_support import (
    BUS,
    FAIL_SUBJECT,
    SERVICE,
    Bus,
    Killed,
    bus_fixture,  # noqa: F401  (the `bus` fixture)
    collect,
    headers_of,
    read_to_end,
    settings_for,
    ticket_received,
)
from testkit import poll

from shared.broker import LocalBroker
from shared.consumer import EventConsumer
from shared.events import TicketReceived
from shared.kafka import ensure_topics, standard_topics

# --------------------------------------------------------------------------- consumer


async def test_redelivered_event_has_one_effect(bus: Bus) -> None:
    event = ticket_received()
    raw = event.model_dump_json().encode()
    await bus.produce(raw, event.key())
    await bus.produce(raw, event.key())
    await bus.run_consumer()

    # A duplicate in the same batch is counted before the batch commits.
    await poll(
        lambda: bus.consumed("duplicate") >= 1 and bus.consumed("processed") >= 1,
        what="second delivery seen",
    )
    assert bus.consumed("processed") == 1

    # Once more, now that the first delivery is long committed: the inbox catches it.
    await bus.produce(raw, event.key())
    await poll(lambda: bus.consumed("duplicate") >= 2, what="third delivery seen")

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

    await poll(lambda: bus.effects(good.event_id), what="the valid event applied")
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
    await poll(
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

    await poll(lambda: bus.effects(flaky.event_id), what="applied after the database is back")
    assert bus.calls[flaky.event_id] == 3
    tp = TopicPartition(bus.topics.intake, sent.partition)
    await poll(lambda: _committed_at_least(consumer, tp, sent.offset + 1), what="offset committed")
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

    async def die(offsets: Any) -> None:
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
    await poll(lambda: bus.consumed("duplicate") == 1, what="redelivery to the new consumer")
    later = ticket_received(ticket_id=event.ticket_id)
    await bus.produce(later.model_dump_json().encode(), later.key())
    await poll(lambda: bus.effects(later.event_id), what="a later event applied")

    # ... and nothing is lost or doubled.
    assert await bus.effects(event.event_id) == 1
    assert bus.calls[event.event_id] == 1
    assert await bus.count(BUS.inbox) == 2
    assert await bus.count(BUS.outbox) == 2


async def test_applied_batches_share_one_offset_commit(bus: Bus) -> None:
    """Within the commit interval the offsets of applied batches wait and go to the
    broker in one commit: the database has every effect before Kafka has an offset."""
    key = str(uuid.uuid4())  # one key, so one partition
    events = [ticket_received(f"batch {i}", ticket_id=uuid.UUID(key)) for i in range(3)]
    consumer = bus.consumer(commit_interval_ms=60_000)
    commits: list[dict[TopicPartition, int]] = []
    commit = consumer.consumer.commit

    async def counted(offsets: dict[TopicPartition, int]) -> None:
        commits.append(dict(offsets))
        await commit(offsets)

    consumer.consumer.commit = counted
    await consumer.start()
    sent = []
    for event in events:  # three batches, each applied on its own
        sent.append(await bus.produce(event.model_dump_json().encode(), key))
        await consumer.process(await collect(consumer, 1))
    tp = TopicPartition(bus.topics.intake, sent[-1].partition)

    assert [await bus.effects(e.event_id) for e in events] == [1, 1, 1]
    assert commits == []
    assert await consumer.consumer.committed(tp) is None

    await consumer.commit_offsets()
    assert commits == [{tp: sent[-1].offset + 1}]
    assert await consumer.consumer.committed(tp) == sent[-1].offset + 1
    await consumer.commit_offsets()  # nothing applied since: no second commit
    assert len(commits) == 1


async def test_a_running_consumer_commits_once_nothing_waits(bus: Bus) -> None:
    """A long interval does not leave offsets uncommitted on a quiet topic: the run loop
    commits when a fetch brings nothing."""
    event = ticket_received()
    consumer = await bus.run_consumer(commit_interval_ms=60_000)
    sent = await bus.produce(event.model_dump_json().encode(), event.key())
    tp = TopicPartition(bus.topics.intake, sent.partition)
    await poll(lambda: bus.effects(event.event_id), what="applied")
    await poll(
        lambda: _committed_at_least(consumer, tp, sent.offset + 1),
        within=10,
        what="offset committed once the topic is quiet",
    )


async def test_the_retry_topic_is_fetched_only_while_it_holds_records(bus: Bus) -> None:
    """Its partitions stay paused (no fetch names them) until a check finds a record past
    the consumer's position; that record is applied, then they are paused again."""
    consumer = await bus.run_consumer()
    await poll(lambda: consumer.consumer.assignment(), what="partitions assigned")
    retry = {tp for tp in consumer.consumer.assignment() if tp.topic == bus.topics.retry(SERVICE)}
    assert retry
    await poll(lambda: retry <= consumer.consumer.paused(), what="retry topic paused")

    redriven = ticket_received("redriven")
    await bus.produce(
        redriven.model_dump_json().encode(), redriven.key(), topic=bus.topics.retry(SERVICE)
    )
    await poll(lambda: bus.effects(redriven.event_id), within=20, what="the redriven event")
    await poll(
        lambda: retry <= consumer.consumer.paused(),
        within=20,
        what="paused again once read",
    )


async def _applied(bus: Bus, events: list[TicketReceived]) -> bool:
    return all([await bus.effects(event.event_id) == 1 for event in events])


@pytest.mark.parametrize("published_after", [2, 3, 5])
async def test_consumer_reads_everything_a_restarted_broker_holds(
    topic_prefix: str, database_url: str, unused_port: int, published_after: int
) -> None:
    """The local broker forgets topics and offsets on a restart. Whatever the recreated
    partition holds, fewer records than the consumer's old position, as many, or more,
    the consumer reads every one: none is skipped for a position from before."""
    own = LocalBroker("127.0.0.1", unused_port)
    own.start()
    bus = Bus(settings_for(own.bootstrap_servers, topic_prefix, database_url))
    try:
        await bus.start()
        ticket = uuid.uuid4()  # one key, so one partition
        before = [ticket_received(f"before {i}", ticket_id=ticket) for i in range(3)]
        for event in before:
            await bus.produce(event.model_dump_json().encode(), event.key())
        # The services' session timeout: a heartbeat every two seconds, so a quick
        # restart may pass unnoticed by the group and leave the position as it was.
        await bus.run_consumer(session_timeout_ms=6000)
        await poll(lambda: _applied(bus, before), what="the records before the restart")

        own.stop()
        own.start()
        await ensure_topics(bus.settings, standard_topics(bus.settings))
        after = [ticket_received(f"after {i}", ticket_id=ticket) for i in range(published_after)]
        for event in after:
            await bus.produce(event.model_dump_json().encode(), event.key())

        await poll(lambda: _applied(bus, after), within=30, what="every record since the restart")
        assert all([await bus.effects(event.event_id) == 1 for event in before])
    finally:
        await bus.close()
        await asyncio.to_thread(own.stop)
