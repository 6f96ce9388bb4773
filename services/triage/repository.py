"""Every query triage makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from services.triage.models import (
    TEAM_COPIES,
    ConfigVersion,
    Correction,
    KbArticle,
    ModelVersion,
    TriageDecision,
)
from shared import team_copies
from shared.database import one_of
from shared.events import TeamEvent


async def get_decision(session: AsyncSession, ticket_id: uuid.UUID) -> TriageDecision | None:
    return await session.get(TriageDecision, ticket_id)


async def lock_decision(session: AsyncSession, ticket_id: uuid.UUID) -> TriageDecision | None:
    """The decision, row-locked for a re-triage (``FOR UPDATE`` on PostgreSQL)."""
    return await session.scalar(
        sa.select(TriageDecision).where(TriageDecision.ticket_id == ticket_id).with_for_update()
    )


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)


# Built once: a statement compiled from its cache key every batch is a cost of its own.
_INSERT_DECISIONS = sa.insert(cast(sa.Table, TriageDecision.__table__))


async def insert_decisions(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """New decisions, by their columns: one Core ``INSERT`` for the batch (executemany)."""
    if rows:
        await session.execute(_INSERT_DECISIONS, list(rows))


async def decided_ticket_ids(
    session: AsyncSession, ticket_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not ticket_ids:
        return set()
    result = await session.scalars(
        sa.select(TriageDecision.ticket_id).where(
            one_of(session, TriageDecision.ticket_id, ticket_ids)
        )
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


def _newest(column: Any, *where: sa.ColumnElement[bool]) -> Any:
    return sa.select(sa.func.max(column)).where(*where).scalar_subquery()


async def versions_in_force(session: AsyncSession, kinds: Sequence[str]) -> tuple[Any, ...]:
    """What the engine and the articles are built from, in one query: each kind's newest
    version and when it was made, the active model's, and the articles' count and last
    change. Any change an admin makes changes it (``created_at`` tells a store made again
    from scratch apart from the one before)."""
    columns = [
        *(
            _newest(c, ConfigVersion.kind == kind)
            for kind in kinds
            for c in (ConfigVersion.version, ConfigVersion.created_at)
        ),
        *(
            _newest(c, ModelVersion.active.is_(True))
            for c in (ModelVersion.version, ModelVersion.created_at)
        ),
        sa.select(sa.func.count()).select_from(KbArticle).scalar_subquery(),
        _newest(KbArticle.updated_at),
    ]
    return tuple((await session.execute(sa.select(*columns))).one())


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


# --------------------------------------------------------------------------- model versions


async def active_model_version(session: AsyncSession) -> int | None:
    """The highest active model version (None: the shipped model decides)."""
    found = await session.scalar(
        sa.select(sa.func.max(ModelVersion.version)).where(ModelVersion.active.is_(True))
    )
    return int(found) if found is not None else None


async def latest_model_version(session: AsyncSession) -> int:
    found = await session.scalar(sa.select(sa.func.max(ModelVersion.version)))
    return int(found or 0)


async def get_model_version(session: AsyncSession, version: int) -> ModelVersion | None:
    return await session.get(ModelVersion, version)


async def model_history(session: AsyncSession, limit: int = 50) -> list[ModelVersion]:
    rows = await session.scalars(
        sa.select(ModelVersion)
        .options(defer(ModelVersion.body))
        .order_by(ModelVersion.version.desc())
        .limit(limit)
    )
    return list(rows)


async def corrected_decisions(session: AsyncSession) -> list[TriageDecision]:
    """Decisions a supervisor re-triaged, with the text they were made on: their
    current labels are the correction."""
    rows = await session.scalars(
        sa.select(TriageDecision)
        .where(TriageDecision.retriaged_at.is_not(None), TriageDecision.text.is_not(None))
        .order_by(TriageDecision.retriaged_at)
    )
    return list(rows)


async def decisions_needing_review(session: AsyncSession, limit: int) -> list[TriageDecision]:
    rows = await session.scalars(
        sa.select(TriageDecision)
        .where(TriageDecision.needs_review.is_(True), TriageDecision.retriaged_at.is_(None))
        .order_by(TriageDecision.received_at)
        .limit(limit)
    )
    return list(rows)


async def keep_team_announcements(session: AsyncSession, events: Sequence[TeamEvent]) -> None:
    await team_copies.apply_announcements(session, TEAM_COPIES, events)


async def routable_teams(session: AsyncSession) -> frozenset[str]:
    """The keys of the teams a rule may route to: every team dispatch has, not deleted."""
    teams = await team_copies.known_teams(session, TEAM_COPIES)
    return frozenset(key for key, team in teams.items() if not team.deleted)
