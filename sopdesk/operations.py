"""Operations against a running deployment: status, dead letters, replay, topics.

Each function takes settings and returns data; ``sopdesk.cli`` prints it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
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
    names.update(topics.retry(name) for name in SERVICE_NAMES)
    names.update(topics.assignments(team) for team in teams)
    # The placeholder "service" name of settings without a service.
    names.discard(topics.dlq(settings.service_name))
    names.discard(topics.retry(settings.service_name))
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
    try:
        await reader.start()
        yield reader
    finally:
        await reader.stop()  # also after a failed start, so nothing is left unclosed


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
    letters = [_letter(consumer, tp, record, done) for tp, record in records]
    return sorted(letters, key=lambda d: (d.partition, d.offset))


@dataclass
class Redrive:
    """What a redrive sent (or, on a dry run, would send) and where."""

    target: str
    letters: list[DeadLetter]
    dry_run: bool


async def redrive(
    settings: ServiceSettings,
    consumer: str,
    *,
    partition: int | None = None,
    offset: int | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Redrive:
    """Send the consumer's not-yet-redriven dead letters to its own retry topic.

    Only that consumer reads its retry topic, so no other consumer of the origin
    topic sees the event again. Progress is kept as the committed offsets of a
    redrive consumer group, so a second redrive sends nothing twice. ``partition``
    narrows to one partition; ``offset`` (with ``partition``, default 0) picks one
    letter, already redriven or not; it is remembered as redriven only when it is
    the next in line, and a repeat is dropped by the consumer's inbox anyway.
    """
    topics = Topics(settings.topic_prefix)
    topic = topics.dlq(consumer)
    target = topics.retry(consumer)
    if offset is not None and partition is None:
        partition = 0
    chosen: list[tuple[TopicPartition, Record]] = []
    producer = None if dry_run else make_producer(settings)
    if producer is not None:
        await producer.start()
    try:
        async with _reader(settings, _redrive_group(topics, consumer)) as reader:
            await reader.topics()
            parts = reader.partitions_for_topic(topic) or set()
            done = {p: (await reader.committed(TopicPartition(topic, p))) or 0 for p in parts}
            start = dict(done) if offset is None else {p: 0 for p in parts}
            for tp, record in await _read_all(reader, topic, start):
                if partition is not None and tp.partition != partition:
                    continue
                if offset is not None and record.offset != offset:
                    continue
                chosen.append((tp, record))
            for sent, (tp, record) in enumerate(chosen, 1):
                if producer is None:
                    break
                kept = [(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq.")]
                kept.append(("redriven_from", f"{topic}[{tp.partition}]@{record.offset}".encode()))
                await producer.send_and_wait(
                    target, value=record.value, key=record.key, headers=kept
                )
                if progress:
                    progress(sent)
                if record.offset == done.get(tp.partition, 0):
                    done[tp.partition] = record.offset + 1
                    await reader.commit({tp: OffsetAndMetadata(record.offset + 1, "")})
    finally:
        if producer is not None:
            await producer.stop()
    letters = [_letter(consumer, tp, record, done) for tp, record in chosen]
    return Redrive(target=target, letters=letters, dry_run=dry_run)


def _letter(consumer: str, tp: TopicPartition, record: Record, done: dict[int, int]) -> DeadLetter:
    return DeadLetter(
        consumer=consumer,
        partition=tp.partition,
        offset=record.offset,
        key=record.key.decode(errors="replace") if record.key else None,
        value=mask_contact(record.value.decode(errors="replace")),
        headers={k: mask_contact(v) for k, v in _decode_headers(record.headers).items()},
        redriven=record.offset < done.get(tp.partition, 0),
    )


# --------------------------------------------------------------------------- replay


@dataclass
class Replay:
    """Events a replay published (or, on a dry run, would publish), and what it left out."""

    sent: Counter[str] = field(default_factory=Counter)
    skipped_external: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.sent.values())


def _topic_filter(
    outbox: sa.Table, topics: Topics, only: Sequence[str], include_external: bool
) -> sa.ColumnElement[bool]:
    """Which outbox rows to send: the topics asked for, else all but external ones.

    External topics (notifications, team work orders) are read by gateways and teams,
    which act on what they get (an SMS, a work order); naming one counts as asking.
    """
    if only:
        return outbox.c.topic.in_([_full_topic(topics, name) for name in only])
    if include_external:
        return sa.true()
    return sa.and_(
        outbox.c.topic != topics.notifications,
        outbox.c.topic.not_like(topics.name("assignments.") + "%"),
    )


def _full_topic(topics: Topics, name: str) -> str:
    """``notifications`` and ``sopdesk.notifications`` both name the topic."""
    return name if name.startswith(topics.prefix + ".") else topics.name(name)


async def replay(
    service: str,
    since: datetime,
    *,
    only_topics: Sequence[str] = (),
    include_external: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 500,
) -> Replay:
    """Publish again every event the service's outbox recorded since ``since``.

    For when the broker lost data. Rows are sent in outbox order with their
    original key, headers and event id; consumers drop what they already processed.
    Topics read outside sopdesk are left out unless asked for (see ``_topic_filter``).
    """
    settings = entry(service).settings_class()
    topics = Topics(settings.topic_prefix)
    outbox = entry(service).bus.outbox
    engine = create_engine(settings.resolved_database_url)
    producer = make_producer(settings)
    chosen = _topic_filter(outbox, topics, only_topics, include_external)
    result = Replay(dry_run=dry_run)
    started = False
    try:
        async with engine.connect() as conn:
            per_topic = (
                await conn.execute(
                    sa.select(outbox.c.topic, sa.func.count())
                    .where(outbox.c.created_at >= since)
                    .group_by(outbox.c.topic)
                )
            ).all()
            for topic, count in per_topic:
                if only_topics or include_external or not topics.is_external(topic):
                    continue
                result.skipped_external[topic] = int(count)
            if dry_run:
                counts = await conn.execute(
                    sa.select(outbox.c.topic, sa.func.count())
                    .where(outbox.c.created_at >= since, chosen)
                    .group_by(outbox.c.topic)
                )
                result.sent.update({topic: int(count) for topic, count in counts})
                return result
            total = int(
                await conn.scalar(
                    sa.select(sa.func.count()).where(outbox.c.created_at >= since, chosen)
                )
                or 0
            )
            await producer.start()
            started = True
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
                        .where(outbox.c.created_at >= since, outbox.c.id > last_id, chosen)
                        .order_by(outbox.c.id)
                        .limit(batch_size)
                    )
                ).all()
                if not rows:
                    break
                await _send_with_retries(producer, rows)
                result.sent.update(row.topic for row in rows)
                last_id = rows[-1].id
                if progress:
                    progress(result.total, total)
    finally:
        if started:
            await producer.stop()
        await engine.dispose()
    return result


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
    warning = holiday_warning(text)
    if warning:
        result.problems.append(warning)
    return result


_DAYS_LEFT = re.compile(
    r'^sopdesk_holiday_schedule_days_left\{[^}]*year="(\d+)"[^}]*\}\s+(\S+)$', re.M
)
HOLIDAY_NOTICE_DAYS = 60


def holiday_warning(text: str) -> str | None:
    """Triage's /metrics says a year without China's official holiday schedule is near."""
    match = _DAYS_LEFT.search(text)
    if match is None or float(match.group(2)) > HOLIDAY_NOTICE_DAYS:
        return None
    year, days = match.group(1), int(float(match.group(2)))
    return (
        f"China's official holiday schedule for {year} is not loaded and {year} starts in "
        f"{days} days: PUT /v1/holiday-schedules/{year} on triage"
    )
