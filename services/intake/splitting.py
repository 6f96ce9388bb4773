"""Undoing a wrong merge: a customer message that one issue, one ticket (or the customer)
put on a ticket it does not belong to becomes a ticket of its own. The caller commits.

The new ticket is numbered, acknowledged and announced with ``ticket.received`` like any
other, so triage classifies it and dispatch assigns it through the normal events. The
original keeps the message, marked ``split_into_id`` (its conversation no longer lists
it), and a staff-only timeline line saying who split it into which ticket.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from services.intake import access, domain, issue_match, repository, template_service
from services.intake.models import Customer, Ticket, TicketMessage, TimelineEntry
from services.intake.notices import notify_customer
from services.intake.numbering import TicketNumbers
from services.intake.settings import IntakeSettings
from shared.auth import Principal
from shared.errors import not_found
from shared.events import TicketReceived, TicketReceivedData, utcnow
from shared.outbox import UnitOfWork


@dataclass(frozen=True)
class Split:
    ticket: Ticket
    original: Ticket
    message: TicketMessage
    replayed: bool


def _subject_and_description(body: str) -> tuple[str, str]:
    """A message joined by one issue, one ticket is stored as subject, newline, description;
    a posted message is just its text."""
    first, newline, rest = body.partition("\n")
    if newline and first.strip() and rest.strip():
        return first.strip(), rest.strip()
    text = body.strip()
    return domain.derive_subject(text), text


async def _customer(uow: UnitOfWork, customer_id: uuid.UUID) -> Customer:
    customer = await repository.get_customer(uow.session, customer_id)
    while customer is not None and customer.merged_into_id is not None:
        customer = await repository.get_customer(uow.session, customer.merged_into_id)
    if customer is None:  # tickets keep their customer: a broken store
        raise not_found("customer", customer_id)
    return customer


async def split_message(
    uow: UnitOfWork,
    principal: Principal,
    ticket_id: uuid.UUID,
    message_id: uuid.UUID,
    settings: IntakeSettings,
    numbers: TicketNumbers | None,
) -> Split:
    session = uow.session
    # The ticket's row lock makes two splits of one message one split.
    original = await repository.get_ticket(session, ticket_id, lock=True)
    if original is None:
        raise not_found("ticket", ticket_id)
    access.check_ticket(principal, original.team, original.assignee_id)
    message = await repository.message_of_ticket(session, ticket_id, message_id)
    if message is None:
        raise not_found("message", message_id)
    if message.split_into_id is not None:
        done = await repository.get_ticket(session, message.split_into_id)
        if done is None:
            raise not_found("ticket", message.split_into_id)
        return Split(done, original, message, replayed=True)

    customer = await _customer(uow, original.customer_id)
    now = utcnow()
    subject, description = _subject_and_description(message.body)
    subject = subject[: settings.subject_max_length]
    order_no = issue_match.read_issue(subject, description, None).order_no
    local = now.astimezone(ZoneInfo(settings.display_timezone))
    sequence = await (
        numbers.take(session, local.date())
        if numbers is not None
        else repository.next_ticket_sequence(session, local.date())
    )
    ticket_no = domain.ticket_number(local, sequence)
    channel = message.channel or original.channel
    split_from: dict[str, Any] = {
        "ticket_id": str(original.id),
        "ticket_no": original.ticket_no,
        "message_id": str(message.id),
        "match_reason": message.match_reason,
        "by": principal.actor,
        "by_name": principal.actor_name,
        "at": now.isoformat(),
    }
    customer.ticket_count += 1
    ticket = Ticket(
        id=uuid.uuid4(),
        ticket_no=ticket_no,
        customer_id=customer.id,
        customer_type=original.customer_type,
        channel=channel,
        details={"split_from": split_from},
        subject=subject,
        description=description,
        order_no=order_no,
        preferred_contact=original.preferred_contact,
        extra={},
        language=original.language,
        status="received",
        acknowledgement="",
        created_at=now,
        updated_at=now,
    )
    message.split_into_id = ticket.id
    original.updated_at = now
    language = domain.language_of(original.language)
    repository.add(
        session,
        ticket,
        TimelineEntry(
            ticket_id=ticket.id,
            kind="received",
            text=domain.timeline_text("received", language),
            at=now,
        ),
        TimelineEntry(
            ticket_id=original.id,
            kind="message_split",
            text=f"{principal.actor_name} 将客户消息拆分为新工单 {ticket_no}",
            customer_visible=False,
            at=now,
        ),
        TimelineEntry(
            ticket_id=ticket.id,
            kind="split_from",
            text=f"{principal.actor_name} 从工单 {original.ticket_no} 拆分出此工单",
            customer_visible=False,
            at=now,
        ),
    )
    uow.emit(
        TicketReceived(
            ticket_id=ticket.id,
            data=TicketReceivedData(
                ticket_no=ticket_no,
                channel=channel,
                customer_id=customer.id,
                customer_type=original.customer_type,
                masked_contact=domain.masked_contact(customer.phone, customer.email),
                preferred_contact=original.preferred_contact,
                subject=subject,
                description=description,
                order_no=order_no,
                received_at=now,
            ),
        )
    )
    book = await template_service.template_book(session, settings)
    ticket.acknowledgement = await notify_customer(
        uow,
        settings,
        book,
        ticket,
        customer,
        "acknowledgement",
        {},
        phone=customer.phone,
        email=customer.email,
    ) or book.render("acknowledgement", language, "any", {"ticket_no": ticket_no})
    await session.flush()
    return Split(ticket, original, message, replayed=False)
