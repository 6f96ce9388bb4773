"""What every service runs beside its HTTP routes: database, producer, relay, consumer.

A service's lifespan opens a :class:`ServiceRuntime`; the routes reach it through
``request.app.state.runtime`` (see :mod:`shared.http`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

import sqlalchemy as sa

from shared.consumer import EventConsumer, Handler
from shared.database import (
    BusTables,
    create_engine,
    prune_bus_tables,
    session_factory,
    supports_skip_locked,
)
from shared.events import Envelope, Topics, utcnow
from shared.kafka import ensure_topics, make_producer, standard_topics
from shared.migrations import current_revisions, head_revisions
from shared.observability import ServiceMetrics, get_logger
from shared.outbox import OutboxRelay, UnitOfWork
from shared.settings import ServiceSettings

log = get_logger(__name__)


# How long a scrape waits for the store or the broker before marking a gauge stale.
GAUGE_REFRESH_SECONDS = 2.0


class SchemaNotAtHead(RuntimeError):
    """The store is not at the revision the code expects (not migrated yet, or newer)."""


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        bus: BusTables,
        handlers: Mapping[str, Handler],
        metrics: ServiceMetrics,
        *,
        extra_topics: Iterable[str] = (),
        migrations: Path | None = None,
        on_emit: Callable[[UnitOfWork, Envelope], None] | None = None,
    ) -> None:
        self.settings = settings
        self._on_emit = on_emit
        # What the code expects of the store; None: no history to compare with.
        self.schema_heads = head_revisions(migrations) if migrations is not None else None
        self.bus = bus
        self.metrics = metrics
        self.topics = Topics(settings.topic_prefix)
        self.engine = create_engine(settings.resolved_database_url, settings.database_pool_size)
        self.sessions = session_factory(self.engine)
        self.producer = make_producer(settings)
        self.relay = OutboxRelay(
            self.sessions,
            bus.outbox,
            self.producer,
            metrics,
            batch_size=settings.relay_batch_size,
            idle_seconds=settings.relay_idle_seconds,
            max_idle_seconds=settings.relay_max_idle_seconds,
            linger_seconds=settings.relay_linger_seconds,
            skip_locked=supports_skip_locked(self.engine),
        )
        self.consumer: EventConsumer | None = None
        if handlers:
            self.consumer = EventConsumer(
                name=settings.service_name,
                bootstrap_servers=settings.kafka_bootstrap_servers,
                topics=self.topics,
                handlers=handlers,
                unit_of_work=self.unit_of_work,
                inbox=bus.inbox,
                dlq_producer=self.producer,
                metrics=metrics,
                batch_size=settings.consumer_batch_size,
                max_attempts=settings.consumer_max_attempts,
                session_timeout_ms=settings.consumer_session_timeout_ms,
                fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
                idle_fetch_max_wait_ms=settings.consumer_idle_fetch_max_wait_ms,
                commit_interval_ms=settings.consumer_commit_interval_ms,
            )
            metrics.expect_handled_types(handlers)
        self._consumer_started = False
        self._commit_listeners: list[Callable[[], None]] = []
        self._extra_topics = list(extra_topics)
        self._tasks: list[asyncio.Task[None]] = []
        self._pruning: asyncio.Task[None] | None = None

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(
            self.sessions,
            self.bus.outbox,
            self.topics,
            self.settings.service_name,
            on_commit=self.relay.wake,
            after_commit=self._committed,
            on_emit=self._on_emit,
        )

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every commit of this process's units of work.

        Background loops that read the store (webhook deliveries, dashboard
        figures) wait on it instead of polling often: an idle service sleeps.
        """
        self._commit_listeners.append(listener)

    def _committed(self) -> None:
        for listener in self._commit_listeners:
            listener()

    async def __aenter__(self) -> Self:
        await ensure_topics(self.settings, [*standard_topics(self.settings), *self._extra_topics])
        await self.producer.start()
        self._tasks.append(self._supervise("outbox_relay", self.relay.run))
        if self.consumer is not None:
            self._tasks.append(self._supervise("consumer", self._consume_once_migrated))
        self._pruning = self._supervise("bus_pruning", self._prune_periodically)
        log.info(
            "service_started",
            subscriptions=self.consumer.subscriptions if self.consumer else [],
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Stop taking new work and let the current batch and relay round finish;
        # rows not yet published wait in the outbox for the next start.
        if self.consumer is not None:
            self.consumer.stop()
        self.relay.stop()
        if self._pruning is not None:
            self._pruning.cancel()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.consumer is not None and self._consumer_started:
            await self.consumer.close()
        await self.producer.stop()
        await self.engine.dispose()
        log.info("service_stopped")

    async def _consume_once_migrated(self) -> None:
        """Join the group only once the store is at the head of its history: a handler
        on a store without its tables would fail every event (dead letters on
        PostgreSQL, where a missing table is not a transient error)."""
        assert self.consumer is not None
        waiting_since: float | None = None
        while not self._consumer_started:
            try:
                await self.check_schema()
            except SchemaNotAtHead as exc:
                if waiting_since is None:
                    waiting_since = time.monotonic()
                    log.warning("consumer_waits_for_migration", detail=str(exc))
                await asyncio.sleep(1.0)
                continue
            await self.consumer.start()
            self._consumer_started = True
        await self.consumer.run()

    async def prune_bus_tables(self) -> tuple[int, int]:
        """Delete bus rows past the retention; see ``bus_retention_hours``. Published
        notifications (raw contacts, codes, links) go after ``notification_replay_minutes``:
        kept that long, a replay after a broker lost data resends what gateways missed."""
        now = utcnow()
        async with self.sessions() as session, session.begin():
            return await prune_bus_tables(
                session,
                self.bus,
                now - timedelta(hours=self.settings.bus_retention_hours),
                short_lived=[self.topics.notifications],
                short_lived_older_than=now
                - timedelta(minutes=self.settings.notification_replay_minutes),
            )

    async def _prune_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.settings.bus_prune_interval_seconds)
            outbox, inbox = await self.prune_bus_tables()
            if outbox or inbox:
                log.info("bus_tables_pruned", outbox_rows=outbox, inbox_rows=inbox)

    def _supervise(self, name: str, run: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        async def loop() -> None:
            while True:
                try:
                    await run()
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("background_task_crashed", task=name)
                    await asyncio.sleep(1.0)

        return asyncio.create_task(loop(), name=f"{self.settings.service_name}.{name}")

    async def check_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def check_schema(self) -> None:
        """The store is at the head of the service's Alembic history (not behind, not ahead)."""
        if self.schema_heads is None:
            return
        async with self.engine.connect() as conn:
            current = await current_revisions(conn)
        if current != self.schema_heads:
            at = ", ".join(sorted(current)) or "no revision"
            raise SchemaNotAtHead(
                f"store at {at}, code expects {', '.join(sorted(self.schema_heads))}"
            )

    async def check_broker(self) -> None:
        await self.producer.client.fetch_all_metadata()

    async def refresh_gauges(self) -> None:
        """Bring the scrape-time gauges up to date: outbox backlog, consumer lag and idleness.

        A gauge whose source (the store, the broker) does not answer keeps its last
        value and is marked in ``sopdesk_gauge_stale``: a scrape must still answer
        when the database is down, that is when the other metrics matter most.
        """
        service = self.settings.service_name
        stale = self.metrics.gauge_stale
        try:
            pending = await asyncio.wait_for(self.relay.pending_count(), GAUGE_REFRESH_SECONDS)
        except Exception as exc:  # whatever the store raised: the scrape goes on
            log.warning("gauge_refresh_failed", gauge="outbox_pending", error=repr(exc))
            stale.labels(service, "sopdesk_outbox_pending").set(1)
        else:
            self.metrics.outbox_pending.labels(service).set(pending)
            stale.labels(service, "sopdesk_outbox_pending").set(0)
        if self.consumer is None:
            return
        try:
            lags = await asyncio.wait_for(self.consumer.lag(), GAUGE_REFRESH_SECONDS)
        except Exception as exc:
            log.warning("gauge_refresh_failed", gauge="consumer_lag", error=repr(exc))
            stale.labels(service, "sopdesk_consumer_lag").set(1)
        else:
            self.metrics.consumer_lag.clear()
            for tp, lag in lags.items():
                self.metrics.consumer_lag.labels(service, tp.topic, str(tp.partition)).set(lag)
            stale.labels(service, "sopdesk_consumer_lag").set(0)
        self.metrics.consumer_idle_seconds.labels(service).set(
            self.consumer.seconds_since_progress()
        )

    async def stalled(self) -> str | None:
        """Why the consumer looks stuck, if it does: messages wait, no batch finishes."""
        if self.consumer is None:
            return None
        if self.consumer.busy_since is not None:
            busy = time.monotonic() - self.consumer.busy_since
            if busy >= self.settings.consumer_stall_seconds:
                return f"one batch has been in hand for {busy:.0f}s"
        idle = self.consumer.seconds_since_progress()
        if idle < self.settings.consumer_stall_seconds:
            return None
        waiting = sum((await self.consumer.lag()).values())
        if waiting == 0:
            return None
        return f"{waiting} messages waiting and no batch finished for {idle:.0f}s"

    async def check_consumer(self) -> None:
        """Ready to consume once the group has given this replica its share of partitions."""
        if self.consumer is not None and not self.consumer.joined.is_set():
            raise RuntimeError("consumer has not joined its group yet")
