"""SLA clocks: open, pause, stop, move with re-triage and fire; a reopened ticket's fresh
window. The caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from services.followup import domain, repository
from services.followup.callbacks import cancel_open_callbacks, plan_callback
from services.followup.models import SlaClock, Survey
from services.followup.settings import FollowupSettings
from shared.events import (
    Envelope,
    NotificationRequested,
    NotificationRequestedData,
    SlaBreached,
    SlaClockData,
    SlaWarning,
    TicketClosed,
    TicketConfirmed,
    TicketDeadlineExtended,
    TicketMessageAdded,
    TicketProgressNoted,
    TicketReopened,
    TicketRetriaged,
    TicketStateData,
    TicketTriaged,
)
from shared.outbox import UnitOfWork


class _Clocks:
    """The clocks one batch touches: loaded once, locked, created when missing.

    With ``insert_new``, a clock created here stays out of the session and
    :meth:`insert_created` writes all of them in one Core statement: the ORM's flush of
    three new clocks per triaged ticket was the biggest cost of follow-up's consumer."""

    def __init__(
        self,
        uow: UnitOfWork,
        loaded: dict[tuple[uuid.UUID, str], SlaClock],
        *,
        insert_new: bool = False,
    ) -> None:
        self._uow = uow
        self._clocks = loaded
        self._insert_new = insert_new
        self._created: list[SlaClock] = []

    @classmethod
    async def load(
        cls, uow: UnitOfWork, ticket_ids: Sequence[uuid.UUID], *, insert_new: bool = False
    ) -> _Clocks:
        loaded = await repository.clocks_for_update(uow.session, ticket_ids)
        return cls(uow, loaded, insert_new=insert_new)

    def get(self, ticket_id: uuid.UUID, kind: str) -> SlaClock:
        clock = self._clocks.get((ticket_id, kind))
        if clock is None:
            clock = SlaClock(
                id=uuid.uuid4(),
                ticket_id=ticket_id,
                kind=kind,
                state="running",
                breaches=0,
                paused_seconds=0.0,
            )
            if self._insert_new:
                self._created.append(clock)
            else:
                repository.add(self._uow.session, clock)
            self._clocks[(ticket_id, kind)] = clock
        return clock

    async def insert_created(self) -> None:
        """Write the clocks created since :meth:`load` (with ``insert_new``) as they are now."""
        created, self._created = self._created, []
        await repository.insert_clocks(self._uow.session, created)


KINDS = ("response", "resolution", "update")


def _schedule(clock: SlaClock) -> None:
    """Point the timer at the clock's next warning or deadline (or at nothing: stopped,
    breached or paused)."""
    if clock.paused_at is not None:
        clock.next_fire_at = None
        return
    clock.next_fire_at = domain.next_fire_time(
        stopped_at=clock.stopped_at,
        warn_at=clock.warn_at,
        due_at=clock.due_at,
        warned_at=clock.warned_at,
        breached_at=clock.breached_at,
    )


def _retime(clock: SlaClock, settings: FollowupSettings) -> None:
    """Deadline and warning time in business time on the ticket's calendar: triage's
    deadline, moved later by the working time spent waiting on the customer."""
    if clock.base_due_at is None or clock.started_at is None:
        return
    calendar = domain.calendar_of(clock.calendar_spec)
    paused = timedelta(seconds=clock.paused_seconds or 0.0)
    base_warn = domain.business_warning_time(
        calendar,
        clock.started_at,
        clock.base_due_at,
        settings.lead_for(clock.priority, clock.kind),
    )
    clock.due_at = domain.shifted(calendar, clock.base_due_at, paused)
    clock.warn_at = domain.shifted(calendar, base_warn, paused)


def _end_pause(clock: SlaClock, at: datetime) -> None:
    """Count the working time since the pause began (up to ``at``) and run again."""
    if clock.paused_at is None:
        return
    calendar = domain.calendar_of(clock.calendar_spec)
    since = max(clock.paused_at, clock.started_at or clock.paused_at)
    clock.paused_seconds = (clock.paused_seconds or 0.0) + domain.paused_for(
        calendar, since, at
    ).total_seconds()
    clock.paused_at = None
    if clock.stopped_at is None and clock.state == "paused":
        clock.state = "running"


async def open_clocks(
    uow: UnitOfWork, events: Sequence[TicketTriaged | TicketRetriaged], settings: FollowupSettings
) -> None:
    """Start the response and resolution clocks from triage's deadlines, or move them
    with a re-triage (a re-triage keeps the start; a fired warning or breach stays fired)."""
    clocks = await _Clocks.load(uow, [e.ticket_id for e in events if e.ticket_id], insert_new=True)
    for event in events:
        assert event.ticket_id is not None
        retriage = event.type == "ticket.retriaged"
        deadlines = event.data.deadlines
        for kind, due in (("response", deadlines.respond_by), ("resolution", deadlines.resolve_by)):
            clock = clocks.get(event.ticket_id, kind)
            resolved_before_triage = (
                kind == "resolution" and clock.category is None and clock.stopped_at is not None
            )
            clock.priority = event.data.priority
            clock.team = event.data.team
            if not retriage or clock.started_at is None:
                clock.started_at = event.occurred_at
            clock.calendar_spec = deadlines.calendar_spec
            clock.category = event.data.category
            clock.ticket_no = event.data.ticket_no
            clock.base_due_at = due
            clock.paused_seconds = clock.paused_seconds or 0.0
            _retime(clock, settings)
            if clock.stopped_at is not None:  # the stop arrived first
                clock.state = domain.stop_state(clock.due_at, clock.stopped_at)
            _schedule(clock)
            if resolved_before_triage and clock.stopped_at is not None:
                # ticket.resolved overtook ticket.triaged: plan its callback now, keyed so
                # that a redelivered triage plans nothing twice (unique source and kind).
                source = uuid.uuid5(clock.ticket_id, clock.stopped_at.isoformat())
                plan_callback(uow, clock, clock.stopped_at, source, settings, event)
        _open_update_clock(clocks.get(event.ticket_id, "update"), event, settings)
    await clocks.insert_created()


def _open_update_clock(
    clock: SlaClock, event: TicketTriaged | TicketRetriaged, settings: FollowupSettings
) -> None:
    """The update cadence: the first customer-visible update is due a day after the
    ticket arrived (or after the last update seen before triage); a re-triage keeps the
    cycle and recomputes it on the new calendar."""
    clock.priority = event.data.priority
    clock.team = event.data.team
    clock.category = event.data.category
    clock.calendar_spec = event.data.deadlines.calendar_spec
    if clock.started_at is None:
        clock.started_at = event.occurred_at
    calendar = domain.calendar_of(clock.calendar_spec)
    clock.base_due_at = domain.next_update_due(calendar, clock.started_at, settings.update_interval)
    clock.paused_seconds = clock.paused_seconds or 0.0
    _retime(clock, settings)
    if clock.stopped_at is not None:
        clock.state = domain.stop_state(clock.due_at, clock.stopped_at)
    _schedule(clock)


def _start_cycle(
    clock: SlaClock,
    at: datetime,
    due: datetime,
    settings: FollowupSettings,
    *,
    state: str = "running",
    paused: bool = False,
) -> None:
    """Run ``clock`` again from ``at`` to ``due``: nothing fired yet, and no pause counted
    (``paused``: waiting on the customer from ``at`` on)."""
    clock.started_at = at
    clock.base_due_at = due
    clock.paused_seconds = 0.0
    clock.paused_at = at if paused else None
    clock.stopped_at = None
    clock.warned_at = None
    clock.breached_at = None
    clock.state = "paused" if paused else state
    _retime(clock, settings)
    _schedule(clock)


def _next_update_cycle(
    clock: SlaClock,
    since: datetime,
    settings: FollowupSettings,
    *,
    state: str = "running",
    paused: bool = False,
) -> None:
    """The update clock's next day: the next customer-visible update is due a day after
    ``since`` (an update, a missed deadline or a reopen), on the clock's calendar."""
    calendar = domain.calendar_of(clock.calendar_spec)
    due = domain.next_update_due(calendar, since, settings.update_interval)
    _start_cycle(clock, since, due, settings, state=state, paused=paused)


async def stop_clocks(
    uow: UnitOfWork, kind: str, stops: Sequence[tuple[uuid.UUID, datetime]]
) -> None:
    """Stop each ticket's clock of ``kind`` at the given time; a second stop changes nothing.

    A clock stopped while paused first counts the pause up to the stop (its deadline moves
    later by that working time), so waiting on the customer never turns into a breach.
    """
    clocks = await _Clocks.load(uow, [ticket_id for ticket_id, _ in stops])
    for ticket_id, at in stops:
        clock = clocks.get(ticket_id, kind)
        if clock.stopped_at is not None:
            continue
        if clock.paused_at is not None:
            _end_pause(clock, at)
            _retime_stored(clock)
        clock.stopped_at = at
        clock.state = domain.stop_state(clock.due_at, at)
        _schedule(clock)


def _retime_stored(clock: SlaClock) -> None:
    """Move the deadline by the pause without settings: the warning no longer matters."""
    if clock.base_due_at is None:
        return
    calendar = domain.calendar_of(clock.calendar_spec)
    clock.due_at = domain.shifted(
        calendar, clock.base_due_at, timedelta(seconds=clock.paused_seconds or 0.0)
    )


async def stop_clock(uow: UnitOfWork, ticket_id: uuid.UUID, kind: str, at: datetime) -> None:
    await stop_clocks(uow, kind, [(ticket_id, at)])


async def apply_progress(
    uow: UnitOfWork, events: Sequence[TicketProgressNoted], settings: FollowupSettings
) -> None:
    """Progress notes in order: waiting on the customer pauses every running clock of the
    ticket and its end resumes them (deadlines move by the working time paused); a
    customer-visible note is a first response."""
    relevant = [
        e
        for e in events
        if e.ticket_id is not None
        and (e.data.waiting_on_customer is not None or e.data.customer_visible)
    ]
    clocks = await _Clocks.load(uow, [e.ticket_id for e in relevant if e.ticket_id])
    for event in relevant:
        assert event.ticket_id is not None
        at = event.data.at
        waiting = event.data.waiting_on_customer
        for kind in KINDS:
            clock = clocks.get(event.ticket_id, kind)
            if clock.stopped_at is not None or clock.breached_at is not None:
                continue
            if waiting is True and clock.paused_at is None:
                clock.paused_at = at
                clock.state = "paused"
            elif waiting is False and clock.paused_at is not None:
                _end_pause(clock, at)
                _retime(clock, settings)
            _schedule(clock)
        if event.data.customer_visible:
            response = clocks.get(event.ticket_id, "response")
            if response.stopped_at is None:
                if response.paused_at is not None:
                    _end_pause(response, at)
                    _retime(response, settings)
                response.stopped_at = at
                response.state = domain.stop_state(response.due_at, at)
                _schedule(response)
            update = clocks.get(event.ticket_id, "update")
            if (
                update.stopped_at is None
                and update.started_at is not None
                and (at > update.started_at)
            ):
                # The customer heard from us: the next update is due a day from now.
                _next_update_cycle(update, at, settings, paused=update.paused_at is not None)


async def fire_due_clocks(
    uow: UnitOfWork, now: datetime, settings: FollowupSettings, *, limit: int = 200
) -> int:
    """Emit ``sla.warning`` and ``sla.breached`` for every clock whose time has come.

    The core of the SLA timer. Claimed clocks are locked (skipped by other replicas), and
    ``warned_at`` / ``breached_at`` are set in the same transaction as the events, so each
    fires exactly once per clock however many replicas run and however often they restart.
    A clock found past its deadline and not yet warned gets its warning first, then its
    breach. An update clock's warning is the agent's reminder; after a missed update it
    starts the next day's cycle from the missed deadline (each missed day is a breach of
    its own, and a day already past gets no reminder). Returns how many clocks were
    claimed; the caller commits.
    """
    claimed = await repository.claim_due_clocks(uow.session, now, limit)
    for clock in claimed:
        assert clock.due_at is not None  # next_fire_at is only set on clocks with a deadline
        data = SlaClockData(
            clock=clock.kind,
            due_at=clock.due_at,
            priority=clock.priority,
            team=clock.team,
        )
        update = clock.kind == "update"
        if (
            clock.warned_at is None
            and clock.warn_at is not None
            and clock.warn_at <= now
            and not (update and clock.due_at <= now)
        ):
            clock.warned_at = now
            uow.emit(SlaWarning(ticket_id=clock.ticket_id, occurred_at=now, data=data))
        if clock.breached_at is None and clock.due_at <= now:
            clock.breached_at = now
            clock.state = "breached"
            clock.breaches = (clock.breaches or 0) + 1
            uow.emit(
                SlaBreached(ticket_id=clock.ticket_id, occurred_at=now, data=data.model_copy())
            )
            if update:
                _next_update_cycle(clock, clock.due_at, settings, state="breached")
                continue
        _schedule(clock)
    return len(claimed)


async def reopen_ticket(
    uow: UnitOfWork,
    ticket_id: uuid.UUID,
    at: datetime,
    data: TicketStateData,
    settings: FollowupSettings,
    *,
    cause: Envelope | None = None,
    written_after_resolution: bool = False,
) -> bool:
    """``ticket.reopened``, and the ticket's clocks run again: the resolution clock gets
    as much working time as its first window, counted from the reopen, and the update
    cadence starts over; the first response stays met. False (and nothing emitted) when
    the ticket is not resolved or closed as far as follow-up knows, or, with
    ``written_after_resolution``, when ``at`` (the customer's message) is older than the
    resolution."""
    clocks = await _Clocks.load(uow, [ticket_id])
    resolution = clocks.get(ticket_id, "resolution")
    if resolution.stopped_at is None:
        return False
    if written_after_resolution and at < resolution.stopped_at:
        return False
    uow.emit(TicketReopened(ticket_id=ticket_id, occurred_at=at, data=data), cause=cause)
    # The survey of the resolution just undone must not close the ticket later.
    await repository.supersede_pending_surveys(uow.session, [ticket_id], at)
    await cancel_open_callbacks(uow, ticket_id, at, cause)
    calendar = domain.calendar_of(resolution.calendar_spec)
    if resolution.started_at is not None and resolution.base_due_at is not None:
        due = domain.reopened_due(calendar, resolution.started_at, resolution.base_due_at, at)
        _start_cycle(resolution, at, due, settings)
    update = clocks.get(ticket_id, "update")
    if update.started_at is not None:
        _next_update_cycle(update, at, settings)
    return True


async def reopen_on_customer_messages(
    uow: UnitOfWork, events: Sequence[TicketMessageAdded], settings: FollowupSettings
) -> None:
    """A customer's reply acts on the ticket as intake read it: a confirmation of the
    result ("已解决") confirms and closes it; "未解决", or writing again soon after
    closure, reopens it (intake decides ``reopens`` within its window). Any other
    customer message written after the resolution, before it was confirmed, means it is
    not solved either ("还是没有收到退款"): reopened too (issue 13). Follow-up owns the
    reopen; dispatch gives the reopened ticket back to its agent."""
    confirmations = [e for e in events if e.ticket_id and e.data.reply == "confirmed"]
    waiting = await repository.pending_surveys_for_update(
        uow.session, [e.ticket_id for e in confirmations if e.ticket_id]
    )
    for event in events:
        if event.ticket_id is None:
            continue
        if event.data.reply == "confirmed":
            survey = waiting.pop(event.ticket_id, None)
            if survey is not None and survey.outcome != "confirmed":
                _confirm_by_reply(uow, survey, event)
            continue
        if event.data.author != "customer":
            continue
        not_solved = event.data.reply == "not_solved"
        if not_solved:
            reason = "the customer replied it is not solved"
        elif event.data.reopens:
            reason = "the customer wrote again after closure"
        else:
            reason = "the customer replied to the resolution before confirming it"
        await reopen_ticket(
            uow,
            event.ticket_id,
            event.occurred_at,
            TicketStateData(
                reason=reason,
                escalate=True if not_solved or not event.data.reopens else None,
            ),
            settings,
            cause=event,
            written_after_resolution=not event.data.reopens,
        )


def _confirm_by_reply(uow: UnitOfWork, survey: Survey, event: TicketMessageAdded) -> None:
    """The customer confirmed by replying: ``ticket.confirmed`` and ``ticket.closed``
    (reason ``confirmed``), a thank-you; the survey link still takes a score but no
    longer closes the ticket by itself."""
    at = event.occurred_at
    survey.outcome = "confirmed"
    survey.close_at = None
    state = TicketStateData(reason="confirmed", survey_id=survey.id)
    uow.emit(TicketConfirmed(ticket_id=survey.ticket_id, occurred_at=at, data=state), cause=event)
    uow.emit(
        TicketClosed(ticket_id=survey.ticket_id, occurred_at=at, data=state.model_copy()),
        cause=event,
    )
    uow.emit(
        NotificationRequested(
            ticket_id=survey.ticket_id,
            occurred_at=at,
            data=NotificationRequestedData(template="confirmation"),
        ),
        cause=event,
    )


async def extend_deadlines(
    uow: UnitOfWork, events: Sequence[TicketDeadlineExtended], settings: FollowupSettings
) -> None:
    """A supervisor granted more time (dispatch's ``ticket.deadline_extended``): the
    resolution clock's deadline moves by the same amount (its warning with it); a warning
    or breach that fired for the old deadline fires again for the new one if it comes."""
    clocks = await _Clocks.load(uow, [e.ticket_id for e in events if e.ticket_id])
    for event in events:
        if event.ticket_id is None:
            continue
        clock = clocks.get(event.ticket_id, "resolution")
        if clock.base_due_at is None or clock.stopped_at is not None:
            continue  # not triaged here yet, or resolved meanwhile: nothing to move
        clock.base_due_at += event.data.resolve_by - event.data.previous_resolve_by
        _retime(clock, settings)
        at = event.data.at
        if clock.warned_at is not None and clock.warn_at is not None and clock.warn_at > at:
            clock.warned_at = None
        if clock.breached_at is not None and clock.due_at is not None and clock.due_at > at:
            clock.breached_at = None
            if clock.state == "breached":
                clock.state = "paused" if clock.paused_at is not None else "running"
        _schedule(clock)
