"""Receiving a ticket through the use case on a store migrated with Alembic (SQLite and
PostgreSQL): the customer, the ticket, its masked event, replays and numbering."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from intake_support import RAW_PHONE, IntakeStore, ticket_payload

from services.intake.models import Customer, Ticket, TimelineEntry
from services.intake.reception import receive_ticket
from services.intake.settings import IntakeSettings
from shared.errors import ApiError
from shared.events import TicketReceived, parse_event, utcnow


async def test_receive_ticket_writes_customer_ticket_and_a_masked_event(
    intake_db: IntakeStore,
) -> None:
    settings = IntakeSettings()
    async with intake_db.uow() as uow:
        result = await receive_ticket(uow, ticket_payload(), "key-1", settings)
        await uow.commit()
    assert not result.replayed
    ticket = result.ticket
    assert ticket.status == "received"
    assert ticket.customer_type == "new"
    assert ticket.ticket_no in ticket.acknowledgement

    async with intake_db.sessions() as session:
        customer = await session.get(Customer, ticket.customer_id)
        stored = await session.get(Ticket, ticket.id)
        timeline = (
            await session.scalars(
                sa.select(TimelineEntry).where(TimelineEntry.ticket_id == ticket.id)
            )
        ).all()
    assert customer is not None and customer.phone == "+8613812345678"
    assert customer.ticket_count == 1
    assert stored is not None and stored.idempotency_key == "key-1"
    assert [entry.kind for entry in timeline] == ["received"]

    # The acknowledgement also goes out on the notifications topic (the one topic that
    # may carry the raw contact); the lifecycle event on the intake topic is masked.
    all_rows = await intake_db.outbox()
    assert [(r.type, r.topic) for r in all_rows] == [
        ("ticket.received", "test.intake"),
        ("notification.outgoing", "test.notifications"),
    ]
    rows = [r for r in all_rows if r.topic == "test.intake"]
    assert len(rows) == 1
    row = rows[0]
    assert (row.type, row.topic, row.key) == ("ticket.received", "test.intake", str(ticket.id))
    assert row.published_at is None
    event = parse_event(row.payload)
    assert isinstance(event, TicketReceived)
    assert event.ticket_id == ticket.id
    assert event.producer == "intake"
    assert event.data.masked_contact == "138****5678"
    assert event.data.customer_id == customer.id
    assert event.data.ticket_no == ticket.ticket_no
    for raw in (RAW_PHONE, "+8613812345678", "12345678"):
        assert raw not in row.payload, f"raw phone digits {raw!r} leaked into the event"
        assert raw not in json.dumps(row.headers)


async def test_same_idempotency_key_replays_the_same_ticket(intake_db: IntakeStore) -> None:
    settings = IntakeSettings()
    async with intake_db.uow() as uow:
        first = await receive_ticket(uow, ticket_payload(), "same-key", settings)
        await uow.commit()
    async with intake_db.uow() as uow:
        again = await receive_ticket(uow, ticket_payload(), "same-key", settings)
        await uow.commit()
    assert again.replayed
    assert again.ticket.id == first.ticket.id
    assert again.ticket.ticket_no == first.ticket.ticket_no
    assert [r.type for r in await intake_db.outbox()] == [
        "ticket.received",
        "notification.outgoing",  # the acknowledgement, sent once
    ]
    assert await intake_db.count(Ticket) == 1
    async with intake_db.sessions() as session:
        customer = await session.get(Customer, first.ticket.customer_id)
    assert customer is not None and customer.ticket_count == 1


async def test_second_ticket_of_a_phone_is_returning_and_numbers_are_sequential(
    intake_db: IntakeStore,
) -> None:
    settings = IntakeSettings()
    tickets = []
    # The same number written two ways is the same customer (with a different issue, so
    # the second request is not de-duplicated onto the first ticket).
    for phone, subject in ((RAW_PHONE, "账号无法登录"), ("+86 138 1234 5678", "发票抬头开错了")):
        body = ticket_payload(phone, subject=subject, description=f"{subject},请尽快处理。")
        async with intake_db.uow() as uow:
            tickets.append((await receive_ticket(uow, body, None, settings)).ticket)
            await uow.commit()
    first, second = tickets
    assert second.customer_id == first.customer_id
    assert (first.customer_type, second.customer_type) == ("new", "returning")
    # Numbered by the date in the service team's time zone, not by UTC's.
    day = utcnow().astimezone(ZoneInfo(settings.display_timezone)).strftime("%Y%m%d")
    assert [t.ticket_no for t in tickets] == [f"T{day}-000001", f"T{day}-000002"]
    assert await intake_db.count(Customer) == 1
    events = await intake_db.events("ticket.received")
    assert [e.data.customer_type for e in events] == ["new", "returning"]  # type: ignore[attr-defined]


async def test_invalid_phone_is_an_api_error_and_writes_nothing(intake_db: IntakeStore) -> None:
    async with intake_db.uow() as uow:
        with pytest.raises(ApiError) as caught:
            await receive_ticket(uow, ticket_payload("12345"), "bad-phone", IntakeSettings())
        await uow.rollback()
    assert caught.value.status == 422
    assert caught.value.code == "invalid_phone"
    assert await intake_db.count(Customer) == 0
    assert await intake_db.count(Ticket) == 0
    assert await intake_db.outbox() == []
