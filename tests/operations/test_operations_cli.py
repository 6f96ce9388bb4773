"""The operations commands against the real broker: topics, dead letters, replay."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from operations_support import invoke, read_topic, write_triage_outbox
from testkit import outbox_row

from services.triage.models import BUS as TRIAGE_BUS
from shared.consumer import EventConsumer, each
from shared.events import Topics
from shared.kafka import make_producer
from shared.observability import ServiceMetrics
from shared.settings import ServiceSettings
from sopdesk.operations import _metric_sum, dead_letters


async def _topic_names(settings: ServiceSettings) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def test_topics_creates_every_topic(ops_env: ServiceSettings) -> None:
    output = invoke("topics")
    names = asyncio.run(_topic_names(ops_env))
    topics = Topics(ops_env.topic_prefix)
    expected = {
        topics.intake,
        topics.triage,
        topics.dispatch,
        topics.followup,
        topics.notifications,
        topics.dlq("dispatch"),
        topics.assignments("logistics"),
    }
    assert expected <= names
    assert topics.dlq("service") not in names  # no DLQ for the settings placeholder
    assert topics.assignments("logistics") in output


async def _dead_letter_one(
    settings: ServiceSettings, origin_topic: str, body: dict[str, Any]
) -> None:
    """Dead-letter a message exactly as a consumer does, through EventConsumer itself."""
    producer = make_producer(settings)
    await producer.start()
    try:
        consumer = EventConsumer(
            name="triage",
            bootstrap_servers=settings.kafka_bootstrap_servers,
            topics=Topics(settings.topic_prefix),
            handlers={"ticket.received": each(lambda e, u: asyncio.sleep(0))},
            unit_of_work=lambda: None,  # type: ignore[arg-type,return-value]
            inbox=TRIAGE_BUS.inbox,
            dlq_producer=producer,
            metrics=ServiceMetrics("triage"),
        )
        value = json.dumps(body).encode()
        record = ConsumerRecord(
            topic=origin_topic,
            partition=1,
            offset=41,
            timestamp=0,
            timestamp_type=0,
            key=b"ticket-key",
            value=value,
            checksum=None,
            serialized_key_size=10,
            serialized_value_size=len(value),
            headers=[("type", b"ticket.received"), ("correlation_id", b"c-1")],
        )
        await consumer._dead_letter(record, ValueError("cannot route 13812345678"), attempts=3)
        await consumer.close()
    finally:
        await producer.stop()


def test_dead_letters_are_listed_shown_and_redriven_once(ops_env: ServiceSettings) -> None:
    topics = Topics(ops_env.topic_prefix)
    invoke("topics")
    body = {
        "type": "ticket.received",
        "event_id": str(uuid.uuid4()),
        "data": {"phone": "13812345678"},
    }
    asyncio.run(_dead_letter_one(ops_env, topics.intake, body))

    listed = invoke("dlq", "list", "triage")
    assert "ticket.received" in listed
    assert f"{topics.intake}[1]@41" in listed
    assert "no" in listed  # not redriven yet

    (letter,) = asyncio.run(dead_letters(ops_env, "triage"))
    shown = invoke(
        "dlq", "show", "triage", str(letter.offset), "--partition", str(letter.partition)
    )
    assert "dlq.error" in shown and "cannot route" in shown
    assert "13812345678" not in shown and "138****5678" in shown  # contacts masked

    assert "1 dead letters sent back" in invoke("dlq", "redrive", "triage")
    records = asyncio.run(read_topic(ops_env, topics.retry("triage"), 1))
    assert len(records) == 1
    redriven = records[0]
    assert json.loads(redriven.value) == body
    assert redriven.key == b"ticket-key"
    headers = dict(redriven.headers)
    assert headers["correlation_id"] == b"c-1"
    assert not any(k.startswith("dlq.") for k in headers)
    assert asyncio.run(read_topic(ops_env, topics.intake, 0)) == []  # not back to every consumer

    assert "0 dead letters sent back" in invoke("dlq", "redrive", "triage")
    assert "yes" in invoke("dlq", "list", "triage")


def test_replay_publishes_outbox_rows_since_a_time(
    ops_env: ServiceSettings, triage_url: str
) -> None:
    url = triage_url
    topics = Topics(ops_env.topic_prefix)
    now = datetime.now(UTC)

    rows = [
        outbox_row(
            topics.triage,
            created,
            created,
            type="ticket.triaged",
            key=f"ticket-{i}",
            headers={"type": "ticket.triaged"},
        )
        for i, created in enumerate([now - timedelta(days=2), now - timedelta(minutes=5), now])
    ]
    asyncio.run(write_triage_outbox(url, rows))
    ids = [row["event_id"] for row in rows]
    since = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert "2 events of triage published again" in invoke("replay", "triage", "--since", since)
    records = asyncio.run(read_topic(ops_env, topics.triage, 2))
    replayed = sorted(json.loads(r.value)["event_id"] for r in records)
    assert replayed == sorted(str(i) for i in ids[1:])


def test_metric_sums_read_prometheus_text() -> None:
    text = "\n".join(
        [
            "# HELP sopdesk_consumer_lag x",
            'sopdesk_consumer_lag{partition="0",service="a",topic="t"} 3.0',
            'sopdesk_consumer_lag{partition="1",service="a",topic="t"} 4.0',
            'sopdesk_events_consumed_total{outcome="dead_lettered",service="a",type="x"} 2.0',
            'sopdesk_events_consumed_total{outcome="processed",service="a",type="x"} 9.0',
        ]
    )
    assert _metric_sum(text, "sopdesk_consumer_lag") == 7
    assert _metric_sum(text, "sopdesk_events_consumed_total", 'outcome="dead_lettered"') == 2
    assert _metric_sum(text, "sopdesk_outbox_pending") is None


async def test_status_of_a_service_that_is_not_running_says_so() -> None:
    from testkit import free_port

    from sopdesk.operations import status

    url = f"http://127.0.0.1:{free_port()}"
    (result,) = await status({"intake": url})
    assert (result.live, result.ready) == ("down", "down")
    assert result.problems == [f"nothing answers at {url}: is it running?"]
