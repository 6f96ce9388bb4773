"""Routes of the editable customer texts: read, add a version, preview."""

from __future__ import annotations

from fastapi import Depends, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository, template_service
from services.intake.models import MessageTemplate
from services.intake.router import router
from services.intake.settings import IntakeSettings
from services.intake.template_schemas import (
    TemplateHistory,
    TemplatePreview,
    TemplatePreviewRequest,
    TemplateText,
    TemplateVersionCreate,
    TemplateView,
)
from services.intake.templates import TEMPLATES, TemplateBook
from shared.auth import Principal, require_roles
from shared.errors import error_responses
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork


def _text(row: MessageTemplate) -> TemplateText:
    return TemplateText(
        language="en" if row.language == "en" else "zh",
        channel=row.channel,
        version=row.version,
        body=row.body,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _view(key: str, rows: list[MessageTemplate]) -> TemplateView:
    spec = TEMPLATES[key]
    latest: dict[tuple[str, str], MessageTemplate] = {}
    for row in rows:  # oldest first: the last one wins
        latest[(row.language, row.channel)] = row
    return TemplateView(
        key=key,
        name=spec.name,
        params=list(spec.params),
        built_in=[
            TemplateText(language=language, channel="any", version=0, body=body)
            for language, body in spec.texts.items()
        ],
        current=[_text(row) for row in latest.values()],
    )


@router.get(
    "/templates",
    response_model=list[TemplateView],
    summary="Every customer-facing text and the version in force",
    description="Built-in texts and the newest stored version per language and channel.",
    tags=["templates"],
    responses=error_responses(401, 403),
    dependencies=[Depends(require_roles("supervisor", "viewer"))],
)
async def list_templates(session: AsyncSession = Depends(read_session)) -> list[TemplateView]:
    rows = list(await repository.template_versions(session))
    return [_view(key, [r for r in rows if r.key == key]) for key in TEMPLATES]


@router.get(
    "/templates/{key}",
    response_model=TemplateHistory,
    summary="One template with its whole history",
    tags=["templates"],
    responses=error_responses(401, 403, 404),
    dependencies=[Depends(require_roles("supervisor", "viewer"))],
)
async def get_template(key: str, session: AsyncSession = Depends(read_session)) -> TemplateHistory:
    template_service.known_template(key)
    rows = list(await repository.template_versions(session, key))
    return TemplateHistory(**_view(key, rows).model_dump(), versions=[_text(r) for r in rows])


@router.post(
    "/templates/{key}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=TemplateText,
    summary="Change a text: a new version for a language and channel",
    description="Applies to messages rendered from now on; what was sent keeps its text. "
    "A body may use only the template's placeholders (`unknown_placeholder` otherwise). "
    "Other replicas pick it up within `SOPDESK_TEMPLATE_CACHE_SECONDS`.",
    tags=["templates"],
    responses=error_responses(401, 403, 404, 409, 422),
)
async def add_template_version(
    key: str,
    payload: TemplateVersionCreate,
    uow: UnitOfWork = Depends(unit_of_work),
    principal: Principal = Depends(require_roles("admin")),
) -> TemplateText:
    row = await template_service.publish_template(
        uow,
        key,
        payload.language,
        payload.channel,
        payload.body,
        f"{principal.role}:{principal.key_id}",
    )
    await uow.commit()
    template_service.forget_cached_templates()
    return _text(row)


@router.post(
    "/templates/{key}/preview",
    response_model=TemplatePreview,
    summary="Render a template (or a draft) as the customer would get it",
    description="Placeholders without a value in `params` take sample values; an SMS "
    "carries the signature (`SOPDESK_SMS_SIGNATURE`).",
    tags=["templates"],
    responses=error_responses(401, 403, 404, 422),
    dependencies=[Depends(require_roles("supervisor"))],
)
async def preview_template(
    key: str,
    payload: TemplatePreviewRequest,
    request: Request,
    session: AsyncSession = Depends(read_session),
) -> TemplatePreview:
    settings: IntakeSettings = request.app.state.settings
    book: TemplateBook = await template_service.template_book(session, settings)
    text, version = template_service.preview(
        book,
        settings,
        key,
        payload.language,
        payload.channel,
        body=payload.body,
        params=payload.params,
    )
    return TemplatePreview(
        key=key, language=payload.language, channel=payload.channel, version=version, text=text
    )
