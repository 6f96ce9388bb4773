"""Routes of per-agent exceptions to a roster: leave, swapped and extra shifts (the team's
supervisor or an admin adds and removes them; each change numbered with its actor)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch import repository as dispatch_repository
from services.dispatch.api.common import (
    READERS,
    SUPERVISORS,
    committed,
    settings_of,
    supervisor_change,
)
from services.dispatch.people.models import name_of
from services.dispatch.roster import existing_team
from services.dispatch.settings import DispatchSettings
from services.dispatch.shifts import exceptions, repository
from services.dispatch.shifts.models import ShiftException, ShiftExceptionChange
from services.dispatch.shifts.schemas import ExceptionBody, ExceptionChangeView, ExceptionView
from shared.auth import Principal
from shared.errors import ApiError, error_responses
from shared.events import utcnow
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork

router = APIRouter(prefix="/v1")

REFUSALS = (
    " Refusals: 404 team_not_found, shift_roster_not_found; 403 not_team_supervisor; 422"
    " unknown_agent, agent_not_in_team, end_before_start, leave_too_long, one_day_only,"
    " swap_needs_shift, swap_with_self, unknown_shift, not_their_shift (the replaced agent"
    " does not work that shift that day, by the roster and its calendar), extra_needs_times;"
    " 409 exception_overlap (the agent's leave and a shift they work, two leaves, a shift"
    " taken over twice, overlapping extra shifts)."
)


async def views(session: AsyncSession, rows: Sequence[ShiftException]) -> list[ExceptionView]:
    """Exceptions with the agent's display name (for pages that list who is on leave)."""
    names = {a.id: name_of(a) for a in await dispatch_repository.list_agents(session)}
    return [
        ExceptionView.model_validate(row).model_copy(update={"agent_name": names.get(row.agent_id)})
        for row in rows
    ]


@router.get(
    "/teams/{key}/shift-exceptions",
    response_model=list[ExceptionView],
    tags=["shifts"],
    summary="A team's leave, swapped and extra shifts touching the days from..to",
    description="Days in the roster's time zone; default: today (UTC date) and 30 days on."
    " 422 end_before_start when to is before from.",
    responses=error_responses(401, 403, 404, 422),
    dependencies=[READERS],
)
async def list_exceptions(
    key: str,
    first: date | None = Query(default=None, alias="from", examples=["2026-12-01"]),
    last: date | None = Query(default=None, alias="to", examples=["2026-12-31"]),
    session: AsyncSession = Depends(read_session),
) -> list[ExceptionView]:
    await existing_team(session, key)
    start = first or utcnow().date()
    end = last or start + timedelta(days=30)
    if end < start:
        raise ApiError(422, "end_before_start", f"to {end} is before from {start}.")
    return await views(session, await repository.exceptions_between(session, start, end, key))


@router.post(
    "/teams/{key}/shift-exceptions",
    response_model=ExceptionView,
    status_code=201,
    tags=["shifts"],
    summary="Add leave, a swapped shift or an extra shift (the team's supervisor, or admin)",
    description="Applied at once: an agent whose leave starts now hands over open work by"
    " the team's handover, and the queue drains to whoever is on shift." + REFUSALS,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def add_exception(
    key: str,
    body: ExceptionBody,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> ExceptionView:
    change = await supervisor_change(uow.session, key, principal, settings)
    new = exceptions.NewException(**body.model_dump())
    row = await exceptions.add_exception(uow, key, new, **change)
    (view,) = await views(uow.session, [row])
    await uow.commit()
    return view


@router.delete(
    "/teams/{key}/shift-exceptions/{exception_id}",
    status_code=204,
    response_class=Response,
    tags=["shifts"],
    summary="Remove an exception (the team's supervisor, or admin); recorded in the history",
    responses=error_responses(401, 403, 404),
)
async def remove_exception(
    key: str,
    exception_id: uuid.UUID,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> Response:
    change = await supervisor_change(uow.session, key, principal, settings)
    await committed(uow, exceptions.remove_exception(uow, key, exception_id, **change))
    return Response(status_code=204)


@router.get(
    "/teams/{key}/shift-exceptions/history",
    response_model=list[ExceptionChangeView],
    tags=["shifts"],
    summary="Every exception added or removed, newest first, with who did it",
    responses=error_responses(401, 403, 404, 422),
    dependencies=[READERS],
)
async def exception_history(
    key: str,
    limit: int = Query(default=50, ge=1, le=500),
    session: AsyncSession = Depends(read_session),
) -> Sequence[ShiftExceptionChange]:
    await existing_team(session, key)
    return await repository.changes(session, ShiftExceptionChange, key, limit)
