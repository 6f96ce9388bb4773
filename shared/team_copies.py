"""A service's own copy of dispatch's teams, kept from its team announcements.

Teams are data that dispatch owns (``POST /v1/teams``) and announces
(``team.created`` / ``team.updated`` / ``team.deleted`` on the dispatch stream).
Triage (rules that route to a team), intake (the team named in the customer's
notice) and analytics (reports and the dashboard) each keep this table in their own
store, so a team created at run time is usable everywhere without a restart.

Each of those stores' migrations seeds the SPEC's default teams (:data:`SPEC_TEAMS`),
so they are known from the first start, before dispatch has said anything; the seed
is older than any announcement, so dispatch's word wins as soon as it arrives.
Dispatch announces its teams again at start when it has not yet announced their
latest state, so an announcement may come twice or late: a copy takes one only when
it is not older than what it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.copies import newest_per_key
from shared.database import UtcDateTime, upsert
from shared.events import TeamDeleted, TeamEvent
from shared.vocabulary import Language

TABLE = "team_copies"

# SPEC §3's default teams as dispatch seeds them: (key, Chinese name, English name).
SPEC_TEAMS: tuple[tuple[str, str, str], ...] = (
    ("frontline", "一线客服", "front-line"),
    ("tech_support", "技术", "technical support"),
    ("finance", "财务", "finance"),
    ("logistics", "物流", "logistics"),
    ("complaints", "投诉处理", "complaints"),
    ("after_sales", "售后", "after-sales"),
    ("product", "产品", "product"),
)
# Older than any announcement dispatch can make.
SEEDED_AT = datetime(2000, 1, 1, tzinfo=UTC)


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False, default=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    ]


_CHANGING = ("name", "name_en", "deleted", "updated_at")


def declare_team_copies(metadata: sa.MetaData) -> sa.Table:
    """Declare the copy on a service's metadata (its models module does this)."""
    return sa.Table(TABLE, metadata, *_columns())


def create_team_copies(op: Any) -> None:
    """Alembic helper: create the copy and seed the SPEC's default teams."""
    table = op.create_table(TABLE, *_columns())
    op.bulk_insert(
        table,
        [
            {"key": key, "name": zh, "name_en": en, "deleted": False, "updated_at": SEEDED_AT}
            for key, zh, en in SPEC_TEAMS
        ],
    )


def drop_team_copies(op: Any) -> None:
    op.drop_table(TABLE)


@dataclass(frozen=True)
class KnownTeam:
    key: str
    name: str
    name_en: str | None
    deleted: bool

    def label(self, language: Language = "zh") -> str:
        return (self.name_en or self.name) if language == "en" else self.name


async def apply_announcements(
    session: AsyncSession, table: sa.Table, events: Sequence[TeamEvent]
) -> None:
    """Take each team's latest announcement unless the copy holds a newer one.

    A team key the copy has never seen is added, whatever the order: a deletion that
    arrives first still leaves a row, so the key stays known as deleted.
    """
    latest = newest_per_key(events, lambda e: e.data.key, lambda e: e.data.updated_at)
    for key, event in sorted(latest.items()):
        insert = upsert(session, table).values(
            key=key,
            name=event.data.name,
            name_en=event.data.name_en,
            deleted=isinstance(event, TeamDeleted),
            updated_at=event.data.updated_at,
        )
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={name: insert.excluded[name] for name in _CHANGING},
                where=table.c.updated_at <= insert.excluded.updated_at,
            )
        )


async def known_teams(
    session: AsyncSession, table: sa.Table, keys: Iterable[str] | None = None
) -> dict[str, KnownTeam]:
    """The copy (deleted teams too: old tickets still name them), or only ``keys``."""
    query = sa.select(table)
    if keys is not None:
        query = query.where(table.c.key.in_(set(keys)))
    return {
        row.key: KnownTeam(row.key, row.name, row.name_en, row.deleted)
        for row in await session.execute(query)
    }


def team_label(teams: dict[str, KnownTeam], key: str | None, language: Language = "zh") -> str:
    """A team's name; a key the copy does not know yet is shown as it is."""
    if not key:
        return ""
    team = teams.get(key)
    return team.label(language) if team is not None else key
