"""Use cases of the reviews' synonym table (the caller commits)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics import phrases, repository
from services.analytics.models import ReportSynonym
from shared.errors import ApiError
from shared.events import utcnow


async def table(session: AsyncSession) -> dict[str, list[str]]:
    """reason → its terms, as stored (or the defaults while nothing is stored)."""
    rows = await repository.synonym_rows(session)
    if not rows:
        return {reason: list(terms) for reason, terms in phrases.DEFAULT_SYNONYMS.items()}
    grouped: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        grouped[row.reason].append(row.term)
    return dict(grouped)


async def replace(session: AsyncSession, reasons: Mapping[str, Sequence[str]]) -> None:
    """The whole table at once; a term may belong to one reason only."""
    owner: dict[str, str] = {}
    for reason, terms in reasons.items():
        for term in (reason, *terms):
            if owner.get(term, reason) != reason:
                raise ApiError(
                    422,
                    "duplicate_term",
                    f"{term!r} is a term of both {owner[term]!r} and {reason!r}.",
                )
            owner[term] = reason
    now = utcnow()
    rows = [ReportSynonym(term=t, reason=r, updated_at=now) for t, r in sorted(owner.items())]
    await repository.replace_synonyms(session, rows)
