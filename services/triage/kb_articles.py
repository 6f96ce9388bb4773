"""The knowledge base's use cases: suggestions for an inquiry, search, and the articles'
admin; the caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import repository
from services.triage.knowledge import rank_articles
from services.triage.models import KbArticle
from shared.errors import ApiError, not_found
from shared.events import (
    KbSuggestion,
    utcnow,
)

# --------------------------------------------------------------------------- knowledge base


def _valid(article: Article, at: datetime) -> bool:
    return (article.valid_from is None or article.valid_from <= at) and (
        article.valid_to is None or at < article.valid_to
    )


class Article(Protocol):
    """What a suggestion reads of an article (a row, or a consumer's copy of one)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def title(self) -> str: ...
    @property
    def answer(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def valid_from(self) -> datetime | None: ...
    @property
    def valid_to(self) -> datetime | None: ...


def suggest(
    articles: Sequence[Article], text: str, at: datetime, limit: int
) -> list[dict[str, Any]]:
    """The best articles for a text, as ``KbSuggestion`` dicts (JSON-ready)."""
    valid = {a.id: a for a in articles if _valid(a, at)}
    ranked = rank_articles(text, [(a.id, a.title, a.answer, a.tags) for a in valid.values()], limit)
    return [
        KbSuggestion(
            article_id=ident,
            title=valid[ident].title,
            answer=valid[ident].answer,
            score=round(score, 3),
        ).model_dump(mode="json")
        for ident, score in ranked
    ]


async def search_articles(
    session: AsyncSession, query: str, limit: int, at: datetime | None = None
) -> list[tuple[KbArticle, float]]:
    when = at or utcnow()
    articles = {a.id: a for a in await repository.list_articles(session, valid_at=when)}
    ranked = rank_articles(
        query, [(a.id, a.title, a.answer, a.tags) for a in articles.values()], limit
    )
    return [(articles[ident], score) for ident, score in ranked]


@dataclass(frozen=True)
class ArticleInput:
    title: str
    answer: str
    tags: Sequence[str]
    category: str | None
    valid_from: datetime | None
    valid_to: datetime | None


def _check_validity(data: ArticleInput) -> None:
    if data.valid_from and data.valid_to and data.valid_to <= data.valid_from:
        raise ApiError(422, "invalid_article", "valid_to must be after valid_from.")


def create_article(session: AsyncSession, data: ArticleInput) -> KbArticle:
    _check_validity(data)
    now = utcnow()
    article = KbArticle(
        id=uuid.uuid4(),
        title=data.title,
        answer=data.answer,
        tags=list(data.tags),
        category=data.category,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, article)
    return article


async def update_article(
    session: AsyncSession, article_id: uuid.UUID, data: ArticleInput
) -> KbArticle:
    _check_validity(data)
    article = await repository.get_article(session, article_id)
    if article is None:
        raise not_found("article", article_id)
    article.title, article.answer, article.tags = data.title, data.answer, list(data.tags)
    article.category, article.valid_from, article.valid_to = (
        data.category,
        data.valid_from,
        data.valid_to,
    )
    article.updated_at = utcnow()
    return article


async def delete_article(session: AsyncSession, article_id: uuid.UUID) -> None:
    article = await repository.get_article(session, article_id)
    if article is None:
        raise not_found("article", article_id)
    await repository.delete_article(session, article)
