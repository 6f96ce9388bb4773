"""Every query intake makes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import Customer, Ticket, TicketCounter, TimelineEntry
from shared.database import upsert


async def find_customers(
    session: AsyncSession, *, phone: str | None, email: str | None, member_id: str | None
) -> Sequence[Customer]:
    conditions = []
    if phone:
        conditions.append(Customer.phone == phone)
    if email:
        conditions.append(Customer.email == email)
    if member_id:
        conditions.append(Customer.member_id == member_id)
    if not conditions:
        return []
    result = await session.scalars(sa.select(Customer).where(sa.or_(*conditions)))
    return result.all()


async def get_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer | None:
    return await session.get(Customer, customer_id)


async def get_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> Ticket | None:
    return await session.get(Ticket, ticket_id)


async def tickets_for_update(
    session: AsyncSession, ticket_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Ticket]:
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    result = await session.scalars(sa.select(Ticket).where(Ticket.id.in_(ids)).with_for_update())
    return {ticket.id: ticket for ticket in result.all()}


async def ticket_by_idempotency_key(session: AsyncSession, key: str) -> Ticket | None:
    return await session.scalar(sa.select(Ticket).where(Ticket.idempotency_key == key))


async def tickets_of_customer(
    session: AsyncSession, customer_id: uuid.UUID, limit: int = 100
) -> Sequence[Ticket]:
    result = await session.scalars(
        sa.select(Ticket)
        .where(Ticket.customer_id == customer_id)
        .order_by(Ticket.created_at.desc())
        .limit(limit)
    )
    return result.all()


async def timeline(
    session: AsyncSession, ticket_id: uuid.UUID, *, customer_visible_only: bool
) -> Sequence[TimelineEntry]:
    query = sa.select(TimelineEntry).where(TimelineEntry.ticket_id == ticket_id)
    if customer_visible_only:
        query = query.where(TimelineEntry.customer_visible.is_(True))
    result = await session.scalars(query.order_by(TimelineEntry.at, TimelineEntry.kind))
    return result.all()


async def next_ticket_sequence(session: AsyncSession, day: date) -> int:
    """Atomically take the next number of the day; safe across replicas (row lock on upsert)."""
    stmt = (
        upsert(session, TicketCounter)
        .values(day=day, value=1)
        .on_conflict_do_update(
            index_elements=[TicketCounter.day], set_={"value": TicketCounter.value + 1}
        )
        .returning(TicketCounter.value)
    )
    return int((await session.execute(stmt)).scalar_one())


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
