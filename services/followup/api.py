"""Follow-up's HTTP routes."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from services.followup import repository
from services.followup.schemas import ClockView, TicketSla
from shared.auth import require_roles
from shared.errors import error_responses, not_found
from shared.http import read_session

router = APIRouter(prefix="/v1", tags=["sla"])


@router.get(
    "/sla/{ticket_id}",
    response_model=TicketSla,
    summary="A ticket's SLA clocks: deadlines, warning times, met or breached",
    responses=error_responses(401, 403, 404),
    dependencies=[Depends(require_roles("agent", "supervisor", "viewer"))],
)
async def get_ticket_sla(
    ticket_id: uuid.UUID, session: AsyncSession = Depends(read_session)
) -> TicketSla:
    clocks = await repository.clocks_of_ticket(session, ticket_id)
    if not clocks:
        raise not_found("sla", ticket_id)
    return TicketSla(ticket_id=ticket_id, clocks=[ClockView.model_validate(c) for c in clocks])
