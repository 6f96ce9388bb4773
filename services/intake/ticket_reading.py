"""What an agent reads of a ticket: found by id or number, within the caller's scope, the
customer's words and everything sent to the customer, contacts masked; canned replies
filled in with the ticket's fields. Reads only."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import access, domain, repository
from services.intake.models import Customer, Ticket
from services.intake.schemas import (
    Assignee,
    ConversationMessage,
    Macro,
    PhoneRecordForm,
    TicketView,
    TimelineItem,
)
from services.intake.templates import MACROS, TEMPLATES, TemplateBook
from shared.auth import Principal
from shared.errors import ApiError
from shared.observability import mask_contact

TICKET_NO = re.compile(r"^T\d{8}-\d{6,}$")


def parse_ticket_ref(ref: str) -> uuid.UUID | str:
    """A ticket's id, or its number (T20261202-000001); 422 ``invalid_ticket_ref`` else."""
    ref = ref.strip()
    if TICKET_NO.match(ref.upper()):
        return ref.upper()
    try:
        return uuid.UUID(ref)
    except ValueError:
        raise ApiError(
            422,
            "invalid_ticket_ref",
            "Give the ticket's id (a UUID) or its number (T20261202-000001).",
        ) from None


async def readable_ticket(session: AsyncSession, principal: Principal, ref: str) -> Ticket:
    """The ticket ``ref`` names, if the caller may read it (404, 403 ``not_your_ticket``)."""
    key = parse_ticket_ref(ref)
    if isinstance(key, uuid.UUID):
        ticket = await repository.get_ticket(session, key)
    else:
        ticket = await repository.ticket_by_no(session, key)
    if ticket is None:
        raise ApiError(404, "ticket_not_found", f"No ticket {ref}.")
    access.check_ticket(principal, ticket.team, ticket.assignee_id)
    return ticket


def _masked(text: str | None) -> str | None:
    return mask_contact(text) if text else text


def phone_record(ticket: Ticket, customer: Customer | None) -> PhoneRecordForm | None:
    if ticket.channel != "phone":
        return None
    call: dict[str, Any] = (ticket.details or {}).get("phone_call") or {}
    return PhoneRecordForm(
        call_started_at=call.get("call_started_at"),
        call_ended_at=call.get("call_ended_at"),
        customer_name=customer.name if customer else None,
        masked_phone=domain.mask_phone(customer.phone) if customer and customer.phone else None,
        member_id=customer.member_id if customer else None,
        customer_type=call.get("customer_type") or ticket.customer_type,
        problem_type=call.get("problem_type"),
        description=mask_contact(ticket.description),
        handler=call.get("handler"),
        verification_steps=[mask_contact(str(s)) for s in call.get("verification_steps") or []],
        resolution=_masked(call.get("resolution")),
    )


async def ticket_view(session: AsyncSession, ticket: Ticket) -> TicketView:
    entries = await repository.timeline(session, ticket.id, customer_visible_only=True)
    customer = await repository.get_customer(session, ticket.customer_id)
    return TicketView(
        ticket_id=ticket.id,
        ticket_no=ticket.ticket_no,
        channel=ticket.channel,
        sub_channel=ticket.sub_channel,
        subject=mask_contact(ticket.subject),
        description=mask_contact(ticket.description),
        customer_id=ticket.customer_id,
        customer_type=ticket.customer_type,
        order_no=ticket.order_no,
        language=ticket.language,
        status=ticket.status,
        team=ticket.team,
        assignee=Assignee(agent_id=ticket.assignee_id, name=ticket.assignee_name)
        if ticket.assignee_id
        else None,
        respond_by=ticket.respond_by,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        timeline=[TimelineItem(at=e.at, kind=e.kind, text=mask_contact(e.text)) for e in entries],
        phone_record=phone_record(ticket, customer),
    )


async def conversation(session: AsyncSession, ticket: Ticket) -> list[ConversationMessage]:
    """The customer's first words, their later messages on every channel and every text
    sent to them, oldest first."""
    said = [
        ConversationMessage(
            id=ticket.id,
            author="customer",
            channel=ticket.channel,
            kind="description",
            body=mask_contact(ticket.description),
            at=ticket.created_at,
        )
    ]
    said += [
        ConversationMessage(
            id=m.id,
            author="customer",
            channel=m.channel or ticket.channel,  # a gateway may name none: the ticket's
            kind="message",
            body=mask_contact(m.body),
            at=m.created_at,
        )
        for m in await repository.customer_messages(session, ticket.id)
    ]
    said += [
        ConversationMessage(
            id=m.id,
            author="agent" if m.author == "agent" else "system",
            actor_id=m.actor,
            actor_name=m.actor_name,
            channel=m.channel,
            kind="notice",
            template=m.template,
            body=mask_contact(m.body),
            at=m.at,
        )
        for m in await repository.outgoing_messages(session, ticket.id)
    ]
    order = {"description": 0, "message": 1, "notice": 2}
    return sorted(said, key=lambda m: (m.at, order[m.kind]))


def macros(
    book: TemplateBook, ticket: Ticket, agent_name: str, team_name: str | None
) -> list[Macro]:
    """The canned replies in the ticket's language, with its fields filled in."""
    language = domain.language_of(ticket.language)
    params = {
        "ticket_no": ticket.ticket_no,
        "agent": agent_name,
        "subject": mask_contact(ticket.subject),
        "order_no": ticket.order_no or "",
        "team": team_name or ticket.team or "",
    }
    found = []
    for key in MACROS:
        chosen = book.version_for(key, language, "chat")
        text = book.render(key, language, "chat", params)
        found.append(Macro(key=key, title=TEMPLATES[key].name, text=text, version=chosen.version))
    return found
