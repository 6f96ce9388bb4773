"""Routes of shifts: a team's roster (its supervisor or an admin sets it; versioned, with
the actor), its history, and who is on shift now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.api.common import (
    READERS,
    SUPERVISORS,
    committed,
    settings_of,
    supervisor_change,
)
from services.dispatch.models import Agent
from services.dispatch.people.models import name_of
from services.dispatch.roster import existing_team
from services.dispatch.settings import DispatchSettings
from services.dispatch.shifts import exceptions_api, repository, service
from services.dispatch.shifts.loading import rosters_at
from services.dispatch.shifts.models import ShiftRoster, ShiftRosterChange
from services.dispatch.shifts.schemas import (
    DayView,
    NextShift,
    OnShiftAgent,
    OnShiftView,
    RosterBody,
    RosterChangeView,
    RosterView,
)
from shared.auth import Principal
from shared.errors import ApiError, error_responses
from shared.events import utcnow
from shared.http import read_session, unit_of_work
from shared.inputs import AwareInstant
from shared.outbox import UnitOfWork

router = APIRouter(prefix="/v1")

SHIFT_DOC = (
    " Shift times are wall-clock times in the roster's time zone; a shift whose end is not"
    " after its start runs into the next day. Dispatch assigns only to online agents on shift;"
    " the queue drains when a shift starts (a timer on every replica, serialised by the"
    " team's agent locks). A roster follows China's official holiday schedule (calendar"
    " china): on a day off a pattern runs only with holidays=work; on a make-up workday"
    " (调休上班) the weekday patterns run. Leave, swaps and extra shifts"
    " (…/shift-exceptions) apply on top."
)


async def _roster(session: AsyncSession, key: str) -> ShiftRoster:
    await existing_team(session, key)
    row = await repository.get_roster(session, key)
    if row is None:
        raise ApiError(404, "shift_roster_not_found", f"Team {key} has no shift roster.")
    return row


@router.get(
    "/teams/{key}/shifts",
    response_model=RosterView,
    tags=["shifts"],
    summary="A team's shift roster",
    description="404 shift_roster_not_found: the team works without shifts." + SHIFT_DOC,
    responses=error_responses(401, 403, 404),
    dependencies=[READERS],
)
async def get_roster(key: str, session: AsyncSession = Depends(read_session)) -> ShiftRoster:
    return await _roster(session, key)


@router.put(
    "/teams/{key}/shifts",
    response_model=RosterView,
    tags=["shifts"],
    summary="Set a team's shift roster (its supervisor, or admin); applied at once",
    description=(
        "A new version, recorded with who set it (GET …/shifts/history). Refusals: 404"
        " team_not_found, 403 not_team_supervisor, 422 agent_not_in_team, 409"
        " roster_version_conflict (expected_version is not the current version)." + SHIFT_DOC
    ),
    responses=error_responses(401, 403, 404, 409, 422),
)
async def put_roster(
    key: str,
    body: RosterBody,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> ShiftRoster:
    change = await supervisor_change(uow.session, key, principal, settings)
    roster = service.set_roster(
        uow,
        key,
        timezone=body.timezone,
        handover=body.handover,
        calendar=body.calendar,
        shifts=[s.model_dump(mode="json") for s in body.shifts],
        expected_version=body.expected_version,
        **change,
    )
    return await committed(uow, roster)


@router.delete(
    "/teams/{key}/shifts",
    status_code=204,
    response_class=Response,
    tags=["shifts"],
    summary="Remove a team's roster: every online agent takes work again",
    responses=error_responses(401, 403, 404),
)
async def delete_roster(
    key: str,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> Response:
    change = await supervisor_change(uow.session, key, principal, settings)
    await committed(uow, service.remove_roster(uow, key, **change))
    return Response(status_code=204)


@router.get(
    "/teams/{key}/shifts/history",
    response_model=list[RosterChangeView],
    tags=["shifts"],
    summary="Every version of a team's roster, newest first, with who set it",
    responses=error_responses(401, 403, 404, 422),
    dependencies=[READERS],
)
async def roster_history(
    key: str,
    limit: int = Query(default=50, ge=1, le=500),
    session: AsyncSession = Depends(read_session),
) -> Sequence[ShiftRosterChange]:
    await existing_team(session, key)
    return await repository.changes(session, ShiftRosterChange, key, limit)


@router.get(
    "/teams/{key}/on-shift",
    response_model=OnShiftView,
    tags=["shifts"],
    summary="Who is on shift now (or at ?at=), who of them takes work, and the next shift",
    responses=error_responses(401, 403, 404, 422),
    dependencies=[READERS],
)
async def on_shift(
    key: str,
    at: AwareInstant | None = Query(default=None, examples=["2026-12-02T08:30:00+08:00"]),
    session: AsyncSession = Depends(read_session),
) -> OnShiftView:
    await existing_team(session, key)
    moment: datetime = at or utcnow()
    row = await repository.get_roster(session, key)
    agents = await repository.agents_of(session, key)
    queued = await repository.queued_count(session, key)
    if row is None:
        return OnShiftView(
            team_key=key,
            at=moment,
            timezone="UTC",
            has_roster=False,
            shifts_now=[],
            agents=[_agent(a, None, None) for a in agents],
            takes_work=[a.id for a in agents if a.status == "online"],
            queued=queued,
        )
    roster = (await rosters_at(session, moment, key))[key]
    working = roster.on_shift(moment)
    upcoming = roster.next_crew(moment)
    today = roster.local(moment).date()
    on = [a for a in agents if a.id in working]
    return OnShiftView(
        team_key=key,
        at=roster.local(moment),
        timezone=roster.timezone,
        has_roster=True,
        handover=roster.handover,
        day=DayView(
            date=today,
            kind=(
                "holiday"
                if roster.calendar.is_holiday(today)
                else "makeup_workday"
                if roster.calendar.is_makeup_workday(today)
                else "normal"
            ),
            calendar_known=roster.calendar.knows(today.year),
        ),
        shifts_now=sorted({shift.name for shift, _s, _e in roster.current(moment)}),
        agents=[_agent(a, working[a.id][0].name, working[a.id][1]) for a in on],
        takes_work=[a.id for a in on if a.status == "online"],
        queued=queued,
        next_shift=(
            NextShift(
                name=upcoming.shift.name,
                starts_at=upcoming.started,
                agent_ids=sorted(upcoming.agent_ids),
            )
            if upcoming
            else None
        ),
        exceptions_today=await exceptions_api.views(
            session, await repository.exceptions_between(session, today, today, key)
        ),
    )


def _agent(agent: Agent, shift: str | None, until: datetime | None) -> OnShiftAgent:
    return OnShiftAgent(
        id=agent.id,
        name=agent.name,
        display_name=name_of(agent),
        status=agent.status,
        active_count=agent.active_count,
        capacity=agent.capacity,
        shift=shift,
        until=until,
    )
