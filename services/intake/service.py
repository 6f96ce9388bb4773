"""Intake's use cases. They change state and emit events through the unit of work;
the caller (route or handler) commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from services.intake import domain, repository
from services.intake.models import Customer, Ticket, TimelineEntry
from services.intake.schemas import CustomerIn, MessageCreate, TicketCreate
from services.intake.settings import IntakeSettings
from shared.errors import ApiError, not_found
from shared.events import (
    TicketMessageAdded,
    TicketMessageAddedData,
    TicketReceived,
    TicketReceivedData,
    utcnow,
)
from shared.outbox import UnitOfWork


@dataclass
class NewTicket:
    ticket: Ticket
    replayed: bool = False


def _normalised_identity(
    customer: CustomerIn, settings: IntakeSettings
) -> tuple[str | None, str | None]:
    try:
        phone = (
            domain.normalise_phone(customer.phone, settings.phone_region)
            if customer.phone
            else None
        )
    except domain.InvalidPhone as exc:
        raise ApiError(422, "invalid_phone", f"customer.phone: {exc}") from exc
    email = domain.normalise_email(str(customer.email)) if customer.email else None
    return phone, email


async def _find_or_create_customer(
    uow: UnitOfWork, data: CustomerIn, phone: str | None, email: str | None
) -> Customer:
    now = utcnow()
    matches = await repository.find_customers(
        uow.session, phone=phone, email=email, member_id=data.member_id
    )
    if matches:
        # Profile merging across identifiers belongs to the identity work of the
        # intake issue; until then the oldest matching profile wins.
        customer = min(matches, key=lambda c: c.created_at)
        customer.name = customer.name or data.name
        if phone and not customer.phone and not any(c.phone == phone for c in matches):
            customer.phone = phone
        if email and not customer.email and not any(c.email == email for c in matches):
            customer.email = email
        if (
            data.member_id
            and not customer.member_id
            and not any(c.member_id == data.member_id for c in matches)
        ):
            customer.member_id = data.member_id
        customer.updated_at = now
        return customer
    customer = Customer(
        id=uuid.uuid4(),
        name=data.name,
        phone=phone,
        email=email,
        member_id=data.member_id,
        is_vip=False,
        ticket_count=0,
        created_at=now,
        updated_at=now,
    )
    repository.add(uow.session, customer)
    return customer


async def receive_ticket(
    uow: UnitOfWork, payload: TicketCreate, idempotency_key: str | None, settings: IntakeSettings
) -> NewTicket:
    if idempotency_key:
        existing = await repository.ticket_by_idempotency_key(uow.session, idempotency_key)
        if existing is not None:
            return NewTicket(existing, replayed=True)
    if len(payload.description) > settings.description_max_length:
        raise ApiError(
            413,
            "description_too_long",
            f"description is longer than {settings.description_max_length} characters",
        )
    phone, email = _normalised_identity(payload.customer, settings)
    customer = await _find_or_create_customer(uow, payload.customer, phone, email)
    kind = domain.customer_type(customer.is_vip, customer.ticket_count)
    customer.ticket_count += 1

    now = utcnow()
    language = payload.language or settings.default_language
    sequence = await repository.next_ticket_sequence(uow.session, now.date())
    ticket_no = domain.ticket_number(now, sequence)
    ticket = Ticket(
        id=uuid.uuid4(),
        ticket_no=ticket_no,
        idempotency_key=idempotency_key,
        customer_id=customer.id,
        customer_type=kind,
        channel=payload.channel,
        subject=payload.subject,
        description=payload.description,
        order_no=payload.order_no,
        preferred_contact=payload.preferred_contact,
        extra=payload.metadata,
        language=language,
        status="received",
        acknowledgement=domain.acknowledgement(ticket_no, language),
        created_at=now,
        updated_at=now,
    )
    timeline = TimelineEntry(
        ticket_id=ticket.id,
        kind="received",
        text=domain.timeline_text("received", language),
        at=now,
    )
    repository.add(uow.session, ticket, timeline)
    uow.emit(
        TicketReceived(
            ticket_id=ticket.id,
            data=TicketReceivedData(
                ticket_no=ticket_no,
                channel=payload.channel,
                customer_id=customer.id,
                customer_type=kind,
                masked_contact=domain.masked_contact(phone, email),
                preferred_contact=payload.preferred_contact,
                subject=payload.subject,
                description=payload.description,
                order_no=payload.order_no,
                metadata=payload.metadata,
                received_at=now,
            ),
        )
    )
    try:
        await uow.session.flush()
    except IntegrityError:
        # Another replica took the same idempotency key a moment ago.
        await uow.rollback()
        if idempotency_key:
            existing = await repository.ticket_by_idempotency_key(uow.session, idempotency_key)
            if existing is not None:
                return NewTicket(existing, replayed=True)
        raise
    return NewTicket(ticket)


async def add_customer_message(
    uow: UnitOfWork, ticket_id: uuid.UUID, payload: MessageCreate
) -> uuid.UUID:
    ticket = await repository.get_ticket(uow.session, ticket_id)
    if ticket is None:
        raise not_found("ticket", ticket_id)
    message_id = uuid.uuid4()
    now = utcnow()
    ticket.updated_at = now
    repository.add(
        uow.session,
        TimelineEntry(ticket_id=ticket.id, kind="customer_message", text=payload.body, at=now),
    )
    uow.emit(
        TicketMessageAdded(
            ticket_id=ticket.id,
            data=TicketMessageAddedData(
                message_id=message_id, author="customer", channel=payload.channel, body=payload.body
            ),
        )
    )
    return message_id
