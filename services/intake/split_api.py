"""The route that undoes a wrong merge: a customer message split off into a ticket of its
own. Thin: parse, call the use case, commit, answer."""

from __future__ import annotations

import uuid

from fastapi import Depends, Request, Response, status

from services.intake import splitting
from services.intake.router import router
from services.intake.settings import IntakeSettings
from services.intake.split_schemas import MessageSplit
from shared.auth import Principal, require_roles
from shared.errors import error_responses
from shared.http import unit_of_work
from shared.outbox import UnitOfWork

_splitters = require_roles("agent", "supervisor")


@router.post(
    "/tickets/{ticket_id}/messages/{message_id}/split",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageSplit,
    summary="Split a customer message off into a new ticket (undo a wrong merge)",
    description="When one issue, one ticket joined a request to a ticket it is not the issue "
    "of, an agent or supervisor of the ticket's team (or its assignee, or an admin) splits the "
    "message off: a new ticket of the same customer, numbered, acknowledged and announced "
    "with `ticket.received`, so it is triaged and assigned like any new ticket. The original "
    "keeps the message marked as split and a staff-only timeline line naming who split it. "
    "Repeating the call returns the same new ticket (200, `replayed: true`, header "
    "`Idempotent-Replayed: true`). Another team's ticket is 403 `not_your_ticket`; a message "
    "not on this ticket is 404 `message_not_found`.",
    responses={
        200: {"model": MessageSplit, "description": "Split already: the same new ticket."},
        **error_responses(401, 403, 404, 422),
    },
)
async def split_message(
    ticket_id: uuid.UUID,
    message_id: uuid.UUID,
    request: Request,
    response: Response,
    principal: Principal = Depends(_splitters),
    uow: UnitOfWork = Depends(unit_of_work),
) -> MessageSplit:
    settings: IntakeSettings = request.app.state.settings
    numbers = getattr(request.app.state, "ticket_numbers", None)
    split = await splitting.split_message(uow, principal, ticket_id, message_id, settings, numbers)
    await uow.commit()
    if split.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return MessageSplit(
        ticket_id=split.ticket.id,
        ticket_no=split.ticket.ticket_no,
        split_from_ticket_id=split.original.id,
        split_from_ticket_no=split.original.ticket_no,
        message_id=split.message.id,
        match_reason=split.message.match_reason,
        replayed=split.replayed,
    )
