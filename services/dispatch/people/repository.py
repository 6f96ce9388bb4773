"""Every query on people, sessions, sign-in failures and account changes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.models import Agent, Team
from services.dispatch.people.models import (
    AccountChange,
    KeyDelegation,
    Person,
    SignInFailure,
    SignInSession,
)


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person | None:
    return await session.get(Person, person_id)


async def person_by_login(session: AsyncSession, login: str) -> Person | None:
    result = await session.execute(sa.select(Person).where(Person.login == login))
    return result.scalar_one_or_none()


async def list_people(session: AsyncSession, role: str | None, limit: int) -> Sequence[Person]:
    result = await session.execute(sa.select(Person).order_by(Person.login).limit(limit * 4))
    people = [p for p in result.scalars() if role is None or role in p.roles]
    return people[:limit]


async def logins(session: AsyncSession) -> set[str]:
    return set((await session.execute(sa.select(Person.login))).scalars())


async def people_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Person]:
    if not ids:
        return {}
    result = await session.execute(sa.select(Person).where(Person.id.in_(ids)))
    return {p.id: p for p in result.scalars()}


async def get_agent(session: AsyncSession, agent_id: uuid.UUID) -> Agent | None:
    return await session.get(Agent, agent_id)


async def agent_by_name(session: AsyncSession, name: str) -> Agent | None:
    result = await session.execute(sa.select(Agent).where(Agent.name == name))
    return result.scalar_one_or_none()


async def list_agents(session: AsyncSession) -> Sequence[Agent]:
    return list((await session.execute(sa.select(Agent).order_by(Agent.name))).scalars())


async def team_keys(session: AsyncSession) -> dict[str, Team]:
    return {t.key: t for t in (await session.execute(sa.select(Team))).scalars()}


def add(session: AsyncSession, row: object) -> None:
    session.add(row)


async def session_by_hash(session: AsyncSession, token_hash: str) -> SignInSession | None:
    result = await session.execute(
        sa.select(SignInSession).where(SignInSession.token_hash == token_hash).with_for_update()
    )
    return result.scalar_one_or_none()


async def revoke_sessions(session: AsyncSession, person_id: uuid.UUID, at: datetime) -> None:
    await session.execute(
        sa.update(SignInSession)
        .where(SignInSession.person_id == person_id, SignInSession.revoked_at.is_(None))
        .values(revoked_at=at)
    )


async def failures_since(
    session: AsyncSession, *, login: str, address: str, since: datetime
) -> tuple[list[datetime], list[datetime]]:
    """Recent failures of this login and of this address."""
    by_login = await session.execute(
        sa.select(SignInFailure.at).where(SignInFailure.login == login, SignInFailure.at > since)
    )
    by_address = await session.execute(
        sa.select(SignInFailure.at).where(
            SignInFailure.address == address, SignInFailure.at > since
        )
    )
    return list(by_login.scalars()), list(by_address.scalars())


async def forget_failures(session: AsyncSession, login: str) -> None:
    await session.execute(sa.delete(SignInFailure).where(SignInFailure.login == login))


async def prune_failures(session: AsyncSession, before: datetime) -> None:
    await session.execute(sa.delete(SignInFailure).where(SignInFailure.at < before))


async def account_changes(
    session: AsyncSession, person_id: uuid.UUID, limit: int
) -> Sequence[AccountChange]:
    result = await session.execute(
        sa.select(AccountChange)
        .where(AccountChange.person_id == person_id)
        .order_by(AccountChange.at.desc())
        .limit(limit)
    )
    return list(result.scalars())


async def live_delegation(
    session: AsyncSession, key_name: str, person_id: uuid.UUID
) -> KeyDelegation | None:
    result = await session.execute(
        sa.select(KeyDelegation).where(
            KeyDelegation.key_name == key_name,
            KeyDelegation.person_id == person_id,
            KeyDelegation.revoked_at.is_(None),
        )
    )
    return result.scalars().first()


async def delegations(session: AsyncSession, person_id: uuid.UUID) -> Sequence[KeyDelegation]:
    result = await session.execute(
        sa.select(KeyDelegation)
        .where(KeyDelegation.person_id == person_id)
        .order_by(KeyDelegation.granted_at.desc())
    )
    return list(result.scalars())
