"""Clocks in business time on the ticket's calendar: warnings counted in working hours,
pauses while waiting on the customer, and deadlines that move with re-triage."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from followup_support import T0, FollowupStore, triaged

from services.followup import domain, sla_clocks
from services.followup.handlers import build_handlers
from services.followup.settings import FollowupSettings
from shared.calendar import DEFAULT_CALENDAR, add_business_time
from shared.events import Envelope, ProgressNotedData, TicketProgressNoted

SHANGHAI = DEFAULT_CALENDAR.zone
CALENDAR = DEFAULT_CALENDAR.to_dict()  # 09:00–12:00, 13:30–18:00, Mon–Fri, China's holidays


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)  # type: ignore[arg-type, misc]


def note(
    ticket_id: uuid.UUID,
    at: datetime,
    *,
    waiting: bool | None = None,
    visible: bool = False,
) -> TicketProgressNoted:
    return TicketProgressNoted(
        ticket_id=ticket_id,
        occurred_at=at,
        data=ProgressNotedData(
            assignment_id=uuid.uuid4(),
            at=at,
            note="等待客户提供照片" if waiting else "处理中",
            waiting_on_customer=waiting,
            customer_visible=visible,
        ),
    )


async def progress(store: FollowupStore, *events: TicketProgressNoted) -> None:
    async with store.uow() as uow:
        await sla_clocks.apply_progress(uow, list(events), FollowupSettings())
        await uow.commit()


def business_ticket(start: datetime, resolve: timedelta, **kw: Any) -> Any:
    """A triaged event whose deadlines triage computed in business time."""
    event = triaged(at=start, calendar_spec=CALENDAR, **kw)
    event.data.deadlines.respond_by = add_business_time(DEFAULT_CALENDAR, start, timedelta(hours=1))
    event.data.deadlines.resolve_by = add_business_time(DEFAULT_CALENDAR, start, resolve)
    return event


async def test_warning_counts_working_hours_over_a_weekend(store: FollowupStore) -> None:
    start = local(2026, 11, 27, 17, 0)  # Friday 17:00
    event = business_ticket(start, timedelta(hours=8))
    assert event.ticket_id is not None
    assert event.data.deadlines.resolve_by == local(2026, 11, 30, 17, 30)  # Monday
    await store.open(event)
    resolution = (await store.clocks(event.ticket_id))["resolution"]
    # 4 working hours before Monday 17:30 is Monday 12:00 (lunch does not count)...
    assert resolution.warn_at == local(2026, 11, 30, 12, 0)
    # ...and the response clock (1 h: Friday 17:00–18:00) warns at half its window.
    response = (await store.clocks(event.ticket_id))["response"]
    assert response.warn_at == local(2026, 11, 27, 17, 30)

    fired = await store.fire(local(2026, 11, 29, 12, 0))  # Sunday: only the response clock
    assert [(e.type, e.data.clock) for e in fired] == [  # type: ignore[attr-defined]
        ("sla.warning", "response"),
        ("sla.breached", "response"),
    ]
    assert await store.fire(local(2026, 11, 30, 11, 59)) == []
    fired = await store.fire(local(2026, 11, 30, 12, 0))
    assert [(e.type, e.data.clock) for e in fired] == [("sla.warning", "resolution")]  # type: ignore[attr-defined]


async def test_warning_skips_a_public_holiday(store: FollowupStore) -> None:
    start = local(2026, 9, 30, 16, 0)  # the eve of National Day (Oct 1–7 are off)
    event = business_ticket(start, timedelta(hours=8))
    assert event.ticket_id is not None
    await store.open(event)
    resolution = (await store.clocks(event.ticket_id))["resolution"]
    due = resolution.due_at
    assert due is not None and due.astimezone(SHANGHAI).date().isoformat() >= "2026-10-08"
    assert resolution.warn_at is not None
    assert resolution.warn_at.astimezone(SHANGHAI).date().isoformat() >= "2026-10-08"


async def test_pause_and_resume_move_the_deadline_by_the_time_waited(store: FollowupStore) -> None:
    event = triaged(resolve=timedelta(hours=24))  # 24×7
    ticket_id = event.ticket_id
    assert ticket_id is not None
    await store.open(event)
    await store.stop(ticket_id, "response", T0 + timedelta(minutes=5))
    await progress(store, note(ticket_id, T0 + timedelta(hours=2), waiting=True))
    clocks = await store.clocks(ticket_id)
    assert clocks["resolution"].state == "paused"
    assert clocks["resolution"].next_fire_at is None
    assert clocks["response"].state == "met"  # stopped clocks do not pause

    # Long past the original warning and deadline: nothing fires while paused.
    assert await store.fire(T0 + timedelta(hours=26)) == []

    await progress(store, note(ticket_id, T0 + timedelta(hours=30), waiting=False))
    resolution = (await store.clocks(ticket_id))["resolution"]
    assert resolution.state == "running"
    assert resolution.paused_seconds == 28 * 3600
    assert resolution.due_at == T0 + timedelta(hours=52)
    assert resolution.warn_at == T0 + timedelta(hours=48)
    assert await store.fire(T0 + timedelta(hours=47, minutes=59)) == []
    assert [e.type for e in await store.fire(T0 + timedelta(hours=48))] == ["sla.warning"]
    assert [e.type for e in await store.fire(T0 + timedelta(hours=52))] == ["sla.breached"]

    # A second pause adds to the first.
    other = triaged(resolve=timedelta(hours=24))
    assert other.ticket_id is not None
    await store.open(other)
    for start, end in ((1, 2), (3, 5)):
        await progress(store, note(other.ticket_id, T0 + timedelta(hours=start), waiting=True))
        await progress(store, note(other.ticket_id, T0 + timedelta(hours=end), waiting=False))
    assert (await store.clocks(other.ticket_id))["resolution"].due_at == T0 + timedelta(hours=27)


async def test_pause_counts_working_time_only(store: FollowupStore) -> None:
    start = local(2026, 11, 26, 10, 0)  # Thursday
    event = business_ticket(start, timedelta(hours=14))  # Thu 6.5 h + Fri 7.5 h
    assert event.ticket_id is not None
    await store.open(event)
    before = (await store.clocks(event.ticket_id))["resolution"].due_at
    assert before == local(2026, 11, 27, 18, 0)  # Friday
    # Waiting from Friday 17:00 to Monday 10:00: two working hours (17–18, 9–10).
    await progress(store, note(event.ticket_id, local(2026, 11, 27, 17, 0), waiting=True))
    await progress(store, note(event.ticket_id, local(2026, 11, 30, 10, 0), waiting=False))
    after = (await store.clocks(event.ticket_id))["resolution"]
    assert after.paused_seconds == 2 * 3600
    # One working hour was left at the pause: Monday 10:00 + 1 h.
    assert after.due_at == local(2026, 11, 30, 11, 0)


async def test_resolved_while_waiting_is_met_even_after_the_original_deadline(
    store: FollowupStore,
) -> None:
    event = triaged(resolve=timedelta(hours=4))
    assert event.ticket_id is not None
    await store.open(event)
    await progress(store, note(event.ticket_id, T0 + timedelta(hours=1), waiting=True))
    await store.stop(event.ticket_id, "resolution", T0 + timedelta(hours=10))
    resolution = (await store.clocks(event.ticket_id))["resolution"]
    assert resolution.state == "met"
    assert resolution.paused_at is None
    assert resolution.due_at == T0 + timedelta(hours=13)
    # Nothing fires: the resolution clock is met, the response clock still paused.
    assert await store.fire(T0 + timedelta(days=2)) == []
    clocks = await store.clocks(event.ticket_id)
    assert clocks["resolution"].breached_at is None
    assert clocks["response"].state == "paused"


async def test_a_customer_visible_reply_is_the_first_response(store: FollowupStore) -> None:
    event = triaged()
    assert event.ticket_id is not None
    await store.open(event)
    await progress(store, note(event.ticket_id, T0 + timedelta(minutes=20)))  # internal
    assert (await store.clocks(event.ticket_id))["response"].stopped_at is None
    await progress(store, note(event.ticket_id, T0 + timedelta(minutes=25), visible=True))
    response = (await store.clocks(event.ticket_id))["response"]
    assert (response.state, response.stopped_at) == ("met", T0 + timedelta(minutes=25))
    # A later accept changes nothing.
    await store.stop(event.ticket_id, "response", T0 + timedelta(hours=3))
    assert (await store.clocks(event.ticket_id))["response"].stopped_at == T0 + timedelta(
        minutes=25
    )


async def test_pause_seen_before_triage_opens_the_clock_paused(store: FollowupStore) -> None:
    ticket_id = uuid.uuid4()
    await progress(store, note(ticket_id, T0 + timedelta(minutes=30), waiting=True))
    await store.open(triaged(ticket_id, resolve=timedelta(hours=4)))
    clocks = await store.clocks(ticket_id)
    assert clocks["resolution"].state == "paused"
    assert await store.fire(T0 + timedelta(hours=10)) == []
    await progress(store, note(ticket_id, T0 + timedelta(hours=2, minutes=30), waiting=False))
    assert (await store.clocks(ticket_id))["resolution"].due_at == T0 + timedelta(hours=6)


async def test_retriage_moves_deadlines_and_keeps_the_start(store: FollowupStore) -> None:
    event = triaged(priority="P2", respond=timedelta(hours=8), resolve=timedelta(hours=72))
    ticket_id = event.ticket_id
    assert ticket_id is not None
    await store.open(event)
    retriaged = triaged(
        ticket_id,
        priority="P0",
        team="complaints",
        at=T0 + timedelta(minutes=30),
        respond=timedelta(hours=1),
        resolve=timedelta(hours=4),
        retriaged=True,
    )
    # Triage computes the new deadlines from the ticket's start.
    retriaged.data.deadlines.respond_by = T0 + timedelta(hours=1)
    retriaged.data.deadlines.resolve_by = T0 + timedelta(hours=4)
    await store.open(retriaged)
    clocks = await store.clocks(ticket_id)
    resolution = clocks["resolution"]
    assert resolution.started_at == T0
    assert (resolution.priority, resolution.team) == ("P0", "complaints")
    assert resolution.due_at == T0 + timedelta(hours=4)
    assert resolution.warn_at == T0 + timedelta(hours=2)
    fired = await store.fire(T0 + timedelta(hours=4))
    assert sorted((e.type, e.data.clock) for e in fired) == [  # type: ignore[attr-defined]
        ("sla.breached", "resolution"),
        ("sla.breached", "response"),
        ("sla.warning", "resolution"),
        ("sla.warning", "response"),
    ]
    assert all(e.data.priority == "P0" for e in fired)  # type: ignore[attr-defined]


async def test_retriage_after_a_warning_does_not_warn_again(store: FollowupStore) -> None:
    event = triaged(respond=timedelta(hours=1), resolve=timedelta(hours=8))
    ticket_id = event.ticket_id
    assert ticket_id is not None
    await store.open(event)
    await store.stop(ticket_id, "response", T0 + timedelta(minutes=10))
    assert [e.type for e in await store.fire(T0 + timedelta(hours=4))] == ["sla.warning"]
    later = triaged(ticket_id, at=T0 + timedelta(hours=4), retriaged=True)
    later.data.deadlines.respond_by = T0 + timedelta(hours=2)
    later.data.deadlines.resolve_by = T0 + timedelta(hours=48)
    await store.open(later)
    assert await store.fire(T0 + timedelta(hours=44)) == []
    assert [e.data.clock for e in await store.fire(T0 + timedelta(hours=48))] == ["resolution"]  # type: ignore[attr-defined]


def test_an_unreadable_calendar_falls_back_to_24x7() -> None:
    assert domain.calendar_of({"timezone": "Mars/Olympus"}).always_open
    assert domain.calendar_of(None).always_open
    assert domain.calendar_of(CALENDAR) == DEFAULT_CALENDAR


async def test_handlers_cover_retriage_and_progress(store: FollowupStore) -> None:
    handlers = build_handlers(FollowupSettings())
    assert {"ticket.triaged", "ticket.retriaged", "ticket.progress_noted"} <= set(handlers)
    event = triaged()
    assert event.ticket_id is not None
    batches: Sequence[tuple[str, list[Envelope]]] = (
        ("ticket.triaged", [event]),
        ("ticket.progress_noted", [note(event.ticket_id, T0, waiting=True)]),
    )
    for kind, events in batches:
        async with store.uow() as uow:
            await handlers[kind](events, uow)
            await uow.commit()
    assert (await store.clocks(event.ticket_id))["resolution"].state == "paused"
