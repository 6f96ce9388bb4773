"""Routes the workspace (and any gateway or team system) reads tickets through: a ticket
by id or number, its conversation, search, a customer's history, audited contact
reveals and canned replies. Thin: parse, call, commit, answer."""

from __future__ import annotations

import uuid

from fastapi import Depends, Path, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import (
    access,
    contact_reveals,
    domain,
    repository,
    template_service,
    ticket_reading,
    ticket_search,
)
from services.intake.customer_schemas import (
    ContactRevealCreate,
    ContactRevealed,
    ContactRevealRecord,
    TicketSummary,
)
from services.intake.models import Customer
from services.intake.router import router
from services.intake.schemas import ConversationView, Macro, SearchResult, TicketView
from services.intake.settings import IntakeSettings
from shared.auth import Principal, require_roles
from shared.errors import error_responses, not_found
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork
from shared.team_copies import team_label

# Ticket reads: gateways (the customer's status), staff; people within their scope.
_ticket_readers = require_roles("gateway", "agent", "supervisor", "viewer")
_customer_readers = require_roles("gateway", "agent", "supervisor", scopes=["customers:read"])

TicketRef = Path(
    description="The ticket's id (UUID) or its number.",
    examples=["T20261202-000001"],
    max_length=64,
)
_SCOPE = (
    " People read the tickets of their teams (supervisors also of the teams they "
    "supervise) and those assigned to them; admins and integration keys read all. "
    "Another team's ticket is 403 `not_your_ticket`."
)


def _settings(request: Request) -> IntakeSettings:
    settings: IntakeSettings = request.app.state.settings
    return settings


@router.get(
    "/tickets/{ticket_ref}",
    response_model=TicketView,
    summary="A ticket by id or number: status, the customer's words, the phone record form",
    description="`ticket_ref` is the id or the number (`T20261202-000001`); anything else is "
    "422 `invalid_ticket_ref`. The timeline is what the customer may see; the description "
    "(the customer's words) and texts have contacts masked." + _SCOPE,
    responses=error_responses(401, 403, 404, 422),
)
async def get_ticket(
    ticket_ref: str = TicketRef,
    principal: Principal = Depends(_ticket_readers),
    session: AsyncSession = Depends(read_session),
) -> TicketView:
    ticket = await ticket_reading.readable_ticket(session, principal, ticket_ref)
    return await ticket_reading.ticket_view(session, ticket)


@router.get(
    "/tickets/{ticket_ref}/messages",
    response_model=ConversationView,
    summary="The conversation with the customer, oldest first",
    description="The customer's first words (`kind: description`), each later message on "
    "every channel (`message`) and every text sent to the customer (`notice`: "
    "acknowledgements and notices by `system`, public replies and results by `agent` with "
    "the acting person). Contacts masked. Internal notes and collaborator requests are "
    "dispatch's (`GET /v1/tickets/{id}/activity` there)." + _SCOPE,
    responses=error_responses(401, 403, 404, 422),
)
async def get_conversation(
    ticket_ref: str = TicketRef,
    principal: Principal = Depends(_ticket_readers),
    session: AsyncSession = Depends(read_session),
) -> ConversationView:
    ticket = await ticket_reading.readable_ticket(session, principal, ticket_ref)
    messages = await ticket_reading.conversation(session, ticket)
    return ConversationView(ticket_id=ticket.id, ticket_no=ticket.ticket_no, messages=messages)


@router.get(
    "/tickets/{ticket_ref}/macros",
    response_model=list[Macro],
    summary="Canned replies filled in with the ticket's fields",
    description="Greeting, restating the need, apology and result (the seeds' scripts), "
    "in the ticket's language, with the ticket number, subject, order number, team and "
    "the caller's name filled in. They are templates `macro.*` of `/v1/templates`, "
    "edited (versioned) like the others." + _SCOPE,
    tags=["templates"],
    responses=error_responses(401, 403, 404, 422),
)
async def get_macros(
    request: Request,
    ticket_ref: str = TicketRef,
    principal: Principal = Depends(require_roles("agent", "supervisor")),
    session: AsyncSession = Depends(read_session),
) -> list[Macro]:
    ticket = await ticket_reading.readable_ticket(session, principal, ticket_ref)
    book = await template_service.template_book(session, _settings(request))
    teams = await repository.teams_by_key(session, [ticket.team] if ticket.team else [])
    language = domain.language_of(ticket.language)
    team_name = team_label(teams, ticket.team, language) if ticket.team else None
    return ticket_reading.macros(book, ticket, principal.actor_name, team_name)


@router.get(
    "/search",
    response_model=SearchResult,
    summary="Find tickets by number, phone, e-mail, member id, order number or words",
    description="`q` is read every way at once: a ticket number, a phone (any format "
    "intake accepts), an e-mail, a member id, an order number, and words found in the "
    "subject or description. Newest first; each hit says what matched. People find only "
    "tickets of their teams (supervisors: also the teams they supervise) and their own; "
    "admins and keys with `tickets:read` all.",
    responses=error_responses(401, 403, 422),
)
async def search_tickets(
    request: Request,
    q: str = Query(min_length=1, max_length=100, examples=["T20261202-000001"]),
    limit: int = Query(default=20, ge=1, le=100),
    principal: Principal = Depends(require_roles("agent", "supervisor", scopes=["tickets:read"])),
    session: AsyncSession = Depends(read_session),
) -> SearchResult:
    items = await ticket_search.search(session, principal, q, limit, _settings(request))
    return SearchResult(q=q, items=items)


async def _customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    customer = await repository.get_customer(session, customer_id)
    for _ in range(10):  # a merged profile answers with the one it was merged into
        if customer is None or customer.merged_into_id is None:
            break
        customer = await repository.get_customer(session, customer.merged_into_id)
    if customer is None:
        raise not_found("customer", customer_id)
    return customer


@router.get(
    "/customers/{customer_id}/tickets",
    response_model=list[TicketSummary],
    summary="A customer's ticket history, newest first",
    description="Every ticket of the profile (and of profiles merged into it); `readable` "
    "says which the caller may open.",
    tags=["customers"],
    responses=error_responses(401, 403, 404),
)
async def customer_history(
    customer_id: uuid.UUID,
    limit: int = Query(default=50, ge=1, le=200),
    principal: Principal = Depends(_customer_readers),
    session: AsyncSession = Depends(read_session),
) -> list[TicketSummary]:
    customer = await _customer(session, customer_id)
    scope = access.scope_of(principal)
    return [
        TicketSummary.of(t, readable=scope.admits(t.team, t.assignee_id))
        for t in await repository.tickets_of_customer(session, customer.id, limit)
    ]


@router.post(
    "/customers/{customer_id}/contacts/reveal",
    response_model=ContactRevealed,
    status_code=status.HTTP_201_CREATED,
    summary="Show one raw contact of a customer (audited)",
    description="Give `contact_id` (from the profile's `identifiers`) or `kind` (the primary "
    "phone or e-mail), and a `reason`. Each reveal is kept: who, when, why "
    "(`GET .../reveals`). Signed-in people only (403 `person_required` for keys); viewers "
    "are refused; an agent or supervisor only for a customer with a ticket of theirs or "
    "their team's (403 `not_your_customer`). 404 `contact_not_found` when the profile has "
    "no such contact.",
    tags=["customers"],
    responses=error_responses(401, 403, 404, 422),
)
async def reveal_contact(
    customer_id: uuid.UUID,
    payload: ContactRevealCreate,
    principal: Principal = Depends(require_roles("agent", "supervisor")),
    uow: UnitOfWork = Depends(unit_of_work),
) -> ContactRevealed:
    customer = await _customer(uow.session, customer_id)
    reveal, value = await contact_reveals.reveal_contact(uow, principal, customer, payload)
    await uow.commit()
    return ContactRevealed(
        reveal_id=reveal.id,
        customer_id=customer.id,
        contact_id=reveal.contact_id,
        kind=reveal.kind,
        value=value,
        revealed_at=reveal.at,
    )


@router.get(
    "/customers/{customer_id}/reveals",
    response_model=list[ContactRevealRecord],
    summary="Who looked at this customer's contacts, when and why",
    description="Newest first; contacts masked. A supervisor reads them for a customer with a "
    "ticket of the teams they supervise (403 `not_your_customer`); admins for all.",
    tags=["customers"],
    responses=error_responses(401, 403, 404),
)
async def list_reveals(
    customer_id: uuid.UUID,
    limit: int = Query(default=100, ge=1, le=500),
    principal: Principal = Depends(require_roles("supervisor")),
    session: AsyncSession = Depends(read_session),
) -> list[ContactRevealRecord]:
    customer = await _customer(session, customer_id)
    await contact_reveals.check_customer_in_scope(session, principal, customer.id)
    return [
        ContactRevealRecord(
            reveal_id=r.id,
            customer_id=r.customer_id,
            contact_id=r.contact_id,
            kind=r.kind,
            masked_value=r.masked_value,
            reason=r.reason,
            ticket_id=r.ticket_id,
            actor_id=r.actor,
            actor_name=r.actor_name,
            at=r.at,
        )
        for r in await repository.contact_reveals(session, customer.id, limit)
    ]
