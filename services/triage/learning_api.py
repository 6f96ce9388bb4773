"""Triage's routes for the classifier: model versions, the review queue, replay."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import repository, service
from services.triage.schemas import DecisionView
from services.triage.settings import TriageSettings
from shared.auth import require_roles
from shared.errors import error_responses
from shared.http import read_session

router = APIRouter(prefix="/v1", tags=["triage"])


class ModelVersionView(BaseModel):
    version: int = Field(examples=[2])
    active: bool
    metrics: dict[str, Any] = Field(
        description="Held-out figures when it was trained",
        examples=[{"category": 0.927, "team": 0.925, "priority": 0.942, "p0_recall": 1.0}],
    )
    examples: int = Field(description="Tickets it was trained on", examples=[1500])
    corrections: int = Field(description="Of which supervisors' corrections", examples=[16])
    note: str
    changed_by: str
    created_at: datetime


class ModelsView(BaseModel):
    in_force: int = Field(description="The version deciding now (0: the shipped model)")
    versions: list[ModelVersionView]


class ReplayView(BaseModel):
    ticket_id: uuid.UUID
    rule_version: int = Field(examples=[2])
    model_version: int | None = Field(
        description="None when a rule decided (the model was not asked)", examples=[0]
    )
    stored: dict[str, str] = Field(
        description="What the engine decided then (before any supervisor's correction)",
        examples=[{"category": "fault", "priority": "P0", "team": "tech_support"}],
    )
    replayed: dict[str, str] = Field(
        examples=[{"category": "fault", "priority": "P0", "team": "tech_support"}]
    )
    same: bool
    explanation: list[str]


@router.get(
    "/models",
    response_model=ModelsView,
    summary="The classifier's versions, their held-out figures, and the one in force",
    description="Versions are made by `sopdesk triage train`; agents, supervisors, viewers.",
    responses=error_responses(401, 403),
    dependencies=[Depends(require_roles("agent", "supervisor", "viewer"))],
)
async def list_models(session: AsyncSession = Depends(read_session)) -> ModelsView:
    rows = await repository.model_history(session)
    in_force = await repository.active_model_version(session)
    return ModelsView(
        in_force=in_force or 0,
        versions=[ModelVersionView.model_validate(r, from_attributes=True) for r in rows],
    )


@router.get(
    "/review-queue",
    response_model=list[DecisionView],
    summary="Supervisor: decisions the model was unsure of (front line, needs_review)",
    description="Oldest first, until a supervisor re-triages them (which also teaches the "
    "next model version). Supervisors and admins.",
    responses=error_responses(401, 403),
    dependencies=[Depends(require_roles("supervisor"))],
)
async def review_queue(
    limit: int = Query(default=100, ge=1, le=1000),
    session: AsyncSession = Depends(read_session),
) -> list[DecisionView]:
    rows = await repository.decisions_needing_review(session, limit)
    return [DecisionView.model_validate(r, from_attributes=True) for r in rows]


def _settings(request: Request) -> TriageSettings:
    settings: TriageSettings = request.app.state.settings
    return settings


@router.get(
    "/decisions/{ticket_id}/replay",
    response_model=ReplayView,
    summary="Supervisor: decide a ticket again with the rule-set and model versions that did",
    description="Shows whether the decision is reproducible. 409 `not_replayable` for "
    "decisions made before decisions kept their text. Supervisors and admins.",
    responses=error_responses(401, 403, 404, 409),
    dependencies=[Depends(require_roles("supervisor"))],
)
async def replay(
    ticket_id: uuid.UUID,
    session: AsyncSession = Depends(read_session),
    settings: TriageSettings = Depends(_settings),
) -> ReplayView:
    found = await service.replay_decision(session, ticket_id, settings)
    return ReplayView(
        ticket_id=found.ticket_id,
        rule_version=found.rule_version,
        model_version=found.model_version,
        stored=found.stored,
        replayed=found.replayed,
        same=found.same,
        explanation=list(found.explanation),
    )
