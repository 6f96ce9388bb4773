"""Operations against a running deployment: status, dead letters, replay, topics.

Each function takes settings and returns data; ``sopdesk.cli`` prints it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

from shared.database import create_engine
from shared.events import Topics
from shared.kafka import ensure_topics, make_producer, standard_topics
from shared.observability import mask_contact
from shared.settings import ServiceSettings
from sopdesk.catalogue import SERVICE_NAMES, entry

# --------------------------------------------------------------------------- topics


def all_topics(settings: ServiceSettings, teams: Iterable[str]) -> list[str]:
    """Every topic sopdesk uses: lifecycle, notifications, one DLQ per consumer, work orders."""
    topics = Topics(settings.topic_prefix)
    names = set(standard_topics(settings))
    names.update(topics.dlq(name) for name in SERVICE_NAMES)
    names.update(topics.assignments(team) for team in teams)
    names.discard(topics.dlq(settings.service_name))  # the placeholder "service" name
    return sorted(names)


async def create_topics(settings: ServiceSettings, teams: Iterable[str]) -> list[str]:
    names = all_topics(settings, teams)
    await ensure_topics(settings, names)
    return names


# --------------------------------------------------------------------------- dead letters


@dataclass
class DeadLetter:
    consumer: str
    partition: int
    offset: int
    key: str | None
    value: str
    headers: dict[str, str]
    redriven: bool = False

    @property
    def origin(self) -> str:
        topic = self.headers.get("dlq.origin_topic", "?")
        partition = self.headers.get("dlq.origin_partition", "?")
        return f"{topic}[{partition}]@{self.headers.get('dlq.origin_offset', '?')}"

    @property
    def error(self) -> str:
        return self.headers.get("dlq.error", "")

    @property
    def event_type(self) -> str:
        match = re.search(r'"type"\s*:\s*"([^"]+)"', self.value)
        return match.group(1) if match else self.headers.get("type", "?")


def _redrive_group(topics: Topics, consumer: str) -> str:
    return f"{topics.prefix}.dlq-redrive.{consumer}"


@contextlib.asynccontextmanager
async def _reader(
    settings: ServiceSettings, group: str | None = None
) -> AsyncIterator[AIOKafkaConsumer]:
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
    )
    await reader.start()
    try:
        yield reader
    finally:
        await reader.stop()


Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


async def _read_all(
    reader: AIOKafkaConsumer, topic: str, start: dict[int, int] | None = None
) -> list[tuple[TopicPartition, Record]]:
    """Every record of ``topic`` from ``start`` (per partition; default: the beginning).

    Reads until the topic stays quiet for a moment: the local broker's end offsets
    cannot be trusted to say where the log ends.
    """
    await reader.topics()
    tps = [TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or ())]
    if not tps:
        return []
    reader.assign(tps)
    for tp in tps:
        reader.seek(tp, (start or {}).get(tp.partition, 0))
    records: list[tuple[TopicPartition, Record]] = []
    quiet = 0
    while quiet < 3:
        batch = await reader.getmany(timeout_ms=200)
        quiet = 0 if batch else quiet + 1
        for tp, items in batch.items():
            records.extend((tp, item) for item in items)
    return records


def _decode_headers(raw: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in (raw or ())}


async def dead_letters(settings: ServiceSettings, consumer: str) -> list[DeadLetter]:
    """The dead letters of one consumer, marked redriven when a redrive already took them."""
    topics = Topics(settings.topic_prefix)
    topic = topics.dlq(consumer)
    async with _reader(settings, _redrive_group(topics, consumer)) as group_reader:
        await group_reader.topics()
        parts = group_reader.partitions_for_topic(topic) or set()
        done = {}
        for p in parts:
            committed = await group_reader.committed(TopicPartition(topic, p))
            done[p] = committed or 0
    async with _reader(settings) as reader:
        records = await _read_all(reader, topic)
    letters = []
    for tp, record in records:
        letters.append(
            DeadLetter(
                consumer=consumer,
                partition=tp.partition,
                offset=record.offset,
                key=record.key.decode(errors="replace") if record.key else None,
                value=mask_contact(record.value.decode(errors="replace")),
                headers={k: mask_contact(v) for k, v in _decode_headers(record.headers).items()},
                redriven=record.offset < done.get(tp.partition, 0),
            )
        )
    return sorted(letters, key=lambda d: (d.partition, d.offset))


async def redrive(
    settings: ServiceSettings, consumer: str, progress: Callable[[int], None] | None = None
) -> int:
    """Publish the consumer's not-yet-redriven dead letters back to their origin topics.

    Progress is kept as the committed offsets of a redrive consumer group, so a
    second redrive sends nothing twice. The consumer's inbox makes a redelivery of
    an event that did get processed harmless.
    """
    topics = Topics(settings.topic_prefix)
    topic = topics.dlq(consumer)
    producer = make_producer(settings)
    await producer.start()
    sent = 0
    try:
        async with _reader(settings, _redrive_group(topics, consumer)) as reader:
            await reader.topics()
            parts = reader.partitions_for_topic(topic) or set()
            start = {}
            for p in parts:
                start[p] = (await reader.committed(TopicPartition(topic, p))) or 0
            records = await _read_all(reader, topic, start)
            for tp, record in records:
                headers = _decode_headers(record.headers)
                origin = headers.get("dlq.origin_topic")
                if origin:
                    kept = [(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq.")]
                    await producer.send_and_wait(
                        origin, value=record.value, key=record.key, headers=kept
                    )
                    sent += 1
                    if progress:
                        progress(sent)
                await reader.commit({tp: OffsetAndMetadata(record.offset + 1, "")})
    finally:
        await producer.stop()
    return sent


# --------------------------------------------------------------------------- replay


async def replay(
    service: str,
    since: datetime,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 500,
) -> int:
    """Publish again every event the service's outbox recorded since ``since``.

    For when the broker lost data. Rows are sent in outbox order with their
    original key and headers; consumers drop what they already processed.
    """
    settings = entry(service).settings_class()
    bus = entry(service).bus
    engine = create_engine(settings.resolved_database_url)
    producer = make_producer(settings)
    await producer.start()
    sent = 0
    try:
        outbox = bus.outbox
        async with engine.connect() as conn:
            total = int(
                await conn.scalar(sa.select(sa.func.count()).where(outbox.c.created_at >= since))
                or 0
            )
            last_id = 0
            while True:
                rows = (
                    await conn.execute(
                        sa.select(
                            outbox.c.id,
                            outbox.c.topic,
                            outbox.c.key,
                            outbox.c.payload,
                            outbox.c.headers,
                        )
                        .where(outbox.c.created_at >= since, outbox.c.id > last_id)
                        .order_by(outbox.c.id)
                        .limit(batch_size)
                    )
                ).all()
                if not rows:
                    break
                await _send_with_retries(producer, rows)
                sent += len(rows)
                last_id = rows[-1].id
                if progress:
                    progress(sent, total)
    finally:
        await producer.stop()
        await engine.dispose()
    return sent


async def _send_with_retries(
    producer: AIOKafkaProducer, rows: Sequence[Any], attempts: int = 5
) -> None:
    """Send a batch, again on failure: a broker that just restarted may refuse a while,
    and sending twice is harmless (consumers drop events they already processed)."""
    for attempt in range(1, attempts + 1):
        try:
            sends = [
                await producer.send(
                    row.topic,
                    value=row.payload.encode(),
                    key=row.key.encode(),
                    headers=[(k, str(v).encode()) for k, v in (row.headers or {}).items()],
                )
                for row in rows
            ]
            await asyncio.gather(*sends)
            return
        except KafkaError:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.5 * attempt)


# --------------------------------------------------------------------------- status


@dataclass
class ServiceStatus:
    name: str
    url: str
    live: str = "down"
    ready: str = "down"
    lag: float | None = None
    outbox_pending: float | None = None
    dead_lettered: float | None = None
    seconds_since_progress: float | None = None
    problems: list[str] = field(default_factory=list)


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+|NaN)$")


def _metric_sum(text: str, name: str, label_filter: str = "") -> float | None:
    total, found = 0.0, False
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match and match.group(1) == name and label_filter in (match.group(2) or ""):
            total += float(match.group(3))
            found = True
    return total if found else None


async def status(urls: dict[str, str]) -> list[ServiceStatus]:
    async with httpx.AsyncClient(timeout=3) as client:
        return list(await asyncio.gather(*(_status_of(client, n, u) for n, u in urls.items())))


async def _status_of(client: httpx.AsyncClient, name: str, url: str) -> ServiceStatus:
    result = ServiceStatus(name, url)
    try:
        live = await client.get(f"{url}/healthz")
        result.live = (
            "ok" if live.status_code == 200 else live.json().get("status", str(live.status_code))
        )
        ready = await client.get(f"{url}/readyz")
        checks = ready.json().get("checks", {})
        result.ready = "ok" if ready.status_code == 200 else "not ready"
        result.problems += [f"{k}: {v}" for k, v in checks.items() if v != "ok"]
        text = (await client.get(f"{url}/metrics")).text
    except httpx.ConnectError:
        result.problems.append(f"nothing answers at {url}: is it running?")
        return result
    except httpx.TimeoutException:
        result.problems.append(f"{url} did not answer within 3 s")
        return result
    except (httpx.HTTPError, ValueError) as exc:
        result.problems.append(f"{type(exc).__name__}: {exc}")
        return result
    result.lag = _metric_sum(text, "sopdesk_consumer_lag")
    result.outbox_pending = _metric_sum(text, "sopdesk_outbox_pending")
    result.dead_lettered = (
        _metric_sum(text, "sopdesk_events_consumed_total", 'outcome="dead_lettered"') or 0.0
    )
    result.seconds_since_progress = _metric_sum(text, "sopdesk_consumer_seconds_since_progress")
    return result
