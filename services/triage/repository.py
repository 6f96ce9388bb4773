"""Every query triage makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.models import ConfigVersion, Correction, KbArticle, TriageDecision


async def get_decision(session: AsyncSession, ticket_id: uuid.UUID) -> TriageDecision | None:
    return await session.get(TriageDecision, ticket_id)


async def lock_decision(session: AsyncSession, ticket_id: uuid.UUID) -> TriageDecision | None:
    """The decision, row-locked for a re-triage (``FOR UPDATE`` on PostgreSQL)."""
    return await session.scalar(
        sa.select(TriageDecision).where(TriageDecision.ticket_id == ticket_id).with_for_update()
    )


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)


async def decided_ticket_ids(
    session: AsyncSession, ticket_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not ticket_ids:
        return set()
    result = await session.scalars(
        sa.select(TriageDecision.ticket_id).where(TriageDecision.ticket_id.in_(ticket_ids))
    )
    return set(result.all())


# --------------------------------------------------------------------------- configuration


async def latest_configs(session: AsyncSession, kinds: Sequence[str]) -> dict[str, ConfigVersion]:
    """The version in force of each kind, in one query."""
    newest = (
        sa.select(ConfigVersion.kind, sa.func.max(ConfigVersion.version).label("version"))
        .where(ConfigVersion.kind.in_(kinds))
        .group_by(ConfigVersion.kind)
        .subquery()
    )
    rows = await session.scalars(
        sa.select(ConfigVersion).join(
            newest,
            sa.and_(ConfigVersion.kind == newest.c.kind, ConfigVersion.version == newest.c.version),
        )
    )
    return {row.kind: row for row in rows}


async def config_history(session: AsyncSession, kind: str, limit: int = 50) -> list[ConfigVersion]:
    rows = await session.scalars(
        sa.select(ConfigVersion)
        .where(ConfigVersion.kind == kind)
        .order_by(ConfigVersion.version.desc())
        .limit(limit)
    )
    return list(rows)


async def get_config(session: AsyncSession, kind: str, version: int) -> ConfigVersion | None:
    return await session.get(ConfigVersion, (kind, version))


# --------------------------------------------------------------------------- corrections


async def corrections_per_rule(session: AsyncSession) -> list[tuple[str | None, int]]:
    rows = await session.execute(
        sa.select(Correction.decided_by, sa.func.count())
        .group_by(Correction.decided_by)
        .order_by(sa.func.count().desc())
    )
    return [(rule, int(count)) for rule, count in rows.all()]


async def decisions_per_rule(session: AsyncSession) -> dict[str | None, int]:
    rows = await session.execute(
        sa.select(TriageDecision.decided_by, sa.func.count()).group_by(TriageDecision.decided_by)
    )
    return {rule: int(count) for rule, count in rows.all()}


async def corrections_of(session: AsyncSession, ticket_id: uuid.UUID) -> list[Correction]:
    rows = await session.scalars(
        sa.select(Correction)
        .where(Correction.ticket_id == ticket_id)
        .order_by(Correction.created_at)
    )
    return list(rows)


# --------------------------------------------------------------------------- knowledge base


async def get_article(session: AsyncSession, article_id: uuid.UUID) -> KbArticle | None:
    return await session.get(KbArticle, article_id)


async def list_articles(
    session: AsyncSession, *, valid_at: datetime | None = None, category: str | None = None
) -> list[KbArticle]:
    query = sa.select(KbArticle).order_by(KbArticle.created_at, KbArticle.title)
    if valid_at is not None:
        query = query.where(
            sa.or_(KbArticle.valid_from.is_(None), KbArticle.valid_from <= valid_at),
            sa.or_(KbArticle.valid_to.is_(None), KbArticle.valid_to > valid_at),
        )
    if category is not None:
        query = query.where(KbArticle.category == category)
    return list(await session.scalars(query))


async def delete_article(session: AsyncSession, article: KbArticle) -> None:
    await session.delete(article)
