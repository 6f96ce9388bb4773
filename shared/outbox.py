"""Transactional outbox: the unit of work that writes state and events together,
and the relay that publishes what was written.

No service publishes to Kafka inside a request or a handler: events go into the
``outbox`` table in the same transaction as the state change that caused them,
and :class:`OutboxRelay` publishes them afterwards.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import Envelope, Topics, utcnow
from shared.observability import ServiceMetrics, correlation_id_var, get_logger, mask_contact
from shared.tracing import current_carrier

log = get_logger(__name__)


# Text people type (a description, a note, a reply, a comment, a reason) may hold a phone
# number or an e-mail address; events carry it masked (SPEC §2), except notifications,
# which gateways need raw. The raw text stays in the producing service's store.
FREE_TEXT_FIELDS = frozenset(
    {
        "subject",
        "description",
        "body",
        "note",
        "public_reply",
        "reply",
        "comment",
        "reason",
        "retriage_reason",
        "resolution",
    }
)


def mask_free_text(value: Any) -> None:
    """Mask contacts in the free-text fields of an event payload, in place, at any depth."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            item = getattr(value, name)
            if name in FREE_TEXT_FIELDS and isinstance(item, str):
                object.__setattr__(value, name, mask_contact(item))
            else:
                mask_free_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in FREE_TEXT_FIELDS and isinstance(item, str):
                value[key] = mask_contact(item)
            else:
                mask_free_text(item)
    elif isinstance(value, list):
        for item in value:
            mask_free_text(item)


class UnitOfWork:
    """One database transaction and the events it emits.

    ``emit`` collects events; ``commit`` writes them to the outbox and commits the
    session, so the state change and its events land together or not at all.
    ``on_commit`` runs after a commit that wrote events (it wakes the relay);
    ``after_commit`` after any commit (it wakes what reads the store on a timer).
    ``on_emit`` sees each event as emitted (masked), in the same transaction: a service
    keeps its own record of what it did (dispatch's ticket activity) with the events.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: sa.Table,
        topics: Topics,
        producer_name: str,
        on_commit: Callable[[], None] | None = None,
        after_commit: Callable[[], None] | None = None,
        on_emit: Callable[[UnitOfWork, Envelope], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._on_emit = on_emit
        self._outbox = outbox
        self._topics = topics
        self._producer_name = producer_name
        self._on_commit = on_commit
        self._after_commit = after_commit
        self._pending: list[Envelope] = []
        self.session: AsyncSession

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._pending = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Anything not committed explicitly is thrown away.
        await self.session.rollback()
        await self.session.close()

    def emit(self, event: Envelope, *, cause: Envelope | None = None) -> None:
        """Collect an event; ``cause`` is the event that led to it (its correlation id is kept)."""
        if not event.producer:
            event.producer = self._producer_name
        if event.correlation_id is None:
            event.correlation_id = (
                cause.correlation_id if cause is not None else correlation_id_var.get()
            )
        if not event.trace_carrier:
            event._trace_carrier = (
                dict(cause.trace_carrier) if cause is not None else current_carrier()
            )
        if event.stream != "notifications":
            mask_free_text(event.data)
        self._pending.append(event)
        if self._on_emit is not None:
            self._on_emit(self, event)

    @property
    def emitted(self) -> list[Envelope]:
        return list(self._pending)

    def _outbox_rows(self) -> list[dict[str, Any]]:
        now = utcnow()
        return [
            {
                "event_id": event.event_id,
                "topic": self._topics.for_event(event),
                "key": event.key(),
                "type": event.type,
                "payload": event.model_dump_json(),
                "headers": {
                    "type": event.type,
                    "producer": event.producer,
                    "correlation_id": str(event.correlation_id or ""),
                    **event.trace_carrier,
                },
                "created_at": now,
            }
            for event in self._pending
        ]

    async def commit(self) -> None:
        had_events = bool(self._pending)
        if had_events:
            await self.session.execute(sa.insert(self._outbox), self._outbox_rows())
        await self.session.commit()
        self._pending = []
        if had_events and self._on_commit is not None:
            self._on_commit()
        if self._after_commit is not None:
            self._after_commit()

    async def rollback(self) -> None:
        self._pending = []
        await self.session.rollback()

    @asynccontextmanager
    async def attempt(self) -> AsyncIterator[None]:
        """Undo only what happens inside when it raises, as ``savepoint`` does; a unit of
        work that holds nothing yet is rolled back whole instead, which saves the two
        round trips of SAVEPOINT and RELEASE on every request."""
        session = self.session
        if self._pending or session.in_transaction() or session.new or session.dirty:
            async with self.savepoint():
                yield
            return
        try:
            yield
        except BaseException:
            await self.rollback()
            raise

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Undo only what happens inside when it raises (a SAVEPOINT): rows and events
        from before stay in the unit of work, for its owner to commit or not."""
        emitted = len(self._pending)
        try:
            async with self.session.begin_nested():
                yield
        except BaseException:
            del self._pending[emitted:]
            raise


class OutboxRelay:
    """Publishes pending outbox rows in batches, then marks them sent.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
    replicas can relay side by side without publishing a row twice. A crash
    after publishing but before marking re-publishes the batch; consumers dedupe
    by event id. The relay sleeps when idle and wakes at once on ``wake()``, which
    every commit in this process that wrote outbox rows calls; the slow idle poll
    only picks up rows another process left, e.g. a replica that crashed between
    its commit and its relay round. It waits ``idle_seconds`` after a round that
    published or was woken, and twice as long after each poll that found nothing, up
    to ``max_idle_seconds``: such a row waits at most that long, and an idle service
    does not claim from its store every two seconds.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: sa.Table,
        producer: AIOKafkaProducer,
        metrics: ServiceMetrics,
        *,
        batch_size: int = 500,
        idle_seconds: float = 2.0,
        max_idle_seconds: float = 30.0,
        linger_seconds: float = 0.002,
        skip_locked: bool = True,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._producer = producer
        self._metrics = metrics
        self._batch_size = batch_size
        self._idle = idle_seconds
        self._max_idle = max(max_idle_seconds, idle_seconds)
        # How long the next idle poll waits: grows while polls find nothing.
        self.idle_wait = idle_seconds
        self._linger = linger_seconds
        self._skip_locked = skip_locked
        self._wake = asyncio.Event()
        self._stopping = False
        self.last_error: str | None = None

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.1
        while not self._stopping:
            # Cleared before reading, so a commit that lands during the read
            # wakes the next round instead of being missed.
            self._wake.clear()
            try:
                published = await self.publish_batch()
                backoff = 0.1
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = repr(exc)
                log.warning("outbox_publish_failed", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if published >= self._batch_size:
                continue
            if published:
                self.idle_wait = self._idle
            try:
                await asyncio.wait_for(self._wake.wait(), self.idle_wait)
            except TimeoutError:
                # Slow poll: rows another process sharing the store left behind; each
                # that finds none lets the next wait longer.
                self.idle_wait = min(self.idle_wait * 2, self._max_idle)
                continue
            self.idle_wait = self._idle
            # Woken by a commit: let concurrent commits land so one batch carries them.
            await asyncio.sleep(self._linger)

    async def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows were published.

        One statement claims and marks the rows (``UPDATE … WHERE id IN (SELECT … FOR
        UPDATE SKIP LOCKED) RETURNING``) instead of a SELECT and then an UPDATE: a round
        trip less in every round, and a relay round follows every consumer batch. The
        mark is only kept if the broker acknowledged every send, since the transaction
        commits after the sends; a failed send rolls the mark back, and a crash before
        the commit leaves the rows pending (re-published, consumers dedupe by event id).
        """
        table = self._outbox
        claim = (
            sa.select(table.c.id)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.id)
            .limit(self._batch_size)
        )
        if self._skip_locked:
            claim = claim.with_for_update(skip_locked=True)
        mark = (
            sa.update(table)
            .where(table.c.id.in_(claim.scalar_subquery()))
            .values(published_at=utcnow())
            .returning(table.c.id, table.c.topic, table.c.key, table.c.payload, table.c.headers)
        )
        async with self._sessions() as session, session.begin():
            # RETURNING comes in no particular order: publish in the order written.
            rows = sorted((await session.execute(mark)).all(), key=lambda row: row.id)
            if not rows:
                return 0
            sends = [
                await self._producer.send(
                    row.topic,
                    value=row.payload.encode(),
                    key=row.key.encode(),
                    headers=[(k, str(v).encode()) for k, v in (row.headers or {}).items()],
                )
                for row in rows
            ]
            await asyncio.gather(*sends)
        for topic, count in Counter(row.topic for row in rows).items():
            self._metrics.events_published.labels(self._metrics.service, topic).inc(count)
        return len(rows)

    async def pending_count(self) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                sa.select(sa.func.count()).where(self._outbox.c.published_at.is_(None))
            )
        return int(count or 0)
