"""Finding tickets by what an agent has at hand: a ticket number, a phone, an e-mail, a
member id, an order number or words of the subject or description; within the caller's
scope. Reads only."""

from __future__ import annotations

import contextlib
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import access, domain, repository
from services.intake.schemas import SearchHit
from services.intake.settings import IntakeSettings
from services.intake.ticket_reading import TICKET_NO
from shared.auth import Principal
from shared.errors import ApiError
from shared.observability import mask_contact


def masked_name(name: str | None) -> str | None:
    """A customer's name as search lists it: its first character (张三 → 张*)."""
    if not name:
        return name
    return name[0] + "*" * max(1, min(len(name) - 1, 3))


async def _customers(
    session: AsyncSession, q: str, settings: IntakeSettings
) -> dict[uuid.UUID, str]:
    """The profiles ``q`` names as a phone, e-mail or member id, with how."""
    found: dict[uuid.UUID, str] = {}
    readings: list[tuple[str, str]] = [("member_id", q)]
    if "@" in q:
        readings.append(("email", domain.normalise_email(q)))
    elif sum(ch.isdigit() for ch in q) >= 7:
        with contextlib.suppress(domain.InvalidPhone):  # not a phone: other readings
            readings.append(("phone", domain.normalise_phone(q, settings.phone_region)))
    for kind, value in readings:
        for customer_id in await repository.customer_ids_by_identifier(session, kind, value):
            found.setdefault(customer_id, kind)
    return found


async def search(
    session: AsyncSession, principal: Principal, q: str, limit: int, settings: IntakeSettings
) -> list[SearchHit]:
    q = q.strip()
    if not q:  # blank words would match every ticket
        raise ApiError(422, "empty_query", "q: give a ticket number, contact, order or words.")
    ticket_no = q.upper() if TICKET_NO.match(q.upper()) else None
    customers = await _customers(session, q, settings)
    scope = access.scope_of(principal)
    rows = await repository.search_tickets(
        session,
        ticket_no=ticket_no,
        customer_ids=list(customers),
        order_no=q,
        words=q,
        teams=scope.teams,
        person_id=scope.person_id,
        limit=limit,
    )
    folded = q.casefold()
    hits = []
    for ticket, name in rows:
        matched: list[str] = []
        if ticket_no and ticket.ticket_no == ticket_no:
            matched.append("ticket_no")
        if ticket.customer_id in customers:
            matched.append(customers[ticket.customer_id])
        if ticket.order_no == q:
            matched.append("order_no")
        if folded in ticket.subject.casefold() or folded in ticket.description.casefold():
            matched.append("words")
        hits.append(
            SearchHit(
                ticket_id=ticket.id,
                ticket_no=ticket.ticket_no,
                subject=mask_contact(ticket.subject),
                status=ticket.status,
                team=ticket.team,
                customer_name=masked_name(name),
                matched=matched,
                created_at=ticket.created_at,
            )
        )
    return hits
