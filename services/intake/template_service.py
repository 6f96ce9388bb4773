"""Use cases of the editable customer texts: the book in force, new versions, previews.
The caller commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository
from services.intake.models import MessageTemplate
from services.intake.settings import IntakeSettings
from services.intake.templates import (
    TEMPLATES,
    ChannelFamily,
    Language,
    TemplateBook,
    TemplateError,
    TemplateVersion,
    check_body,
    fill,
    with_signature,
)
from shared.errors import ApiError
from shared.events import utcnow
from shared.outbox import UnitOfWork
from shared.store_cache import StoreCache

# Books read recently, per database: a notice costs no extra query on the hot path; a new
# version reaches other replicas within ``template_cache_seconds`` (this one at once).
_books: StoreCache[TemplateBook] = StoreCache()


def forget_cached_templates() -> None:
    _books.clear()


async def template_book(session: AsyncSession, settings: IntakeSettings) -> TemplateBook:
    """The texts in force (stored versions over the built-in ones)."""

    async def read() -> TemplateBook:
        book = TemplateBook()
        for row in await repository.template_versions(session):
            book.current[(row.key, row.language, row.channel)] = _version(row)
        return book

    return await _books.get(session, settings.template_cache_seconds, read)


def _version(row: MessageTemplate) -> TemplateVersion:
    language: Language = "en" if row.language == "en" else "zh"
    channel: ChannelFamily = row.channel  # type: ignore[assignment]  # checked on the way in
    return TemplateVersion(row.key, language, channel, row.version, row.body)


def known_template(key: str) -> None:
    if key not in TEMPLATES:
        raise ApiError(
            404,
            "template_not_found",
            f"No template {key!r}; known: {', '.join(sorted(TEMPLATES))}.",
        )


def _checked(key: str, body: str) -> None:
    try:
        check_body(key, body)
    except TemplateError as exc:
        raise ApiError(422, exc.code, str(exc)) from exc


async def publish_template(
    uow: UnitOfWork,
    key: str,
    language: Language,
    channel: ChannelFamily,
    body: str,
    by: str | None,
) -> MessageTemplate:
    """A new version of one template for a language and channel; it applies to messages
    rendered from now on (those already sent keep their text)."""
    known_template(key)
    _checked(key, body)
    version = await repository.latest_template_version(uow.session, key, language, channel) + 1
    row = MessageTemplate(
        id=uuid.uuid4(),
        key=key,
        language=language,
        channel=channel,
        version=version,
        body=body,
        created_at=utcnow(),
        created_by=by,
    )
    repository.add(uow.session, row)
    try:
        await uow.session.flush()
    except IntegrityError:
        await uow.rollback()
        raise ApiError(
            409, "conflict", "Another version of this template was saved a moment ago; retry."
        ) from None
    return row


def preview(
    book: TemplateBook,
    settings: IntakeSettings,
    key: str,
    language: Language,
    channel: ChannelFamily,
    *,
    body: str | None,
    params: dict[str, Any],
) -> tuple[str, int | None]:
    """The text a customer would get (a draft ``body``, else the version in force) with the
    template's sample values where ``params`` gives none; and the version used (None for
    a draft)."""
    known_template(key)
    version: int | None = None
    if body is None:
        chosen = book.version_for(key, language, channel)
        body, version = chosen.body, chosen.version
    else:
        _checked(key, body)
    values = {**TEMPLATES[key].sample, **{k: str(v) for k, v in params.items()}}
    return with_signature(fill(body, values).strip(), channel, settings.sms_signature), version
