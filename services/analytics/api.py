"""Analytics' HTTP routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.background import BackgroundTask

from services.analytics import (
    domain,
    exports,
    metrics,
    reports,
    repository,
    service,
    synonyms,
)
from services.analytics.rollups import REPORT_ZONE
from services.analytics.schemas import (
    Attention,
    AttentionItem,
    DashboardSnapshot,
    LedgerFilters,
    LedgerPage,
    MonthlyReport,
    State,
    Summary,
    SynonymTable,
    WeeklyReport,
)
from shared.auth import require_roles
from shared.errors import ApiError, error_responses
from shared.events import Category, Priority, utcnow
from shared.http import HTML_PAGE, accepts_html, read_session, unit_of_work
from shared.inputs import Day, Instant
from shared.outbox import UnitOfWork
from shared.vocabulary import CHANNELS

router = APIRouter(prefix="/v1")

_readers = Depends(require_roles("supervisor", "viewer"))


# Channels are open (a gateway may add one before analytics knows it); these are known.
CHANNEL_FILTER = f"A channel key: {CHANNELS.describe()}, or a newer one"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _utc(value: datetime | None) -> datetime | None:
    """Query times without an offset are taken as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# Every query parameter the ledger knows; any other is refused (a misspelt filter would
# otherwise return every ticket as if it had matched).
LEDGER_PARAMETERS = frozenset(
    {
        "since",
        "until",
        "channel",
        "category",
        "priority",
        "team",
        "agent",
        "state",
        "breached",
        "ticket_no",
        "q",
        "limit",
        "cursor",
        "format",
    }
)


def ledger_filters(
    request: Request,
    since: Instant | None = Query(
        default=None,
        description="Received at or after (ISO 8601; UTC when no offset)",
        examples=["2026-11-16T00:00:00+08:00"],
    ),
    until: Instant | None = Query(
        default=None,
        description="Received before (ISO 8601; UTC when no offset)",
        examples=["2026-11-23T00:00:00+08:00"],
    ),
    channel: str | None = Query(
        default=None, max_length=16, description=CHANNEL_FILTER, examples=["phone"]
    ),
    category: Category | None = Query(default=None, examples=["complaint"]),
    priority: Priority | None = Query(default=None, examples=["P1"]),
    team: str | None = Query(default=None, max_length=32, examples=["logistics"]),
    agent: str | None = Query(
        default=None, max_length=100, description="Handler's name", examples=["王芳"]
    ),
    state: State | None = Query(default=None, examples=["resolved"]),
    breached: bool | None = Query(
        default=None, description="Only tickets that missed (true) or kept (false) deadlines"
    ),
    ticket_no: str | None = Query(
        default=None,
        max_length=32,
        description="One ticket by its number",
        examples=["T20261122-000123"],
    ),
    q: str | None = Query(
        default=None,
        min_length=1,
        max_length=100,
        description="Words in the ticket number, subject or description",
        examples=["物流"],
    ),
) -> LedgerFilters:
    unknown = sorted(set(request.query_params) - LEDGER_PARAMETERS)
    if unknown:
        raise ApiError(
            422,
            "unknown_filter",
            f"Unknown ledger parameter(s) {unknown}; known: {sorted(LEDGER_PARAMETERS)}.",
        )
    filters = LedgerFilters(
        since=_utc(since),
        until=_utc(until),
        channel=channel,
        category=category,
        priority=priority,
        team=team,
        agent=agent,
        state=state,
        breached=breached,
        ticket_no=ticket_no,
        q=q,
    )
    if filters.since and filters.until and filters.since >= filters.until:
        raise ApiError(400, "invalid_range", "'since' must be before 'until'.")
    return filters


def _attachment(extension: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="ledger-{utcnow():%Y%m%d-%H%M%S}.{extension}"'
    }


@router.get(
    "/ledger",
    response_model=LedgerPage,
    tags=["ledger"],
    summary="The ticket ledger (台账), newest first, contacts masked; CSV and XLSX exports",
    description=(
        "One row per ticket. Filter by time range, channel, category, priority, team, "
        "agent, state, breach, ticket number and words (`q`); an unknown parameter is "
        "refused (422 `unknown_filter`); page with `cursor`. `format=csv` streams every matching "
        "row as UTF-8 CSV; `format=xlsx` returns an Excel workbook (at most "
        "`export_max_rows` rows, else 413)."
    ),
    responses={
        200: {
            "content": {
                "text/csv": {"example": "ticket_id,ticket_no,channel,...\n"},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            }
        },
        **error_responses(400, 401, 403, 413, 422),
    },
    dependencies=[_readers],
)
async def ledger(
    request: Request,
    limit: int = Query(default=100, ge=1, le=1000),
    cursor: str | None = Query(default=None, description="`next_cursor` of the previous page"),
    format: Literal["json", "csv", "xlsx"] = Query(
        default="json", description="json (paged), csv or xlsx (every matching row)"
    ),
    filters: LedgerFilters = Depends(ledger_filters),
    session: AsyncSession = Depends(read_session),
) -> Response | LedgerPage:
    sessions = request.app.state.runtime.sessions
    if format == "csv":
        return StreamingResponse(
            exports.csv_stream(sessions, filters),
            media_type="text/csv; charset=utf-8",
            headers=_attachment("csv"),
        )
    if format == "xlsx":
        cap = request.app.state.settings.export_max_rows
        path = await exports.xlsx_file(sessions, filters, cap)
        if path is None:
            raise ApiError(
                413, "export_too_large", f"More than {cap} rows match: narrow the filters."
            )
        return FileResponse(
            path,
            media_type=XLSX,
            headers=_attachment("xlsx"),
            background=BackgroundTask(path.unlink, missing_ok=True),
        )
    try:
        after = domain.decode_cursor(cursor) if cursor else None
    except ValueError as exc:
        raise ApiError(400, "invalid_cursor", "cursor is not one this API returned") from exc
    rows_ = await repository.ledger_page(session, limit, after, filters)
    last = rows_[-1] if len(rows_) == limit else None
    return LedgerPage(
        items=[exports.ledger_row(row) for row in rows_],
        next_cursor=domain.encode_cursor(last.received_at, last.ticket_id)
        if last is not None and last.received_at is not None
        else None,
    )


GroupBy = Literal["channel", "category", "priority", "team", "agent", "day", "week"]


@router.get(
    "/metrics/summary",
    response_model=Summary,
    tags=["metrics"],
    summary="Volumes, queue, SLA compliance, response and resolution times, FCR, reopens, "
    "CSAT, complaint share and compensation; optionally grouped",
    description=(
        "Read from daily rollups kept up to date with the ledger, so it stays fast over "
        "millions of tickets. Days are China's (UTC+8) and count tickets by the day they "
        "were received. Medians and p90s are estimated from time histograms. "
        "`group_by=agent` accepts the `team` and `category` filters only."
    ),
    responses=error_responses(400, 401, 403, 422),
    dependencies=[_readers],
)
async def summary(
    since: Day | None = Query(default=None, description="First day (UTC+8)"),
    until: Day | None = Query(default=None, description="Last day, included (UTC+8)"),
    channel: str | None = Query(default=None, max_length=16, description=CHANNEL_FILTER),
    category: Category | None = Query(default=None),
    priority: Priority | None = Query(default=None),
    team: str | None = Query(default=None, max_length=32),
    group_by: GroupBy | None = Query(default=None, examples=["team"]),
    session: AsyncSession = Depends(read_session),
) -> Summary:
    if since and until and since > until:
        raise ApiError(400, "invalid_range", "'since' must not be after 'until'.")
    filters = {"channel": channel, "category": category, "priority": priority, "team": team}
    window = {"since": since, "until": until}
    if group_by == "agent" and (channel is not None or priority is not None):
        raise ApiError(
            400,
            "unsupported_filter",
            "group_by=agent takes the team and category filters only.",
        )
    body = await metrics.summary(session, group_by, filters, **window)
    if group_by in ("channel", "category", "priority", "team"):
        body["groups"] = service.named(body["groups"], (await service.labels(session))[group_by])
    return Summary(**body, since=since, until=until, group_by=group_by)


def _wants_html(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "html"
    return accepts_html(request)


Review = TypeVar("Review", WeeklyReport, MonthlyReport)


def _check_period(window: Callable[[str], object], period: str, code: str, shape: str) -> None:
    """400 ``code`` when ``period`` is not one (``window`` raises for it)."""
    try:
        window(period)
    except (ValueError, OverflowError) as exc:
        raise ApiError(400, code, shape) from exc


def _review_as_asked(
    request: Request, format: str | None, review: Review, html: Callable[[Review], str]
) -> Response | Review:
    """A review as JSON, or as its printable page when the caller asks for HTML."""
    return HTMLResponse(html(review)) if _wants_html(request, format) else review


def _today() -> date:
    return utcnow().astimezone(REPORT_ZONE).date()


_HTML_RESPONSE: dict[int | str, dict[str, Any]] = {200: HTML_PAGE}


@router.get(
    "/reports/synonyms",
    response_model=SynonymTable,
    tags=["reports"],
    summary="The synonym table that groups complaint reasons in the reviews",
    description="Each reason with the words customers use for it (快递, 物流 and 配送延迟 "
    "are all 物流延迟); the built-in table while none was saved.",
    responses=error_responses(401, 403),
    dependencies=[_readers],
)
async def get_synonyms(session: AsyncSession = Depends(read_session)) -> SynonymTable:
    return SynonymTable(reasons=await synonyms.table(session))


@router.put(
    "/reports/synonyms",
    response_model=SynonymTable,
    tags=["reports"],
    summary="Replace the synonym table (admin); the next report uses it",
    responses=error_responses(401, 403, 422),
    dependencies=[Depends(require_roles("admin"))],
)
async def put_synonyms(
    payload: SynonymTable, uow: UnitOfWork = Depends(unit_of_work)
) -> SynonymTable:
    await synonyms.replace(uow.session, payload.reasons)
    await uow.commit()
    return SynonymTable(reasons=await synonyms.table(uow.session))


@router.get(
    "/reports/weekly",
    response_model=WeeklyReport,
    tags=["reports"],
    summary="Weekly review (周复盘): top issues and complaint reasons with shares, keywords, "
    "SLA compliance and the trend against the week before",
    description=(
        "JSON, or a printable HTML page with `Accept: text/html` (or `format=html`). "
        "Weeks are ISO weeks in China's time (UTC+8); the default is the current week. "
        "Keywords are extracted with jieba's TF-IDF per category."
    ),
    responses={**_HTML_RESPONSE, **error_responses(400, 401, 403, 422)},
    dependencies=[_readers],
)
async def weekly_report(
    request: Request,
    week: str | None = Query(
        default=None, max_length=8, description="ISO week", examples=["2026-W47"]
    ),
    format: Literal["json", "html"] | None = Query(default=None),
    session: AsyncSession = Depends(read_session),
) -> Response | WeeklyReport:
    week = week or metrics.iso_week(_today())
    _check_period(reports.week_window, week, "invalid_week", "week must look like 2026-W47.")
    report = await reports.weekly(session, week)
    return _review_as_asked(request, format, report, reports.weekly_html)


@router.get(
    "/reports/monthly",
    response_model=MonthlyReport,
    tags=["reports"],
    summary="Monthly review (月复盘): service quality per team and the problems to send to "
    "product, logistics and the other departments",
    description=(
        "JSON, or a printable HTML page with `Accept: text/html` (or `format=html`). "
        "Months are in China's time (UTC+8); the default is the current month."
    ),
    responses={**_HTML_RESPONSE, **error_responses(400, 401, 403, 422)},
    dependencies=[_readers],
)
async def monthly_report(
    request: Request,
    month: str | None = Query(default=None, max_length=7, examples=["2026-11"]),
    format: Literal["json", "html"] | None = Query(default=None),
    session: AsyncSession = Depends(read_session),
) -> Response | MonthlyReport:
    month = month or f"{_today():%Y-%m}"
    _check_period(reports.month_window, month, "invalid_month", "month must look like 2026-11.")
    report = await reports.monthly(session, month)
    return _review_as_asked(request, format, report, reports.monthly_html)


@router.get(
    "/metrics/business",
    tags=["metrics"],
    summary="Business figures for Prometheus: volumes, queue, SLA, CSAT, compensation "
    "(roles: viewer, supervisor, admin)",
    description=(
        "The same figures as `/v1/metrics/summary` in Prometheus' text format, for a scrape "
        "job that sends a viewer key (`authorization: {credentials: <key>}`). The open "
        "`/metrics` carries only operational series (requests, lag, outbox)."
    ),
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"example": 'sopdesk_tickets{state="open"} 31'}}},
        **error_responses(401, 403),
    },
    dependencies=[_readers],
)
async def business_metrics(request: Request) -> Response:
    registry = request.app.state.business_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


async def snapshot(session: AsyncSession) -> DashboardSnapshot:
    body = await metrics.summary(session, None, {})
    teams = await metrics.summary(session, "team", {})
    agents = await metrics.summary(session, "agent", {})
    labels = await service.labels(session)
    return DashboardSnapshot(
        generated_at=utcnow(),
        summary=Summary(**body),
        teams=service.named(teams["groups"], labels["team"]),
        agents=service.agents_named(agents["groups"], labels["team"]),
        on_shift=await service.on_shift(session),
        labels=labels,
        labels_en=await service.labels(session, "en"),
    )


def _attention_item(fact: Any, teams: dict[str, str], workspace: str) -> AttentionItem:
    return AttentionItem(
        ticket_id=fact.ticket_id,
        ticket_no=fact.ticket_no,
        subject=fact.subject,
        team=teams.get(fact.team, fact.team) if fact.team else None,
        team_key=fact.team,
        state=fact.state,
        received_at=fact.received_at,
        resolve_by=fact.resolve_by,
        link=f"{workspace.rstrip('/')}/tickets/{quote(fact.ticket_no or fact.ticket_id, safe='')}",
    )


@router.get(
    "/dashboard/attention",
    response_model=Attention,
    tags=["dashboard"],
    summary="Open tickets past a deadline and the oldest open tickets, each with its link",
    responses=error_responses(401, 403, 422),
    dependencies=[_readers],
)
async def attention(
    request: Request,
    limit: int = Query(default=10, ge=1, le=100),
    session: AsyncSession = Depends(read_session),
) -> Attention:
    breached, oldest = await repository.needing_attention(session, limit)
    teams = (await service.labels(session))["team"]
    workspace = request.app.state.settings.workspace_url
    return Attention(
        breached=[_attention_item(f, teams, workspace) for f in breached],
        oldest_open=[_attention_item(f, teams, workspace) for f in oldest],
    )


_SSE_EXAMPLE = 'data: {"generated_at": "2026-11-23T08:00:00Z", "summary": {...}}\n\n'


@router.get(
    "/stream",
    response_model=DashboardSnapshot,
    tags=["dashboard"],
    summary="The dashboard's figures, live as server-sent events (or one JSON snapshot)",
    description=(
        "With `Accept: text/event-stream` the response is an event stream: a `data:` frame "
        "holding a snapshot (summary, per team, per agent) at once and whenever the figures "
        "change (checked every `interval` seconds), and a comment line every 15 s to keep "
        "proxies from closing it. Any other `Accept` gets one snapshot as JSON. The "
        "dashboard reads it with `fetch`, so the key stays in the Authorization header."
    ),
    responses={
        200: {"content": {"text/event-stream": {"example": _SSE_EXAMPLE}}},
        **error_responses(401, 403, 422),
    },
    dependencies=[_readers],
)
async def stream(
    request: Request,
    interval: float = Query(default=2.0, ge=0.2, le=60, description="seconds between checks"),
    session: AsyncSession = Depends(read_session),
) -> Response | DashboardSnapshot:
    if "text/event-stream" not in request.headers.get("accept", ""):
        return await snapshot(session)
    sessions = request.app.state.runtime.sessions

    async def frames() -> AsyncIterator[str]:
        last, quiet = "", 0.0
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            async with sessions() as fresh:
                current = await snapshot(fresh)
            body = current.model_dump_json(exclude={"generated_at"})
            if body != last:
                last, quiet = body, 0.0
                yield f"data: {current.model_dump_json()}\n\n"
            elif quiet >= 15:
                quiet = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(interval)
            quiet += interval

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
