"""Callbacks after resolution: planned, fired when due, completed. The caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.followup import domain, repository
from services.followup.models import Callback, SlaClock
from services.followup.settings import FollowupSettings
from shared.errors import ApiError
from shared.events import (
    CallbackCancelled,
    CallbackCompleted,
    CallbackData,
    CallbackScheduled,
    Envelope,
    NotificationRequested,
    NotificationRequestedData,
    SlaBreached,
    SlaClockData,
    TicketResolved,
)
from shared.outbox import UnitOfWork

# --------------------------------------------------------------------------- callbacks


async def plan_callbacks(
    uow: UnitOfWork, events: Sequence[TicketResolved], settings: FollowupSettings
) -> list[Callback]:
    """On resolution: after-sales tickets get a callback, suggestions a feedback task in
    working days, complaints a satisfaction callback (category from ``ticket.triaged``;
    a resolution seen before its triage plans nothing)."""
    resolved = [e for e in events if e.ticket_id is not None]
    clocks = await repository.clocks_for_update(
        uow.session, [e.ticket_id for e in resolved if e.ticket_id]
    )
    planned = []
    for event in resolved:
        assert event.ticket_id is not None
        clock = clocks.get((event.ticket_id, "resolution"))
        if clock is None or clock.category is None:
            continue  # triage not seen yet: planned when it arrives (see open_clocks)
        callback = plan_callback(uow, clock, event.data.at, event.event_id, settings, event)
        if callback is not None:
            planned.append(callback)
    return planned


def plan_callback(
    uow: UnitOfWork,
    clock: SlaClock,
    resolved_at: datetime,
    source_id: uuid.UUID,
    settings: FollowupSettings,
    cause: Envelope | None,
) -> Callback | None:
    calendar = domain.calendar_of(clock.calendar_spec)
    plan = domain.plan_callback(
        clock.category,
        clock.team,
        resolved_at,
        calendar,
        after_sales_within=settings.after_sales_callback_within,
        fault_within=settings.fault_callback_within,
        complaint_within=settings.complaint_callback_within,
        suggestion_working_days=settings.suggestion_feedback_working_days,
    )
    if plan is None:
        return None
    kind, owner, due = plan
    callback = Callback(
        id=uuid.uuid4(),
        ticket_id=clock.ticket_id,
        kind=kind,
        owner=owner,
        state="open",
        priority=clock.priority,
        created_at=resolved_at,
        due_at=due,
        next_fire_at=due,
        source_event_id=source_id,
    )
    repository.add(uow.session, callback)
    uow.emit(
        CallbackScheduled(ticket_id=clock.ticket_id, data=_callback_data(callback)), cause=cause
    )
    if kind != "suggestion_feedback":
        # Intake words the time in its display zone ("明日10:00").
        uow.emit(
            NotificationRequested(
                ticket_id=clock.ticket_id,
                data=NotificationRequestedData(
                    template="callback", params={"due_at": due.isoformat(), "kind": kind}
                ),
            ),
            cause=cause,
        )
    return callback


def _callback_data(callback: Callback) -> CallbackData:
    return CallbackData(
        callback_id=callback.id,
        kind=callback.kind,
        due_at=callback.due_at,
        owner=callback.owner,
        outcome=callback.outcome,
        score=callback.score,
        completed_by=callback.completed_by,
        completed_by_name=callback.completed_by_name,
        call_started_at=callback.call_started_at,
        call_ended_at=callback.call_ended_at,
        verification=callback.verification,
    )


async def cancel_open_callbacks(
    uow: UnitOfWork, ticket_id: uuid.UUID, at: datetime, cause: Envelope | None
) -> None:
    """A reopened ticket: its open callback would ask "is it solved?" about a ticket that
    is open again, so it is cancelled (``callback.cancelled``); the next resolution plans
    a new one."""
    for callback in await repository.open_callbacks_for_update(uow.session, ticket_id):
        callback.state = "cancelled"
        callback.cancelled_at = at
        callback.next_fire_at = None
        uow.emit(
            CallbackCancelled(ticket_id=ticket_id, occurred_at=at, data=_callback_data(callback)),
            cause=cause,
        )


async def fire_due_callbacks(uow: UnitOfWork, now: datetime, *, limit: int = 200) -> int:
    """An open callback past its deadline is a breach: ``sla.breached`` (clock
    ``callback``), once per task, claimed like a clock."""
    claimed = await repository.claim_due_callbacks(uow.session, now, limit)
    for callback in claimed:
        callback.breached_at = now
        callback.next_fire_at = None
        uow.emit(
            SlaBreached(
                ticket_id=callback.ticket_id,
                occurred_at=now,
                data=SlaClockData(
                    clock="callback",
                    due_at=callback.due_at,
                    priority=callback.priority,
                    team=callback.owner,
                    callback_id=callback.id,
                ),
            )
        )
    return len(claimed)


@dataclass(frozen=True)
class CallRecord:
    """The call as the phone record form (seed 001) has it."""

    outcome: str
    score: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    verification: str | None = None


async def complete_callback(
    uow: UnitOfWork,
    callback_id: uuid.UUID,
    call: CallRecord,
    *,
    by: str,
    by_name: str,
    now: datetime,
    teams: frozenset[str] | None = None,
) -> Callback:
    """Record a callback's outcome and CSAT once, with who made the call (``by`` an
    identity, ``by_name`` as people read it) and the call record (``callback.completed``);
    completing a suggestion's feedback task tells the customer (您的建议已同步至产品团队).
    ``teams``: the teams whose callbacks the caller may complete (None: any)."""
    callback = await repository.callback_for_update(uow.session, callback_id)
    if callback is None:
        raise ApiError(404, "callback_not_found", f"No callback with id {callback_id}.")
    if teams is not None and callback.owner not in teams:
        raise ApiError(403, "not_your_team", f"This callback is team {callback.owner}'s.")
    if callback.state == "completed":
        raise ApiError(409, "callback_already_completed", "This callback is already completed.")
    if callback.state == "cancelled":
        raise ApiError(
            409, "callback_cancelled", "The ticket was reopened; this callback was cancelled."
        )
    callback.state = "completed"
    callback.completed_at = now
    callback.completed_by = by
    callback.completed_by_name = by_name
    callback.outcome = call.outcome
    callback.score = call.score
    callback.call_started_at = call.started_at
    callback.call_ended_at = call.ended_at
    callback.verification = call.verification
    callback.next_fire_at = None
    uow.emit(
        CallbackCompleted(
            ticket_id=callback.ticket_id, occurred_at=now, data=_callback_data(callback)
        )
    )
    if callback.kind == "suggestion_feedback":
        uow.emit(
            NotificationRequested(
                ticket_id=callback.ticket_id,
                data=NotificationRequestedData(template="suggestion_feedback"),
            )
        )
    return callback
