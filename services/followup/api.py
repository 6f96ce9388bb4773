"""Follow-up's HTTP routes."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.followup import callbacks, confirmation, repository, survey_page
from services.followup.models import SlaClock
from services.followup.schemas import (
    AtRiskClock,
    AtRiskList,
    CallbackCompletion,
    CallbackList,
    CallbackView,
    ClockView,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResult,
    SurveyView,
    TicketSla,
)
from services.followup.settings import FollowupSettings
from shared.auth import Principal, require_person, require_roles
from shared.errors import ApiError, ErrorBody, error_responses, not_found
from shared.events import utcnow
from shared.http import HTML_PAGE, accepts_html, read_session, unit_of_work
from shared.inputs import Instant
from shared.outbox import UnitOfWork

router = APIRouter(prefix="/v1", tags=["sla"])


# Declared before /sla/{ticket_id} so "at-risk" is not read as a ticket id.
@router.get(
    "/sla/at-risk",
    response_model=AtRiskList,
    summary="Clocks at risk: past their warning time or breached, soonest deadline first",
    responses=error_responses(401, 403, 422),
    dependencies=[Depends(require_roles("supervisor", "viewer"))],
)
async def list_at_risk(
    team: str | None = Query(default=None, max_length=32, examples=["tech_support"]),
    limit: int = Query(default=100, ge=1, le=500),
    session: AsyncSession = Depends(read_session),
) -> AtRiskList:
    now = utcnow()
    clocks = await repository.clocks_at_risk(session, now, team, limit)
    return AtRiskList(items=[AtRiskClock.model_validate(c) for c in clocks], as_of=now)


@router.get(
    "/sla/{ticket_id}",
    response_model=TicketSla,
    summary="A ticket's SLA clocks: deadlines, warning times, met or breached",
    responses=error_responses(401, 403, 404, 422),
    dependencies=[Depends(require_roles("agent", "supervisor", "viewer"))],
)
async def get_ticket_sla(
    ticket_id: uuid.UUID, session: AsyncSession = Depends(read_session)
) -> TicketSla:
    clocks = await repository.clocks_of_ticket(session, ticket_id)
    if not clocks:
        raise not_found("sla", ticket_id)
    return TicketSla(ticket_id=ticket_id, clocks=[_clock_view(c) for c in clocks])


def _clock_view(clock: SlaClock) -> ClockView:
    spec = clock.calendar_spec
    calendar = str(spec.get("name", "default")) if spec else "24x7"
    return ClockView.model_validate(clock).model_copy(update={"calendar": calendar})


# --------------------------------------------------------------------------- surveys
# Public: customers reach only these, and the signed single-use token is the credential.

SCORE_LABELS = {"1": "非常不满意", "2": "不满意", "3": "一般", "4": "满意", "5": "非常满意"}
QUESTIONS = [
    SurveyQuestion(key="resolved", text="您的问题是否已解决？", kind="yes_no", required=True),
    SurveyQuestion(
        key="score",
        text="请为本次服务打分（1–5分）",
        kind="scale",
        required=True,
        min=1,
        max=5,
        labels=SCORE_LABELS,
    ),
    SurveyQuestion(key="comment", text="其他意见或建议", kind="text", required=False),
]
_TOKEN = Path(
    min_length=1,
    max_length=200,
    description="The token from the survey link (signed, expiring, single-use)",
)
_SURVEY_ERRORS = {
    404: {"model": ErrorBody, "description": "survey_not_found: not a valid survey link"},
    409: {"model": ErrorBody, "description": "survey_already_answered: the link was used"},
    410: {
        "model": ErrorBody,
        "description": "survey_expired: the link expired; survey_closed: the ticket was "
        "closed without an answer, or a later resolution sent a new link",
    },
    422: {"model": ErrorBody, "description": "validation_error: the answer is not valid"},
}


def _refused(error: ApiError) -> HTMLResponse:
    """Why the link cannot be used, as a page, with the API's status."""
    return HTMLResponse(survey_page.refusal_page(error.code, error.message), error.status)


@router.get(
    "/surveys/{token}",
    response_model=SurveyView,
    tags=["surveys"],
    summary="The survey behind a link: what the customer is asked (public; the token is the key)",
    description="JSON, or with `Accept: text/html` (a phone's browser opening the link) a "
    "small page with the questions as a form that posts to `/v1/surveys/{token}/form`.",
    responses={200: HTML_PAGE, **_SURVEY_ERRORS},  # type: ignore[dict-item]
)
async def show_survey(
    request: Request,
    token: str = _TOKEN,
    session: AsyncSession = Depends(read_session),
) -> Response:
    settings: FollowupSettings = request.app.state.settings
    try:
        survey = await confirmation.survey_for_token(session, settings, token, utcnow(), lock=False)
    except ApiError as error:
        if not accepts_html(request):
            raise
        return _refused(error)
    if accepts_html(request):
        return HTMLResponse(
            survey_page.survey_form(
                QUESTIONS, f"{token}/form", brand=settings.survey_brand, ticket_no=survey.ticket_no
            )
        )
    view = SurveyView(
        ticket_id=survey.ticket_id,
        ticket_no=survey.ticket_no,
        brand=settings.survey_brand,
        state=survey.state,
        expires_at=survey.expires_at,
        questions=QUESTIONS,
    )
    return JSONResponse(view.model_dump(mode="json"))


async def _answer(
    request: Request, uow: UnitOfWork, token: str, answer: SurveyAnswer
) -> SurveyResult:
    settings: FollowupSettings = request.app.state.settings
    survey = await confirmation.answer_survey(
        uow,
        settings,
        token,
        resolved=answer.resolved,
        score=answer.score,
        comment=answer.comment,
        now=utcnow(),
    )
    await uow.commit()
    outcome = survey.outcome or "confirmed"
    message = (
        "感谢您的评价！工单已确认关闭。"
        if outcome == "confirmed"
        else "很抱歉未能让您满意，主管将尽快跟进处理。"
    )
    return SurveyResult(ticket_id=survey.ticket_id, outcome=outcome, message=message)


@router.post(
    "/surveys/{token}",
    response_model=SurveyResult,
    tags=["surveys"],
    summary="Answer a survey once: resolved yes/no, a score of 1–5 and a comment (public)",
    description="A satisfied answer confirms and closes the ticket (ticket.confirmed, "
    "ticket.closed); score ≤ 2 or not resolved reopens it, escalated to the supervisor "
    "(ticket.reopened). Always emits survey.answered.",
    responses=_SURVEY_ERRORS,  # type: ignore[arg-type]
)
async def answer_survey(
    request: Request,
    answer: SurveyAnswer,
    token: str = _TOKEN,
    uow: UnitOfWork = Depends(unit_of_work),
) -> SurveyResult:
    return await _answer(request, uow, token, answer)


@router.post(
    "/surveys/{token}/form",
    response_class=HTMLResponse,
    tags=["surveys"],
    summary="Answer a survey from its HTML form (public; URL-encoded fields, HTML answer)",
    description="What the page of `GET /v1/surveys/{token}` posts: `resolved` (yes or no), "
    "`score` (1–5) and `comment`. The same rules as the JSON answer; the reply is a page.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["resolved", "score"],
                        "properties": {
                            "resolved": {"type": "string", "enum": ["yes", "no"]},
                            "score": {"type": "integer", "minimum": 1, "maximum": 5},
                            "comment": {"type": "string", "maxLength": 2000},
                        },
                    },
                    "example": {"resolved": "yes", "score": 5, "comment": "处理很及时"},
                }
            },
        }
    },
    responses={
        200: HTML_PAGE,
        **{
            status: {**HTML_PAGE, "description": spec["description"]}
            for status, spec in _SURVEY_ERRORS.items()
        },
        # The size limit answers before the route, in JSON like every other service.
        413: {
            "description": "payload_too_large: the form is too large",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        },
    },
)
async def answer_survey_form(
    request: Request,
    token: str = _TOKEN,
    uow: UnitOfWork = Depends(unit_of_work),
) -> HTMLResponse:
    fields = survey_page.read_form(await request.body())
    try:
        answer = SurveyAnswer(
            resolved={"yes": True, "no": False}[fields.get("resolved", "")],
            score=int(fields.get("score", "")),
            comment=fields.get("comment") or None,
        )
    except (KeyError, ValueError):  # pydantic's ValidationError is a ValueError
        page = survey_page.message_page("请完整填写", "请选择问题是否已解决,并打1–5分后再提交。")
        return HTMLResponse(page, status_code=422)
    try:
        result = await _answer(request, uow, token, answer)
    except ApiError as error:
        return _refused(error)
    return HTMLResponse(survey_page.message_page("提交成功", result.message))


# --------------------------------------------------------------------------- callbacks


def _callback_view(callback: object) -> CallbackView:
    view = CallbackView.model_validate(callback)
    overdue = view.state == "open" and view.breached_at is not None
    return view.model_copy(update={"overdue": overdue})


@router.get(
    "/callbacks",
    response_model=CallbackList,
    tags=["callbacks"],
    summary="Callback tasks (回访) by owner team, state and due date, soonest due first",
    responses=error_responses(401, 403, 422),
    dependencies=[Depends(require_roles("agent", "supervisor", "viewer"))],
)
async def list_callbacks(
    owner: str | None = Query(default=None, max_length=32, examples=["after_sales"]),
    state: Literal["open", "completed", "cancelled", "overdue"] | None = Query(
        default=None, description="overdue: open and past its deadline", examples=["open"]
    ),
    due_before: Instant | None = Query(default=None, examples=["2026-11-25T00:00:00Z"]),
    limit: int = Query(default=100, ge=1, le=500),
    session: AsyncSession = Depends(read_session),
) -> CallbackList:
    if due_before is not None and due_before.tzinfo is None:
        raise ApiError(422, "validation_error", "due_before needs a time zone, e.g. Z.")
    rows = await repository.list_callbacks(
        session, owner=owner, state=state, due_before=due_before, limit=limit
    )
    return CallbackList(items=[_callback_view(c) for c in rows])


@router.post(
    "/callbacks/{callback_id}/complete",
    response_model=CallbackView,
    tags=["callbacks"],
    summary="Record a callback's outcome and CSAT (emits callback.completed)",
    description="By a person of the owner team (its agents and supervisors), an admin, or a"
    " team system's key with scope callbacks:write. Refusals: 403 person_required (a shared"
    " key), 403 not_your_team.",
    responses={
        **error_responses(401, 403, 422),
        404: {"model": ErrorBody, "description": "callback_not_found"},
        409: {
            "model": ErrorBody,
            "description": "callback_already_completed, or callback_cancelled (reopened)",
        },
    },
)
async def complete_callback(
    callback_id: uuid.UUID,
    body: CallbackCompletion,
    principal: Principal = Depends(
        require_roles("agent", "supervisor", scopes=["callbacks:write"])
    ),
    uow: UnitOfWork = Depends(unit_of_work),
) -> CallbackView:
    teams: frozenset[str] | None = None  # None: any team's callback
    if not (principal.is_admin or principal.has_scope("callbacks:write")):
        person = require_person(principal)
        teams = person.teams | person.supervises
    call = callbacks.CallRecord(
        outcome=body.outcome,
        score=body.score,
        started_at=body.call_started_at,
        ended_at=body.call_ended_at,
        verification=body.verification,
    )
    callback = await callbacks.complete_callback(
        uow,
        callback_id,
        call,
        by=principal.actor,
        by_name=principal.actor_name,
        now=utcnow(),
        teams=teams,
    )
    await uow.commit()
    return _callback_view(callback)
