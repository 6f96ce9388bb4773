"""Intake's HTTP routes: thin — parse, call the use case, commit, answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Header, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import domain, repository, service
from services.intake.schemas import (
    CustomerView,
    MessageAccepted,
    MessageCreate,
    TicketCreate,
    TicketCreated,
    TicketSummary,
    TicketView,
    TimelineItem,
)
from services.intake.settings import IntakeSettings
from shared.auth import require_roles
from shared.errors import error_responses, not_found
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork

router = APIRouter(prefix="/v1", tags=["tickets"])


def _settings(request: Request) -> IntakeSettings:
    settings: IntakeSettings = request.app.state.settings
    return settings


@router.post(
    "/tickets",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketCreated,
    summary="Open a ticket from any channel",
    description="Finds or creates the customer, numbers the ticket and acknowledges it. "
    "The same `Idempotency-Key` returns the same ticket (header `Idempotent-Replayed: true`).",
    responses=error_responses(401, 403, 413, 422),
    dependencies=[Depends(require_roles("gateway"))],
)
async def create_ticket(
    payload: TicketCreate,
    response: Response,
    request: Request,
    uow: UnitOfWork = Depends(unit_of_work),
    idempotency_key: str | None = Header(
        default=None, max_length=128, examples=["gw-20261122-0001"]
    ),
) -> TicketCreated:
    result = await service.receive_ticket(uow, payload, idempotency_key, _settings(request))
    await uow.commit()
    ticket = result.ticket
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return TicketCreated(
        ticket_id=ticket.id,
        ticket_no=ticket.ticket_no,
        customer_id=ticket.customer_id,
        customer_type=ticket.customer_type,
        status=ticket.status,
        acknowledgement=ticket.acknowledgement,
    )


@router.get(
    "/tickets/{ticket_id}",
    response_model=TicketView,
    summary="Status and timeline as the customer may see them",
    responses=error_responses(401, 404),
    dependencies=[Depends(require_roles("gateway", "agent", "supervisor", "viewer"))],
)
async def get_ticket(
    ticket_id: uuid.UUID, session: AsyncSession = Depends(read_session)
) -> TicketView:
    ticket = await repository.get_ticket(session, ticket_id)
    if ticket is None:
        raise not_found("ticket", ticket_id)
    entries = await repository.timeline(session, ticket_id, customer_visible_only=True)
    return TicketView(
        ticket_id=ticket.id,
        ticket_no=ticket.ticket_no,
        channel=ticket.channel,
        subject=ticket.subject,
        status=ticket.status,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        timeline=[TimelineItem(at=e.at, kind=e.kind, text=e.text) for e in entries],
    )


@router.post(
    "/tickets/{ticket_id}/messages",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageAccepted,
    summary="Add a customer message to a ticket",
    responses=error_responses(401, 403, 404, 422),
    dependencies=[Depends(require_roles("gateway"))],
)
async def add_message(
    ticket_id: uuid.UUID, payload: MessageCreate, uow: UnitOfWork = Depends(unit_of_work)
) -> MessageAccepted:
    message_id = await service.add_customer_message(uow, ticket_id, payload)
    await uow.commit()
    return MessageAccepted(message_id=message_id, ticket_id=ticket_id)


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerView,
    summary="Customer profile and ticket history (contacts masked)",
    tags=["customers"],
    responses=error_responses(401, 403, 404),
    dependencies=[Depends(require_roles("gateway", "agent", "supervisor", "viewer"))],
)
async def get_customer(
    customer_id: uuid.UUID, session: AsyncSession = Depends(read_session)
) -> CustomerView:
    customer = await repository.get_customer(session, customer_id)
    if customer is None:
        raise not_found("customer", customer_id)
    tickets = await repository.tickets_of_customer(session, customer_id)
    return CustomerView(
        customer_id=customer.id,
        name=customer.name,
        masked_phone=domain.mask_phone(customer.phone) if customer.phone else None,
        masked_email=domain.mask_email(customer.email) if customer.email else None,
        member_id=customer.member_id,
        customer_type=domain.customer_type(customer.is_vip, max(customer.ticket_count - 1, 0)),
        tickets=[
            TicketSummary(
                ticket_id=t.id,
                ticket_no=t.ticket_no,
                subject=t.subject,
                status=t.status,
                created_at=t.created_at,
            )
            for t in tickets
        ],
    )
