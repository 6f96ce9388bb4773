"""Live updates: the broker's events, fanned out to the browsers they concern as
server-sent events.

One reader per workspace process follows the lifecycle topics (intake, triage, dispatch,
followup, notifications) from their newest message, without a consumer group (nothing is
committed, no join to wait for: a restart simply starts again from the newest). Each
event is matched against the open streams: an event whose ``agent_id`` is the person,
whose ticket the person has on screen (their work list or the ticket page registers the
ids it shows), or whose team the person supervises. The browser is told *that* something
changed (``work``, or ``ticket`` with the id), never the data itself: it asks the services
again through the workspace, with the person's own permissions. The workspace keeps no
domain data: only which ticket ids each person's pages showed lately (at most 2,000 per
person, in memory). They outlive a page's stream on purpose: a page that replaces another
(after a form is sent) opens its stream after the old one closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer

from services.workspace.session import SignedInPerson
from services.workspace.settings import WorkspaceSettings
from shared.consumer import QUIET_SECONDS, set_fetch_wait
from shared.observability import get_logger
from shared.topics import Topics

log = get_logger(__name__)

# The streams whose events change what an agent or supervisor sees (a notification is
# a text sent to the customer: the thread shows it).
LIVE_STREAMS = ("intake", "triage", "dispatch", "followup", "notifications")
# The fetch wait while events flow (the local broker holds a fetch this long).
LIVE_FETCH_WAIT_MS = 100
# A browser's queue holds at most this many signals; a slow one misses some (it
# refreshes on the next, which shows everything anyway).
_QUEUE_SIZE = 100


@dataclass(frozen=True)
class Signal:
    kind: str  # "work": the person's lists changed; "ticket": this ticket changed
    ticket_id: str | None = None
    event_type: str = ""

    def frame(self) -> str:
        body = json.dumps({"ticket_id": self.ticket_id, "type": self.event_type})
        return f"event: {self.kind}\ndata: {body}\n\n"


@dataclass(eq=False)
class Listener:
    person_id: str
    teams: frozenset[str]
    supervises: frozenset[str]
    queue: asyncio.Queue[Signal] = field(default_factory=lambda: asyncio.Queue(_QUEUE_SIZE))
    tickets: set[str] = field(default_factory=set)

    def offer(self, signal: Signal) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(signal)


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


class LiveHub:
    """Open event streams by person, and the broker reader that feeds them."""

    def __init__(self, settings: WorkspaceSettings) -> None:
        self.settings = settings
        self.listeners: set[Listener] = set()
        # Ticket ids a person has on screen, by person (kept while any stream of theirs is open).
        self.on_screen: dict[str, set[str]] = {}
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self.delivered = 0

    # ------------------------------------------------------------------ streams

    def open(self, person: SignedInPerson, ticket_id: str | None = None) -> Listener:
        """A page's stream; ``ticket_id`` is the ticket the page shows, if any."""
        listener = Listener(str(person.id), person.teams, person.supervises)
        if ticket_id:
            self.showing(person, [ticket_id])
        listener.tickets = self.on_screen.setdefault(listener.person_id, set())
        self.listeners.add(listener)
        return listener

    def close(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    def showing(self, person: SignedInPerson, ticket_ids: Iterable[object]) -> None:
        """A page of this person shows these tickets: tell them when one changes."""
        shown = self.on_screen.setdefault(str(person.id), set())
        shown.update(str(t) for t in ticket_ids if t)
        if len(shown) > 2000:  # a person's screens, not a history: keep it bounded
            shown.clear()
            shown.update(str(t) for t in ticket_ids if t)
        for listener in self.listeners:
            if listener.person_id == str(person.id):
                listener.tickets = shown

    async def frames(
        self, listener: Listener, *, keepalive: float, lasting: float
    ) -> AsyncIterator[str]:
        """The stream's text: a retry hint, then signals and keep-alive comments, until
        ``lasting`` seconds pass (the browser reconnects, and its session is checked again)."""
        loop = asyncio.get_running_loop()
        ends = loop.time() + lasting
        yield "retry: 1000\n\n"
        yield ": connected\n\n"
        while (left := ends - loop.time()) > 0:
            try:
                signal = await asyncio.wait_for(listener.queue.get(), timeout=min(keepalive, left))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield signal.frame()

    # ------------------------------------------------------------------ events

    def dispatch(self, event: dict[str, Any]) -> int:
        """Offer one event to the streams it concerns; how many were told."""
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        assert isinstance(data, dict)
        ticket_id = _str(event.get("ticket_id"))
        event_type = str(event.get("type", ""))
        people = {
            p
            for p in (
                _str(data.get("agent_id")),
                _str(data.get("from_agent_id")),
                _str(data.get("to_agent_id")),
                _str(data.get("previous_agent_id")),
            )
            if p
        }
        team = _str(data.get("team")) or _str(data.get("to_team"))
        told = 0
        for listener in list(self.listeners):
            mine = listener.person_id in people
            watching = ticket_id is not None and ticket_id in listener.tickets
            supervised = team is not None and team in listener.supervises
            if mine or watching or supervised:
                listener.offer(Signal("work", ticket_id, event_type))
                if ticket_id is not None:
                    listener.offer(Signal("ticket", ticket_id, event_type))
                told += 1
        self.delivered += told
        return told

    async def start(self) -> None:
        if not self.settings.live_updates:
            return
        self._task = asyncio.create_task(self._run(), name="workspace-live")

    def _new_consumer(self) -> AIOKafkaConsumer:
        topics = Topics(self.settings.topic_prefix)
        return AIOKafkaConsumer(
            *(topics.name(stream) for stream in LIVE_STREAMS),
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            client_id=f"sopdesk-workspace-live-{uuid.uuid4().hex[:8]}",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            # Bounds a signal's delay on the local broker, which holds every fetch this
            # long; after QUIET_SECONDS without events the idle wait takes over.
            fetch_max_wait_ms=LIVE_FETCH_WAIT_MS,
        )

    async def _run(self) -> None:
        delay = 0.5
        while True:
            self._consumer = self._new_consumer()
            try:
                await self._consumer.start()
                break
            except Exception as exc:  # the broker not there yet: pages work, live waits
                log.warning("live updates wait for the broker", error=type(exc).__name__)
                with contextlib.suppress(Exception):
                    await self._consumer.stop()
                self._consumer = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        try:
            await self._follow(self._consumer)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live updates stopped")

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        # A quiet system asks the broker to hold each fetch longer (each held fetch
        # costs it CPU): the first signal after a quiet spell is up to that late.
        idle_wait = max(self.settings.consumer_idle_fetch_max_wait_ms, LIVE_FETCH_WAIT_MS)
        last_event_at = time.monotonic()
        while True:
            batch = await consumer.getmany(timeout_ms=1000)
            if not batch:
                if time.monotonic() - last_event_at >= QUIET_SECONDS:
                    set_fetch_wait(consumer, idle_wait)
                continue
            last_event_at = time.monotonic()
            set_fetch_wait(consumer, LIVE_FETCH_WAIT_MS)
            for records in batch.values():
                for message in records:
                    try:
                        event = json.loads(message.value)
                    except (TypeError, ValueError):
                        continue
                    if isinstance(event, dict):
                        self.dispatch(event)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                await self._consumer.stop()
