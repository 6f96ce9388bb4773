"""Per-agent exceptions to a team's roster (use cases; the caller commits): leave (days,
the agent is on no shift that starts then), a swap (agent A works agent B's shift on a
date) and an extra shift. Set by the team's supervisor or an admin; every addition and
removal is numbered per team with its actor (``…/shift-exceptions/history``), like the
roster's versions, and applied at once (an agent whose leave starts now hands over)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from services.dispatch import repository as dispatch_repository
from services.dispatch.routing import DEFAULT_MIN_LEVEL
from services.dispatch.shifts import domain, repository
from services.dispatch.shifts.loading import exception_of, rosters_at
from services.dispatch.shifts.models import ShiftException, ShiftExceptionChange
from services.dispatch.shifts.service import record_change
from shared.errors import ApiError
from shared.outbox import UnitOfWork

KINDS = ("leave", "swap", "extra")
# Leave longer than this is not an exception but a roster change.
MAX_LEAVE_DAYS = 92


@dataclass(frozen=True)
class NewException:
    kind: str
    agent_id: uuid.UUID
    first_day: date
    last_day: date | None = None
    shift: str | None = None
    replaces_agent_id: uuid.UUID | None = None
    start: str | None = None
    end: str | None = None
    note: str = ""


def as_dict(row: ShiftException) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "kind": row.kind,
        "agent_id": str(row.agent_id),
        "replaces_agent_id": str(row.replaces_agent_id) if row.replaces_agent_id else None,
        "shift": row.shift,
        "first_day": row.first_day.isoformat(),
        "last_day": row.last_day.isoformat(),
        "start": row.start,
        "end": row.end,
        "note": row.note,
    }


def _refuse(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, code, message)


async def _member(uow: UnitOfWork, team_key: str, agent_id: uuid.UUID, role: str) -> None:
    agent = await dispatch_repository.get_agent(uow.session, agent_id)
    if agent is None:
        raise _refuse(422, "unknown_agent", f"No agent {agent_id} ({role}).")
    if agent.team_key != team_key:
        raise _refuse(422, "agent_not_in_team", f"Agent {agent.name} is not of team {team_key}.")


def _window(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    begins = datetime.combine(day, start)
    ends = datetime.combine(day, end)
    return begins, ends + timedelta(days=1) if end <= start else ends


def _overlaps(new: domain.Exception_, held: domain.Exception_) -> bool:
    """Two exceptions that cannot both hold."""
    days_meet = new.first_day <= held.last_day and held.first_day <= new.last_day
    if not days_meet:
        return False
    same_agent = new.agent_id == held.agent_id
    if "leave" in (new.kind, held.kind):
        # Leave and anything the same agent works (or other leave) on those days.
        return same_agent
    if new.kind == held.kind == "swap":
        # One person's shift is taken over once; one agent takes one swap of a shift a day.
        return new.shift == held.shift and (new.replaces == held.replaces or same_agent)
    if new.kind == held.kind == "extra" and same_agent:
        assert new.start and new.end and held.start and held.end
        a, b = (
            _window(new.first_day, new.start, new.end),
            _window(held.first_day, held.start, held.end),
        )
        return a[0] < b[1] and b[0] < a[1]
    return False


async def add_exception(
    uow: UnitOfWork,
    team_key: str,
    new: NewException,
    *,
    actor: str,
    actor_name: str,
    at: datetime,
    min_level: int = DEFAULT_MIN_LEVEL,
) -> ShiftException:
    session = uow.session
    roster_row = await repository.get_roster(session, team_key)
    if roster_row is None:
        raise _refuse(404, "shift_roster_not_found", f"Team {team_key} has no shift roster.")
    if new.kind not in KINDS:
        raise _refuse(422, "unknown_exception_kind", f"kind is one of {', '.join(KINDS)}.")
    await _member(uow, team_key, new.agent_id, "agent_id")
    last = new.last_day or new.first_day
    if last < new.first_day:
        raise _refuse(422, "end_before_start", f"last_day {last} is before {new.first_day}.")
    shift, replaces, start, end = None, None, None, None
    if new.kind == "leave":
        if (last - new.first_day).days >= MAX_LEAVE_DAYS:
            raise _refuse(422, "leave_too_long", f"Leave of at most {MAX_LEAVE_DAYS} days.")
    else:
        if last != new.first_day:
            raise _refuse(422, "one_day_only", f"A {new.kind} is on one day (first_day).")
        shift = (new.shift or "").strip() or None
    if new.kind == "swap":
        if new.replaces_agent_id is None or shift is None:
            raise _refuse(422, "swap_needs_shift", "A swap names shift and replaces_agent_id.")
        if new.replaces_agent_id == new.agent_id:
            raise _refuse(422, "swap_with_self", "An agent cannot take over their own shift.")
        await _member(uow, team_key, new.replaces_agent_id, "replaces_agent_id")
        roster = (await rosters_at(session, at, team_key))[team_key]
        patterns = [s for s in roster.shifts if s.name == shift]
        if not patterns:
            raise _refuse(422, "unknown_shift", f"The roster of {team_key} has no shift {shift}.")
        worked = [s for s in patterns if s.runs_on(new.first_day, roster.calendar)]
        if not any(new.replaces_agent_id in s.agent_ids for s in worked):
            raise _refuse(
                422,
                "not_their_shift",
                f"Agent {new.replaces_agent_id} does not work {shift} on {new.first_day}.",
            )
        replaces = new.replaces_agent_id
    if new.kind == "extra":
        if not new.start or not new.end:
            raise _refuse(422, "extra_needs_times", "An extra shift names start and end.")
        start, end = new.start, new.end
    row = ShiftException(
        id=uuid.uuid4(),
        team_key=team_key,
        kind=new.kind,
        agent_id=new.agent_id,
        replaces_agent_id=replaces,
        shift=shift,
        first_day=new.first_day,
        last_day=last,
        start=start,
        end=end,
        note=new.note,
        created_by=actor,
        created_by_name=actor_name,
        created_at=at,
    )
    candidate = exception_of(row)
    for held in await repository.exceptions_between(session, new.first_day, last, team_key):
        if _overlaps(candidate, exception_of(held)):
            raise _refuse(
                409,
                "exception_overlap",
                f"It overlaps the {held.kind} of {held.first_day} ({held.id}).",
            )
    repository.add(session, row)
    await _record(uow, team_key, "added", as_dict(row), actor, actor_name, at, min_level)
    return row


async def remove_exception(
    uow: UnitOfWork,
    team_key: str,
    ident: uuid.UUID,
    *,
    actor: str,
    actor_name: str,
    at: datetime,
    min_level: int = DEFAULT_MIN_LEVEL,
) -> None:
    row = await repository.get_exception(uow.session, ident)
    if row is None or row.team_key != team_key:
        raise _refuse(404, "shift_exception_not_found", f"No exception {ident} in {team_key}.")
    held = as_dict(row)
    await repository.delete_exception(uow.session, ident)
    await _record(uow, team_key, "removed", held, actor, actor_name, at, min_level)


async def _record(
    uow: UnitOfWork,
    team_key: str,
    action: str,
    exception: dict[str, Any],
    actor: str,
    actor_name: str,
    at: datetime,
    min_level: int,
) -> None:
    """Number the change in the team's exception history and apply it at once."""
    version = await repository.last_version(uow.session, ShiftExceptionChange, team_key) + 1
    await record_change(
        uow,
        ShiftExceptionChange,
        team_key,
        version,
        action=action,
        exception=exception,
        actor=actor,
        actor_name=actor_name,
        at=at,
        min_level=min_level,
    )
