"""Every query dispatch makes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from services.dispatch.models import (
    ActivityEntry,
    Agent,
    Assignment,
    Collaboration,
    Compensation,
    ExtensionRequest,
    SupervisorItem,
    Team,
)
from services.dispatch.people.models import Person
from shared.database import mapped_columns, one_of
from shared.events import utcnow


async def get_assignment_by_ticket(
    session: AsyncSession, ticket_id: uuid.UUID
) -> Assignment | None:
    return await session.scalar(sa.select(Assignment).where(Assignment.ticket_id == ticket_id))


async def get_team(session: AsyncSession, key: str) -> Team | None:
    return await session.get(Team, key)


async def assigned_ticket_ids(
    session: AsyncSession, ticket_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not ticket_ids:
        return set()
    result = await session.scalars(
        sa.select(Assignment.ticket_id).where(one_of(session, Assignment.ticket_id, ticket_ids))
    )
    return set(result.all())


async def lock_agents(
    session: AsyncSession,
    online_in_teams: Iterable[str] = (),
    agent_ids: Iterable[uuid.UUID] = (),
) -> list[Agent]:
    """Lock, in one statement and in id order, the online agents of these teams and
    the named agents (whatever their status).

    Every transaction that changes an agent's load takes its agent locks this way
    and before any assignment lock, so replicas never deadlock.
    """
    keys = sorted(set(online_in_teams))
    ids = sorted(set(agent_ids))
    conditions = []
    if keys:
        conditions.append(sa.and_(Agent.team_key.in_(keys), Agent.status == "online"))
    if ids:
        conditions.append(Agent.id.in_(ids))
    if not conditions:
        return []
    result = await session.scalars(
        sa.select(Agent)
        .where(sa.or_(*conditions))
        .order_by(Agent.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(result.all())


# The rows a use case locks by id before it changes them.
Lockable = TypeVar(
    "Lockable", Assignment, SupervisorItem, ExtensionRequest, Compensation, Collaboration
)


async def _lock_by_id(
    session: AsyncSession, model: type[Lockable], ident: uuid.UUID
) -> Lockable | None:
    """One row, locked until commit and read afresh: another transaction may have changed
    it since this session last loaded it."""
    return await session.scalar(
        sa.select(model)
        .where(model.id == ident)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def get_assignment(session: AsyncSession, assignment_id: uuid.UUID) -> Assignment | None:
    return await session.get(Assignment, assignment_id)


async def lock_assignment(session: AsyncSession, assignment_id: uuid.UUID) -> Assignment | None:
    return await _lock_by_id(session, Assignment, assignment_id)


async def lock_assignments_by_ticket(
    session: AsyncSession, ticket_ids: Sequence[uuid.UUID]
) -> list[Assignment]:
    if not ticket_ids:
        return []
    result = await session.scalars(
        sa.select(Assignment)
        .where(Assignment.ticket_id.in_(ticket_ids))
        .order_by(Assignment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(result.all())


async def assignments_by_ticket(
    session: AsyncSession, ticket_ids: Sequence[uuid.UUID]
) -> list[Assignment]:
    if not ticket_ids:
        return []
    result = await session.scalars(
        sa.select(Assignment).where(Assignment.ticket_id.in_(ticket_ids))
    )
    return list(result.all())


async def lock_queued(session: AsyncSession, team_key: str, limit: int) -> list[Assignment]:
    """The head of a team's queue, locked, in serving order (priority, then deadline)."""
    result = await session.scalars(
        sa.select(Assignment)
        .where(Assignment.team_key == team_key, Assignment.state == "queued")
        .order_by(Assignment.priority, Assignment.respond_by, Assignment.created_at)
        .limit(limit)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(result.all())


async def lock_unaccepted_of(session: AsyncSession, agent_id: uuid.UUID) -> list[Assignment]:
    result = await session.scalars(
        sa.select(Assignment)
        .where(Assignment.agent_id == agent_id, Assignment.state == "assigned")
        .order_by(Assignment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(result.all())


async def teams_by_key(session: AsyncSession) -> dict[str, Team]:
    return {team.key: team for team in (await session.scalars(sa.select(Team))).all()}


async def get_agent(session: AsyncSession, agent_id: uuid.UUID) -> Agent | None:
    return await session.get(Agent, agent_id)


async def agents_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Agent]:
    """Agents read (not locked) with their display names, by id."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(sa.select(Agent).where(Agent.id.in_(wanted)))
    return {agent.id: agent for agent in rows.all()}


async def agent_by_name(session: AsyncSession, name: str) -> Agent | None:
    return await session.scalar(sa.select(Agent).where(Agent.name == name))


async def count_agents(session: AsyncSession, team_key: str) -> int:
    return int(
        await session.scalar(
            sa.select(sa.func.count()).select_from(Agent).where(Agent.team_key == team_key)
        )
        or 0
    )


async def count_open_assignments(session: AsyncSession, team_key: str) -> int:
    return int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(Assignment)
            .where(Assignment.team_key == team_key, Assignment.state != "resolved")
        )
        or 0
    )


async def supervisor_items(
    session: AsyncSession, team_key: str, limit: int, state: str | None = None
) -> Sequence[SupervisorItem]:
    query = sa.select(SupervisorItem).where(SupervisorItem.team_key == team_key)
    if state is not None:
        query = query.where(SupervisorItem.state == state)
    return (
        await session.scalars(query.order_by(SupervisorItem.created_at.desc()).limit(limit))
    ).all()


async def lock_supervisor_item(session: AsyncSession, item_id: uuid.UUID) -> SupervisorItem | None:
    return await _lock_by_id(session, SupervisorItem, item_id)


async def items_about(session: AsyncSession, ref_id: uuid.UUID) -> Sequence[SupervisorItem]:
    return (
        await session.scalars(
            sa.select(SupervisorItem).where(SupervisorItem.ref_id == ref_id).with_for_update()
        )
    ).all()


async def person_of(session: AsyncSession, agent_id: uuid.UUID) -> Person | None:
    return await session.get(Person, agent_id)


async def get_extension_request(
    session: AsyncSession, request_id: uuid.UUID
) -> ExtensionRequest | None:
    return await session.get(ExtensionRequest, request_id)


async def lock_extension_request(
    session: AsyncSession, request_id: uuid.UUID
) -> ExtensionRequest | None:
    return await _lock_by_id(session, ExtensionRequest, request_id)


async def pending_extension(
    session: AsyncSession, assignment_id: uuid.UUID
) -> ExtensionRequest | None:
    return await session.scalar(
        sa.select(ExtensionRequest).where(
            ExtensionRequest.assignment_id == assignment_id, ExtensionRequest.state == "pending"
        )
    )


async def extension_requests(
    session: AsyncSession, *, team: str | None, state: str | None, limit: int
) -> Sequence[ExtensionRequest]:
    query = sa.select(ExtensionRequest).order_by(ExtensionRequest.created_at.desc()).limit(limit)
    if team:
        query = query.where(ExtensionRequest.team_key == team)
    if state:
        query = query.where(ExtensionRequest.state == state)
    return (await session.scalars(query)).all()


async def compensations(
    session: AsyncSession,
    *,
    team: str | None = None,
    state: str | None = None,
    assignment_id: uuid.UUID | None = None,
    limit: int = 100,
) -> Sequence[Compensation]:
    query = sa.select(Compensation).order_by(Compensation.created_at.desc()).limit(limit)
    if team:
        query = query.where(Compensation.team_key == team)
    if state:
        query = query.where(Compensation.state == state)
    if assignment_id:
        query = query.where(Compensation.assignment_id == assignment_id)
    return (await session.scalars(query)).all()


async def compensation_total(session: AsyncSession, ticket_id: uuid.UUID, kind: str) -> float:
    """What a ticket already has of one kind, approved or waiting (rejected ones aside)."""
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Compensation.amount), 0.0)).where(
            Compensation.ticket_id == ticket_id,
            Compensation.kind == kind,
            Compensation.state != "rejected",
        )
    )
    return float(total or 0.0)


async def lock_compensation(
    session: AsyncSession, compensation_id: uuid.UUID
) -> Compensation | None:
    return await _lock_by_id(session, Compensation, compensation_id)


async def list_teams(session: AsyncSession) -> Sequence[Team]:
    return (await session.scalars(sa.select(Team).order_by(Team.key))).all()


async def list_agents(session: AsyncSession, team: str | None = None) -> Sequence[Agent]:
    query = sa.select(Agent).order_by(Agent.team_key, Agent.name)
    if team:
        query = query.where(Agent.team_key == team)
    return (await session.scalars(query)).all()


async def agent_names(session: AsyncSession) -> set[str]:
    return set((await session.scalars(sa.select(Agent.name))).all())


OPEN_STATES = ("assigned", "accepted", "waiting_on_customer")
VIEW_STATES = {
    "new": ("assigned",),
    "in_progress": ("accepted",),
    "waiting": ("waiting_on_customer",),
}


async def list_assignments(
    session: AsyncSession,
    *,
    team: str | None,
    agent: uuid.UUID | None,
    state: str | None,
    limit: int,
    view: str | None = None,
    ticket: uuid.UUID | None = None,
    now: datetime | None = None,
    due_soon: timedelta = timedelta(hours=4),
) -> Sequence[Assignment]:
    """Newest first; a view of "my work" (new, in_progress, waiting, due_soon, breached)
    lists open assignments soonest deadline first. The deadline that counts is the
    response deadline until the agent accepts, then the resolution deadline. ``ticket``
    narrows to that ticket's assignment (``ticket_id`` is unique: one row by its index)."""
    query = sa.select(Assignment).limit(limit)
    if ticket:
        query = query.where(Assignment.ticket_id == ticket)
    if team:
        query = query.where(Assignment.team_key == team)
    if agent:
        query = query.where(Assignment.agent_id == agent)
    if state:
        query = query.where(Assignment.state == state)
    if view is None:
        return (await session.scalars(query.order_by(Assignment.created_at.desc()))).all()
    now = now or utcnow()
    unaccepted = Assignment.state == "assigned"
    if view in VIEW_STATES:
        query = query.where(Assignment.state.in_(VIEW_STATES[view]))
    else:
        # Either deadline: one sargable range per state, so the (agent, state, deadline)
        # indexes serve it.
        if view == "breached":
            response, resolution = Assignment.respond_by < now, Assignment.resolve_by < now
        else:  # due_soon: not breached yet, due within the window
            soon = now + due_soon
            response = Assignment.respond_by.between(now, soon)
            resolution = Assignment.resolve_by.between(now, soon)
        query = query.where(
            Assignment.state.in_(OPEN_STATES),
            sa.or_(sa.and_(unaccepted, response), resolution),
        )
    deadline = sa.case((unaccepted, Assignment.respond_by), else_=Assignment.resolve_by)
    return (await session.scalars(query.order_by(deadline, Assignment.id))).all()


async def queue(session: AsyncSession, team: str | None, limit: int) -> Sequence[Assignment]:
    """Queued tickets in the order they will be served: priority, then deadline."""
    query = (
        sa.select(Assignment)
        .where(Assignment.state == "queued")
        .order_by(Assignment.priority, Assignment.respond_by, Assignment.created_at)
        .limit(limit)
    )
    if team:
        query = query.where(Assignment.team_key == team)
    return (await session.scalars(query)).all()


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)


_ASSIGNMENTS = cast(sa.Table, Assignment.__table__)
_INSERT_ASSIGNMENTS = sa.insert(_ASSIGNMENTS)


async def insert_assignments(session: AsyncSession, assignments: Sequence[Assignment]) -> None:
    """New assignments, every column set on the objects, in one Core statement rather than
    the ORM's flush (most of dispatch's flush, py-spy 2026-12-07). The objects stay out of
    the session; a later query in the transaction loads the rows like any other."""
    if not assignments:
        return
    columns = mapped_columns(Assignment)
    rows = []
    for assignment in assignments:
        values = instance_state(assignment).dict
        rows.append({column: values.get(key) for key, column, _ in columns})
    await session.execute(_INSERT_ASSIGNMENTS, rows)


# In ``Session.info``: the transaction's activity lines not yet written. They are written
# before the commit (and before activity is read in the transaction), so a failed
# transaction takes them back like the ORM's pending rows.
_ACTIVITY = "dispatch.activity"
_INSERT_ACTIVITY = sa.insert(cast(sa.Table, ActivityEntry.__table__))


def add_activity(session: AsyncSession, row: dict[str, Any]) -> None:
    session.sync_session.info.setdefault(_ACTIVITY, []).append(row)


@sa.event.listens_for(Session, "before_commit")
def _write_activity(session: Session) -> None:
    # Inside the commit, so with the async session it is awaited like any statement.
    rows = session.info.pop(_ACTIVITY, None)
    if rows:
        session.execute(_INSERT_ACTIVITY, rows)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_activity(session: Session, _transaction: Any) -> None:
    session.info.pop(_ACTIVITY, None)


async def unannounced_teams(session: AsyncSession) -> Sequence[Team]:
    """Teams whose latest change the other services have not been told of."""
    query = sa.select(Team).where(
        sa.or_(Team.announced_at.is_(None), Team.announced_at < Team.updated_at)
    )
    return (await session.scalars(query.order_by(Team.key).with_for_update())).all()


async def assignment_by_ticket_no(session: AsyncSession, ticket_no: str) -> Assignment | None:
    return await session.scalar(sa.select(Assignment).where(Assignment.ticket_no == ticket_no))


async def activity_of(
    session: AsyncSession, ticket_id: uuid.UUID, limit: int
) -> Sequence[ActivityEntry]:
    """A ticket's activity in time order (the first ``limit`` lines), this transaction's
    unwritten lines included."""
    pending = session.sync_session.info.pop(_ACTIVITY, None)
    if pending:
        await session.execute(_INSERT_ACTIVITY, pending)
    return (
        await session.scalars(
            sa.select(ActivityEntry)
            .where(ActivityEntry.ticket_id == ticket_id)
            .order_by(ActivityEntry.at, ActivityEntry.id)
            .limit(limit)
        )
    ).all()


async def lock_collaboration(
    session: AsyncSession, collaboration_id: uuid.UUID
) -> Collaboration | None:
    return await _lock_by_id(session, Collaboration, collaboration_id)
