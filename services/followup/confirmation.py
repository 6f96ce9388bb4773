"""Confirming the result with the customer: the survey link on resolution, its answer, and
the close of unanswered surveys. The caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.followup import repository
from services.followup.models import Survey
from services.followup.settings import FollowupSettings
from services.followup.sla_clocks import reopen_ticket
from services.followup.surveys import InvalidToken, make_token, read_token, satisfied, token_hash
from shared.errors import ApiError
from shared.events import (
    NotificationRequested,
    NotificationRequestedData,
    SurveyAnswered,
    SurveyAnsweredData,
    TicketClosed,
    TicketConfirmed,
    TicketReopened,
    TicketResolved,
    TicketStateData,
)
from shared.outbox import UnitOfWork

# --------------------------------------------------------------------------- surveys


def _secret(settings: FollowupSettings) -> bytes:
    return settings.survey_secret.get_secret_value().encode()


async def request_confirmation(
    uow: UnitOfWork, events: Sequence[TicketResolved], settings: FollowupSettings
) -> list[str]:
    """On resolution: a survey with a single-use link, and notifications to the customer
    (the result with the agent's public reply and compensations, then the survey link).
    Returns the issued tokens (only their hashes are stored)."""
    resolved = [e for e in events if e.ticket_id is not None]
    if not resolved:
        return []
    await repository.supersede_pending_surveys(
        uow.session, [e.ticket_id for e in resolved if e.ticket_id], resolved[-1].data.at
    )
    clocks = await repository.clocks_for_update(
        uow.session, [e.ticket_id for e in resolved if e.ticket_id]
    )
    tokens = []
    for event in resolved:
        assert event.ticket_id is not None
        at = event.data.at
        survey = Survey(
            id=uuid.uuid4(),
            ticket_id=event.ticket_id,
            state="pending",
            created_at=at,
            expires_at=at + settings.survey_link_ttl,
            close_at=at + settings.auto_close_after,
            ticket_no=getattr(clocks.get((event.ticket_id, "resolution")), "ticket_no", None),
        )
        token = make_token(_secret(settings), survey.id, survey.expires_at)
        survey.token_hash = token_hash(token)
        repository.add(uow.session, survey)
        tokens.append(token)
        # The link is the survey's key: only its id and expiry travel on sopdesk.followup;
        # intake signs the link into the message (shared.survey_links).
        link = {"survey_id": str(survey.id), "expires_at": survey.expires_at.isoformat()}
        days = max(1, round(settings.auto_close_after.total_seconds() / 86400))
        uow.emit(
            NotificationRequested(
                ticket_id=event.ticket_id,
                data=NotificationRequestedData(
                    template="resolution",
                    params={
                        "reply": event.data.public_reply,
                        "resolution_code": event.data.resolution_code,
                        "compensations": event.data.compensations,
                        **link,
                        "days": days,
                    },
                ),
            ),
            cause=event,
        )
        uow.emit(
            NotificationRequested(
                ticket_id=event.ticket_id,
                data=NotificationRequestedData(template="survey", params={**link, "days": days}),
            ),
            cause=event,
        )
    return tokens


async def survey_for_token(
    session: AsyncSession, settings: FollowupSettings, token: str, now: datetime, *, lock: bool
) -> Survey:
    """The pending survey a link points at, or the API error that says why not."""
    try:
        read_token(_secret(settings), token)
    except InvalidToken:
        raise ApiError(404, "survey_not_found", "This survey link is not valid.") from None
    survey = await repository.survey_by_token_hash(session, token_hash(token), lock=lock)
    if survey is None:
        raise ApiError(404, "survey_not_found", "This survey link is not valid.")
    if survey.state == "answered":
        raise ApiError(409, "survey_already_answered", "This survey has already been answered.")
    if survey.state != "pending":
        raise ApiError(410, "survey_closed", "This survey is closed.")
    if now >= survey.expires_at:
        raise ApiError(410, "survey_expired", "This survey link has expired.")
    return survey


async def answer_survey(
    uow: UnitOfWork,
    settings: FollowupSettings,
    token: str,
    *,
    resolved: bool,
    score: int,
    comment: str | None,
    now: datetime,
) -> Survey:
    """Record the answer (once) and act on it: satisfied → ``ticket.confirmed`` and
    ``ticket.closed``; unsatisfied (score ≤ 2 or not resolved) → ``ticket.reopened``,
    escalated to the supervisor. The caller commits."""
    survey = await survey_for_token(uow.session, settings, token, now, lock=True)
    survey.state = "answered"
    survey.answered_at = now
    survey.close_at = None
    survey.resolved, survey.score, survey.comment = resolved, score, comment
    ticket_id = survey.ticket_id
    uow.emit(
        SurveyAnswered(
            ticket_id=ticket_id,
            occurred_at=now,
            data=SurveyAnsweredData(
                score=score, resolved=resolved, comment=comment, survey_id=survey.id
            ),
        )
    )
    if satisfied(resolved, score) and survey.outcome == "confirmed":
        pass  # confirmed by reply already: the score is all that was missing
    elif satisfied(resolved, score):
        survey.outcome = "confirmed"
        state = TicketStateData(reason="confirmed", score=score, survey_id=survey.id)
        uow.emit(TicketConfirmed(ticket_id=ticket_id, occurred_at=now, data=state))
        uow.emit(TicketClosed(ticket_id=ticket_id, occurred_at=now, data=state.model_copy()))
    else:
        survey.outcome = "reopened"
        why = "not resolved" if not resolved else f"score {score}"
        reason = TicketStateData(
            reason=f"customer not satisfied ({why})",
            escalate=True,
            score=score,
            survey_id=survey.id,
        )
        if not await reopen_ticket(uow, ticket_id, now, reason, settings):
            # No resolution clock seen (events still on their way): reopen all the same.
            uow.emit(TicketReopened(ticket_id=ticket_id, occurred_at=now, data=reason))
    return survey


async def close_unanswered_surveys(uow: UnitOfWork, now: datetime, *, limit: int = 200) -> int:
    """No answer in time: close the ticket with reason ``auto`` (once per survey)."""
    claimed = await repository.claim_unanswered_surveys(uow.session, now, limit)
    for survey in claimed:
        survey.state = "closed"
        survey.outcome = "auto"
        survey.closed_at = now
        survey.close_at = None
        uow.emit(
            TicketClosed(
                ticket_id=survey.ticket_id,
                occurred_at=now,
                data=TicketStateData(reason="auto", survey_id=survey.id),
            )
        )
        # Announced in the result notice; the customer is told it happened, and how to
        # reopen (intake adds its reopen window).
        uow.emit(
            NotificationRequested(
                ticket_id=survey.ticket_id,
                occurred_at=now,
                data=NotificationRequestedData(
                    template="auto_close", params={"days": _days(survey.created_at, now)}
                ),
            )
        )
    return len(claimed)


def _days(since: datetime, until: datetime) -> int:
    return max(1, round((until - since).total_seconds() / 86400))
