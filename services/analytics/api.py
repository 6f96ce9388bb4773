"""Analytics' HTTP routes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics import domain, repository
from services.analytics.models import TicketFact
from services.analytics.schemas import LedgerPage, LedgerRow, Summary
from shared.auth import require_roles
from shared.errors import ApiError, error_responses
from shared.http import read_session

router = APIRouter(prefix="/v1")

_readers = Depends(require_roles("supervisor", "viewer"))


@router.get(
    "/ledger",
    response_model=LedgerPage,
    tags=["ledger"],
    summary="The ticket ledger (台账), newest first, contacts masked",
    responses=error_responses(400, 401, 403),
    dependencies=[_readers],
)
async def ledger(
    limit: int = Query(default=100, ge=1, le=1000),
    cursor: str | None = Query(default=None, description="`next_cursor` of the previous page"),
    session: AsyncSession = Depends(read_session),
) -> LedgerPage:
    try:
        after = domain.decode_cursor(cursor) if cursor else None
    except ValueError as exc:
        raise ApiError(400, "invalid_cursor", "cursor is not one this API returned") from exc
    rows = await repository.ledger_page(session, limit, after)
    last = rows[-1] if len(rows) == limit else None
    return LedgerPage(
        items=[LedgerRow.model_validate(row) for row in rows],
        next_cursor=domain.encode_cursor(last.received_at, last.ticket_id)
        if last is not None and last.received_at is not None
        else None,
    )


@router.get(
    "/metrics/summary",
    response_model=Summary,
    tags=["metrics"],
    summary="Volumes by state, channel, category, priority and team; queue length",
    responses=error_responses(401, 403),
    dependencies=[_readers],
)
async def summary(session: AsyncSession = Depends(read_session)) -> Summary:
    by_state = await repository.counts_by(session, TicketFact.state)
    return Summary(
        total=sum(by_state.values()),
        queue_length=by_state.get("queued", 0),
        by_state=by_state,
        by_channel=await repository.counts_by(session, TicketFact.channel),
        by_category=await repository.counts_by(session, TicketFact.category),
        by_priority=await repository.counts_by(session, TicketFact.priority),
        by_team=await repository.counts_by(session, TicketFact.team),
    )
