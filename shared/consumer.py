"""The consumer runner: batches in one transaction, inbox dedup, commit after the database.

For each batch fetched from Kafka:

1. values are decoded and validated against the event contracts; a message that
   cannot be decoded is poison and goes straight to the dead-letter topic;
2. events already in the inbox (redeliveries) are skipped;
3. the handlers run inside one unit of work (each gets every consecutive run of
   its event type as one list, so it can work set-based), the inbox rows are
   added, and the transaction commits with any events the handlers emitted;
4. only then are the offsets committed (auto-commit is off), not after every batch
   but at most ``commit_interval_ms`` later: the offsets of the batches applied
   meanwhile go to the broker in one commit, when the interval has passed, when no
   record is waiting, before partitions are given up in a rebalance and when the
   consumer stops. A crash in between re-reads those batches, and the inbox turns
   them into no-ops, as for a crash between the database commit and the offset commit.

If the batch fails, it is replayed one event at a time, each with a few
attempts; an event that keeps failing goes to ``<prefix>.dlq.<consumer>`` with
the error and its origin in headers, and the partition moves on. A failure of
the database or the network is not the event's fault: nothing is dead-lettered,
the consumer seeks back and retries with back-off.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import CommitFailedError, KafkaError
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from shared.events import EVENT_ADAPTER, EVENT_TYPES, Envelope, Topics, utcnow
from shared.observability import ServiceMetrics, correlation_id_var, get_logger
from shared.outbox import UnitOfWork
from shared.tracing import carrier_from_headers, consuming, spans_recorded

log = get_logger(__name__)

# A handler receives a run of consecutive events of one type, in order, so it can
# work set-based (one query for the run, not one per event). Events it emits name
# their cause (``uow.emit(event, cause=...)``) to carry the correlation id.
Handler = Callable[[Sequence[Any], UnitOfWork], Awaitable[None]]
UnitOfWorkFactory = Callable[[], UnitOfWork]
# After this long without a message a consumer fetches with its idle wait.
QUIET_SECONDS = 5.0
# How often a consumer looks whether its retry topic holds records to read.
RETRY_CHECK_SECONDS = 5.0


def each(handle_one: Callable[[Any, UnitOfWork], Awaitable[None]]) -> Handler:
    """A handler from a function of one event, for reactions with no set-based form."""

    async def handle(events: Sequence[Any], uow: UnitOfWork) -> None:
        for event in events:
            token = correlation_id_var.set(event.correlation_id)
            try:
                await handle_one(event, uow)
            finally:
                correlation_id_var.reset(token)

    handle.__name__ = getattr(handle_one, "__name__", "handle")
    return handle


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
    KafkaError,  # only the dead-letter producer talks to Kafka here: the broker is away
)


class PoisonMessage(Exception):
    """The message can never be processed as it is (not JSON, not a valid event)."""

    def __init__(self, message: str, event_type: str | None = None) -> None:
        super().__init__(message)
        self.event_type = event_type


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT_ERRORS)


def topics_for(handlers: Mapping[str, Handler], topics: Topics, consumer: str) -> list[str]:
    """The topics to subscribe to: those carrying the handled event types, and the
    consumer's own retry topic (where ``sopdesk dlq redrive`` sends its dead letters)."""
    lifecycle = {topics.name(EVENT_TYPES[t].stream) for t in handlers}
    return sorted({*lifecycle, topics.retry(consumer)})


def set_fetch_wait(consumer: AIOKafkaConsumer, wait_ms: int) -> None:
    """Change how long each fetch may be held by the broker (quiet or busy).

    aiokafka reads the wait from its fetcher for every request and has no
    public setter; without the attribute (another aiokafka) the wait stays.
    """
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is not None and hasattr(fetcher, "_fetch_max_wait_ms"):
        fetcher._fetch_max_wait_ms = wait_ms


class _JoinListener(ConsumerRebalanceListener):
    """Marks the consumer joined once the group gave it its (possibly empty) share, and
    has it note the committed offsets it starts from."""

    def __init__(
        self,
        joined: asyncio.Event,
        on_assigned: Callable[[Any], Awaitable[None]],
        on_revoked: Callable[[], Awaitable[None]],
    ) -> None:
        self._joined = joined
        self._on_assigned = on_assigned
        self._on_revoked = on_revoked

    async def on_partitions_revoked(self, revoked: Any) -> None:
        # The offsets of applied batches still waiting for their commit: the partitions'
        # next owner starts after them instead of re-reading them.
        await self._on_revoked()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._on_assigned(assigned)
        self._joined.set()


class EventConsumer:
    def __init__(
        self,
        *,
        name: str,
        bootstrap_servers: str,
        topics: Topics,
        handlers: Mapping[str, Handler],
        unit_of_work: UnitOfWorkFactory,
        inbox: sa.Table,
        dlq_producer: AIOKafkaProducer,
        metrics: ServiceMetrics,
        batch_size: int = 500,
        max_attempts: int = 3,
        session_timeout_ms: int = 10_000,
        fetch_max_wait_ms: int = 500,
        idle_fetch_max_wait_ms: int | None = None,
        commit_interval_ms: int = 0,
    ) -> None:
        unknown = sorted(set(handlers) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(f"handlers for unknown event types: {unknown}")
        self.name = name
        self._topics = topics
        self._handlers = dict(handlers)
        self._uow = unit_of_work
        self._inbox = inbox
        self._dlq = dlq_producer
        self._metrics = metrics
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._stopping = False
        self._fetch_wait_ms = fetch_max_wait_ms
        self._idle_fetch_wait_ms = max(idle_fetch_max_wait_ms or 0, fetch_max_wait_ms)
        self._last_record_at = time.monotonic()
        self._commit_interval = commit_interval_ms / 1000
        # Offsets of batches applied and committed to the database, not yet to Kafka,
        # and when the oldest of them was applied.
        self._uncommitted: dict[TopicPartition, int] = {}
        self._uncommitted_since: float | None = None
        self.subscriptions = topics_for(handlers, topics, name)
        self._retry_topic = topics.retry(name)
        self._retry_checked_at = 0.0
        self.joined = asyncio.Event()
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=f"{topics.prefix}.{name}",
            client_id=f"sopdesk-{name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=batch_size,
            # Notice new partitions and topics within seconds, not the default five minutes.
            metadata_max_age_ms=10_000,
            fetch_max_wait_ms=fetch_max_wait_ms,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=max(session_timeout_ms // 3, 100),
            rebalance_timeout_ms=session_timeout_ms,
        )
        self.consumer.subscribe(
            self.subscriptions,
            listener=_JoinListener(self.joined, self._note_committed, self.commit_offsets),
        )
        self.last_progress_at = time.monotonic()
        self.busy_since: float | None = None
        # What this consumer last committed per partition, to notice a broker that lost
        # its offsets (see ``_broker_lost_offsets``).
        self._committed: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        await self.consumer.start()

    async def lag(self) -> dict[TopicPartition, int]:
        """Messages behind the partition end, per assigned partition with a known end."""
        lags: dict[TopicPartition, int] = {}
        for tp in self.consumer.assignment():
            end = self.consumer.highwater(tp)
            if end is None:
                continue  # not fetched yet
            try:
                position = await self.consumer.position(tp)
            except KafkaError:
                continue
            lags[tp] = max(end - position, 0)
        return lags

    def seconds_since_progress(self) -> float:
        return time.monotonic() - self.last_progress_at

    def stop(self) -> None:
        self._stopping = True

    async def close(self) -> None:
        await self.commit_offsets()
        await self.consumer.stop()

    def _fetch_wait(self, wait_ms: int) -> None:
        set_fetch_wait(self.consumer, wait_ms)

    async def run(self) -> None:
        backoff = 0.1
        while not self._stopping:
            # getmany returns as soon as records arrive; the timeout only says
            # when a quiet second has passed (and bounds how long stop() waits).
            batch = await self.consumer.getmany(
                timeout_ms=self._fetch_timeout_ms(), max_records=self._batch_size
            )
            await self._watch_retry_topic()
            if not batch:
                # Nothing waiting (or the commit interval is up): commit what was applied.
                await self.commit_offsets()
                if time.monotonic() - self._last_record_at >= QUIET_SECONDS:
                    self._fetch_wait(self._idle_fetch_wait_ms)
                continue
            self._last_record_at = time.monotonic()
            self._fetch_wait(self._fetch_wait_ms)
            try:
                await self.process(batch)
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Nothing of this batch was committed: read it again, whatever failed.
                self._rewind(batch)
                if not is_transient(exc):
                    raise
                log.warning("consumer_transient_failure", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    def _rewind(self, batch: Mapping[TopicPartition, Sequence[ConsumerRecord[Any, Any]]]) -> None:
        assigned = self.consumer.assignment()
        for tp, records in batch.items():
            if tp in assigned:  # a partition lost in a rebalance is re-read by its new owner
                self.consumer.seek(tp, records[0].offset)

    async def process(
        self, batch: Mapping[TopicPartition, Sequence[ConsumerRecord[Any, Any]]]
    ) -> None:
        """Apply one fetched batch and commit its offsets; raises only transient errors."""
        self.busy_since = time.monotonic()
        try:
            await self._process(batch)
        finally:
            self.busy_since = None

    async def _process(
        self, batch: Mapping[TopicPartition, Sequence[ConsumerRecord[Any, Any]]]
    ) -> None:
        started = time.perf_counter()
        records = [record for part in batch.values() for record in part]
        decoded: list[tuple[ConsumerRecord[Any, Any], Envelope]] = []
        for record in records:
            try:
                event = self._decode(record)
            except PoisonMessage as exc:
                await self._dead_letter(record, exc, attempts=1, event_type=exc.event_type)
                continue
            if event is None:
                continue
            decoded.append((record, event))
        if decoded:
            try:
                await self._apply([event for _, event in decoded])
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.warning("batch_failed_replaying_one_by_one", error=repr(exc), size=len(decoded))
                for record, event in decoded:
                    await self._apply_with_retries(record, event)
        self._note_applied(batch)
        if self._commit_due():
            await self.commit_offsets()
        self.last_progress_at = time.monotonic()
        self._metrics.consumer_batch_seconds.labels(self._metrics.service).observe(
            time.perf_counter() - started
        )

    def _decode(self, record: ConsumerRecord[Any, Any]) -> Envelope | None:
        try:
            # One pass of pydantic's JSON parser over the bytes (json.loads and then
            # validating the dicts cost twice as much); whatever it refuses is told apart
            # (not JSON, no type, a type not handled, invalid) the long way below.
            event = EVENT_ADAPTER.validate_json(record.value)
        except (ValidationError, TypeError, ValueError):
            return self._decode_refused(record)
        if event.type not in self._handlers:
            self._metrics.events_consumed.labels(self.name, event.type, "ignored").inc()
            return None
        event._trace_carrier = carrier_from_headers(record.headers)
        return event

    def _decode_refused(self, record: ConsumerRecord[Any, Any]) -> Envelope | None:
        try:
            raw = json.loads(record.value)
        except (TypeError, ValueError) as exc:
            raise PoisonMessage(f"value is not JSON: {exc}") from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise PoisonMessage("value is not an event envelope (no 'type')")
        event_type = raw["type"]
        if event_type not in self._handlers:
            self._metrics.events_consumed.labels(self.name, event_type, "ignored").inc()
            return None
        try:
            event = EVENT_TYPES[event_type].model_validate(raw)
        except ValidationError as exc:
            raise PoisonMessage(f"invalid {event_type}: {exc}", event_type) from exc
        event._trace_carrier = carrier_from_headers(record.headers)
        return event

    async def _apply(self, events: Sequence[Envelope]) -> None:
        async with self._uow() as uow:
            claimed = await self._claim(uow, events)
            fresh: list[Envelope] = []
            for event in events:
                if event.event_id not in claimed:
                    self._metrics.events_consumed.labels(self.name, event.type, "duplicate").inc()
                    continue
                claimed.discard(event.event_id)  # a second copy in the batch is a duplicate
                fresh.append(event)
            if not fresh:
                return
            # A span per event, child of the emitter's: what it emits continues the trace.
            # An event with no trace context in a process recording no spans would get a
            # no-op span and an empty carrier again: skipped (3 % of analytics' CPU).
            recorded = spans_recorded()
            for event in fresh:
                if not recorded and not event.trace_carrier:
                    continue
                with consuming(event.type, self.name, event.trace_carrier) as carrier:
                    event._trace_carrier = carrier
            for event_type, run in itertools.groupby(fresh, key=lambda e: e.type):
                await self._handlers[event_type](list(run), uow)
            await uow.commit()
        for event in fresh:
            self._metrics.events_consumed.labels(self.name, event.type, "processed").inc()

    async def _claim(self, uow: UnitOfWork, events: Sequence[Envelope]) -> set[Any]:
        """Insert the batch's inbox rows first, skipping those already there, and return
        the event ids inserted: the events to apply. One statement where a SELECT of the
        seen ids and an INSERT after the handlers took two round trips per batch. The rows
        belong to the batch's transaction (a failed batch takes them back), and a replica
        applying the same event at the same time waits on the row until this one commits,
        then skips it."""
        inbox = self._inbox
        now = utcnow()
        unique: dict[Any, str] = {}
        for event in events:
            unique.setdefault(event.event_id, event.type)
        if uow.session.get_bind().dialect.name == "postgresql":
            parameters = {
                "consumer": self.name,
                "event_ids": list(unique),
                "types": list(unique.values()),
                "processed_at": now,
            }
            return set((await uow.session.scalars(self._postgres_claim, parameters)).all())
        claim: Any = sqlite.insert(inbox).values(
            [
                {"consumer": self.name, "event_id": i, "type": t, "processed_at": now}
                for i, t in unique.items()
            ]
        )
        claim = claim.on_conflict_do_nothing().returning(inbox.c.event_id)
        return set((await uow.session.scalars(claim)).all())

    @functools.cached_property
    def _postgres_claim(self) -> Any:
        """The claim on PostgreSQL, built once (building it was 2 % of analytics' CPU,
        py-spy 2026-12-08): arrays, so the statement is the same whatever the batch's
        size (prepared once)."""
        inbox = self._inbox
        rows = sa.select(
            sa.bindparam("consumer", type_=inbox.c.consumer.type),
            sa.func.unnest(sa.bindparam("event_ids", type_=postgresql.ARRAY(sa.Uuid()))),
            sa.func.unnest(sa.bindparam("types", type_=postgresql.ARRAY(sa.String()))),
            sa.bindparam("processed_at", type_=inbox.c.processed_at.type),
        )
        claim = postgresql.insert(inbox).from_select(
            ["consumer", "event_id", "type", "processed_at"], rows
        )
        return claim.on_conflict_do_nothing().returning(inbox.c.event_id)

    async def _apply_with_retries(self, record: ConsumerRecord[Any, Any], event: Envelope) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                await self._apply([event])
                return
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.warning(
                    "event_failed",
                    type=event.type,
                    event_id=str(event.event_id),
                    attempt=attempt,
                    error=repr(exc),
                )
                if attempt == self._max_attempts:
                    await self._dead_letter(record, exc, attempts=attempt, event_type=event.type)
                    return
                await asyncio.sleep(0.05 * attempt)

    async def _dead_letter(
        self,
        record: ConsumerRecord[Any, Any],
        exc: BaseException,
        *,
        attempts: int,
        event_type: str | None = None,
    ) -> None:
        error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
        headers = [
            *(record.headers or ()),
            ("dlq.error", error.encode()),
            ("dlq.error_type", type(exc).__name__.encode()),
            ("dlq.origin_topic", record.topic.encode()),
            ("dlq.origin_partition", str(record.partition).encode()),
            ("dlq.origin_offset", str(record.offset).encode()),
            ("dlq.consumer", self.name.encode()),
            ("dlq.attempts", str(attempts).encode()),
            ("dlq.failed_at", utcnow().isoformat().encode()),
        ]
        await self._dlq.send_and_wait(
            self._topics.dlq(self.name), value=record.value, key=record.key, headers=headers
        )
        self._metrics.events_consumed.labels(
            self.name, event_type or "undecodable", "dead_lettered"
        ).inc()
        log.error(
            "event_dead_lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=error[:300],
        )

    def _fetch_timeout_ms(self) -> int:
        """How long the next ``getmany`` may wait: a quiet second, or what is left of the
        commit interval while applied offsets wait."""
        if self._uncommitted_since is None:
            return 1000
        left = self._uncommitted_since + self._commit_interval - time.monotonic()
        return max(0, min(1000, int(left * 1000)))

    def _note_applied(
        self, batch: Mapping[TopicPartition, Sequence[ConsumerRecord[Any, Any]]]
    ) -> None:
        for tp, records in batch.items():
            if records:
                self._uncommitted[tp] = records[-1].offset + 1
        if self._uncommitted and self._uncommitted_since is None:
            self._uncommitted_since = time.monotonic()

    def _commit_due(self) -> bool:
        since = self._uncommitted_since
        return since is not None and time.monotonic() - since >= self._commit_interval

    async def commit_offsets(self) -> None:
        """Commit the offsets of every batch applied since the last commit."""
        if not self._uncommitted:
            return
        offsets, self._uncommitted = self._uncommitted, {}
        self._uncommitted_since = None
        # A partition lost in a rebalance is not ours to commit: its new owner re-reads.
        assigned = self.consumer.assignment()
        await self._commit_offsets({tp: n for tp, n in offsets.items() if tp in assigned})

    async def _commit_offsets(self, offsets: Mapping[TopicPartition, int]) -> None:
        if not offsets:
            return
        try:
            if await self._broker_lost_offsets(offsets):
                return
            await self.consumer.commit(offsets)
            self._committed.update(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # A rebalance took the partitions: the new owner re-reads the batch
            # and the inbox turns it into no-ops.
            log.warning("offset_commit_failed", error=repr(exc))

    async def _watch_retry_topic(self) -> None:
        """Fetch the retry topic only while it holds records not read yet.

        Only ``sopdesk dlq redrive`` writes there, yet every fetch naming its partitions
        costs the local broker a read of each, several times while the fetch is held: a
        quarter of the partitions the five consumers fetched. So they stay paused, and
        every ``RETRY_CHECK_SECONDS`` one ListOffsets request says whether any has an end
        other than the consumer's position; those are fetched until read."""
        now = time.monotonic()
        if now - self._retry_checked_at < RETRY_CHECK_SECONDS:
            return
        self._retry_checked_at = now
        retry = [tp for tp in self.consumer.assignment() if tp.topic == self._retry_topic]
        if not retry:
            return
        try:
            ends = await self.consumer.end_offsets(retry)
            positions = {tp: await self.consumer.position(tp) for tp in retry}
        except KafkaError as exc:  # looked at again at the next check
            log.warning("retry_topic_check_failed", error=repr(exc))
            return
        # An end below the position is a topic the local broker recreated after a
        # restart: fetching it runs out of range and starts again from its beginning.
        waiting = [tp for tp in retry if ends.get(tp, 0) != positions[tp]]
        self.consumer.resume(*waiting)
        self.consumer.pause(*(tp for tp in retry if tp not in waiting))

    async def _note_committed(self, assigned: Any) -> None:
        """The offsets a new share of partitions starts from are commits the broker must
        keep too: a position taken from them is as stale as one of ours after a loss. The
        retry topic's partitions start paused, and are looked at in the next round."""
        self.consumer.pause(*(tp for tp in assigned if tp.topic == self._retry_topic))
        self._retry_checked_at = 0.0
        self._committed = {tp: n for tp, n in self._committed.items() if tp in assigned}
        for tp in assigned:
            try:
                committed = await self.consumer.committed(tp)
            except KafkaError:
                continue
            if committed is not None:
                self._committed[tp] = max(committed, self._committed.get(tp, 0))

    async def _broker_lost_offsets(self, offsets: Mapping[TopicPartition, int]) -> bool:
        """A broker that lost its data (the local one keeps nothing across a restart)
        forgets the committed offsets, and its recreated topics start again at 0: a
        position kept from before would skip what was published since. When an offset
        this consumer committed is gone, read every assigned partition from the start
        (the inbox drops what was already applied) instead of committing."""
        known = [tp for tp in offsets if tp in self._committed]
        if not known:
            return False
        current = await self._committed_now(known)
        lost = [tp for tp in known if (now := current.get(tp)) is None or now < self._committed[tp]]
        if not lost:
            return False
        log.warning("broker_lost_offsets_reading_again", partitions=len(lost))
        self._committed.clear()
        assigned = list(self.consumer.assignment())
        if assigned:
            await self.consumer.seek_to_beginning(*assigned)
        return True

    async def _committed_now(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """The broker's committed offsets of ``partitions`` (a partition with none is left
        out), in one OffsetFetch: ``AIOKafkaConsumer.committed`` asks once per partition,
        and a batch spans several (a round trip and a broker request each)."""
        coordinator = getattr(self.consumer, "_coordinator", None)
        fetch = getattr(coordinator, "fetch_committed_offsets", None)
        if fetch is None:  # another aiokafka: the public call, once per partition
            answers = await asyncio.gather(*(self.consumer.committed(tp) for tp in partitions))
            found = zip(partitions, answers, strict=True)
            return {tp: n for tp, n in found if n is not None}
        offsets = await fetch(list(partitions))
        return {
            tp: meta.offset
            for tp, meta in offsets.items()
            if tp in partitions and meta.offset is not None and meta.offset >= 0
        }
