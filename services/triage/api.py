"""Triage's HTTP routes."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import domain, repository
from services.triage.schemas import ClassifyRequest, ClassifyResult, DecisionView
from shared.auth import require_roles
from shared.errors import error_responses, not_found
from shared.http import read_session

router = APIRouter(prefix="/v1", tags=["triage"])


@router.post(
    "/classify",
    response_model=ClassifyResult,
    summary="Dry run: how would this text be classified?",
    responses=error_responses(401, 422),
    dependencies=[Depends(require_roles("gateway", "agent", "supervisor", "viewer"))],
)
async def classify(payload: ClassifyRequest) -> ClassifyResult:
    result = domain.classify(payload.subject, payload.description, payload.customer_type)
    return ClassifyResult(
        category=result.category,
        scene=result.scene,
        priority=result.priority,
        team=result.team,
        keywords=result.keywords,
        explanation=result.explanation,
    )


@router.get(
    "/decisions/{ticket_id}",
    response_model=DecisionView,
    summary="What triage decided about a ticket, and why",
    responses=error_responses(401, 403, 404),
    dependencies=[Depends(require_roles("agent", "supervisor", "viewer"))],
)
async def get_decision(
    ticket_id: uuid.UUID, session: AsyncSession = Depends(read_session)
) -> DecisionView:
    decision = await repository.get_decision(session, ticket_id)
    if decision is None:
        raise not_found("decision", ticket_id)
    return DecisionView.model_validate(decision, from_attributes=True)
