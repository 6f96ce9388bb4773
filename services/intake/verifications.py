"""SMS verification codes: send one, check one; the caller commits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Literal

from services.intake import domain, repository, template_service
from services.intake.customer_schemas import VerificationCreate
from services.intake.customers import normalise_identifier
from services.intake.models import (
    TimelineEntry,
    Verification,
)
from services.intake.notices import emit_notification
from services.intake.settings import IntakeSettings
from services.intake.templates import with_signature
from shared.errors import ApiError, not_found
from shared.events import (
    NotificationOutgoing,
    NotificationOutgoingData,
    utcnow,
)
from shared.observability import get_logger
from shared.outbox import UnitOfWork

log = get_logger(__name__)


# --------------------------------------------------------------------------- verification

VerificationOutcome = Literal[
    "verified", "wrong_code", "code_expired", "too_many_attempts", "already_verified"
]


def _internal_note(ticket_id: uuid.UUID, text: str, at: datetime) -> TimelineEntry:
    return TimelineEntry(
        ticket_id=ticket_id, kind="verification", text=text, customer_visible=False, at=at
    )


async def start_verification(
    uow: UnitOfWork, payload: VerificationCreate, settings: IntakeSettings
) -> Verification:
    """Send a 6-digit code to a phone through the notifications topic.

    The code appears only in that ``notification.outgoing`` event; the store keeps
    its HMAC. Sends are limited per phone (one per ``min_interval``, ``max_per_hour``).
    """
    phone = normalise_identifier("phone", payload.phone, settings)
    ticket = None
    if payload.ticket_id is not None:
        ticket = await repository.get_ticket(uow.session, payload.ticket_id)
        if ticket is None:
            raise not_found("ticket", payload.ticket_id)
    now = utcnow()
    await repository.lock_phone_throttle(uow.session, phone, now)
    sent = await repository.verification_sends_since(uow.session, phone, now - timedelta(hours=1))
    if sent:
        wait = settings.verification_min_interval_seconds - (now - sent[-1]).total_seconds()
        if wait > 0:
            raise ApiError(
                429,
                "rate_limited",
                "A code was sent to this phone a moment ago; wait before asking again.",
                details={"retry_after_seconds": int(wait) + 1},
            )
    if len(sent) >= settings.verification_max_per_hour:
        wait = 3600 - (now - sent[0]).total_seconds()
        raise ApiError(
            429,
            "rate_limited",
            f"At most {settings.verification_max_per_hour} codes an hour go to one phone.",
            details={"retry_after_seconds": max(int(wait) + 1, 1)},
        )
    verification_id = uuid.uuid4()
    code = domain.new_code()
    verification = Verification(
        id=verification_id,
        phone=phone,
        ticket_id=ticket.id if ticket else None,
        code_hash=domain.code_hash(
            settings.verification_secret.get_secret_value(), str(verification_id), code
        ),
        status="pending",
        attempts=0,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.verification_ttl_seconds),
    )
    repository.add(uow.session, verification)
    language: domain.Language = payload.language or (
        "en" if ticket is not None and ticket.language == "en" else settings.default_language
    )
    minutes = max(settings.verification_ttl_seconds // 60, 1)
    book = await template_service.template_book(uow.session, settings)
    text = book.render("verification_code", language, "sms", {"code": code, "minutes": minutes})
    await emit_notification(
        uow,
        settings,
        NotificationOutgoing(
            ticket_id=ticket.id if ticket else None,
            data=NotificationOutgoingData(
                notification_id=uuid.uuid4(),
                channel="sms",
                to=phone,
                template="verification_code",
                language=language,
                body=with_signature(text, "sms", settings.sms_signature),
            ),
        ),
    )
    if ticket is not None:
        repository.add(
            uow.session,
            _internal_note(ticket.id, f"已向 {domain.mask_phone(phone)} 发送短信验证码", now),
        )
    await uow.session.flush()
    log.info("verification_sent", verification_id=str(verification_id))
    return verification


async def check_verification(
    uow: UnitOfWork, verification_id: uuid.UUID, code: str, settings: IntakeSettings
) -> tuple[VerificationOutcome, Verification]:
    """Check a code. Every attempt is counted and kept, so the caller commits even when
    the outcome is a refusal."""
    verification = await repository.verification_for_update(uow.session, verification_id)
    if verification is None:
        raise not_found("verification", verification_id)
    now = utcnow()
    ticket_id = verification.ticket_id
    if verification.status == "verified":
        return "already_verified", verification
    if verification.status == "locked":
        return "too_many_attempts", verification
    if verification.status == "expired" or now >= verification.expires_at:
        if verification.status == "pending":
            verification.status = "expired"
            if ticket_id:
                repository.add(uow.session, _internal_note(ticket_id, "短信验证码已过期", now))
        return "code_expired", verification
    verification.attempts += 1
    secret = settings.verification_secret.get_secret_value()
    if domain.code_matches(secret, str(verification.id), code, verification.code_hash):
        verification.status = "verified"
        verification.verified_at = now
        if ticket_id:
            repository.add(uow.session, _internal_note(ticket_id, "短信验证通过", now))
        outcome: VerificationOutcome = "verified"
    elif verification.attempts >= settings.verification_max_attempts:
        verification.status = "locked"
        if ticket_id:
            repository.add(uow.session, _internal_note(ticket_id, "短信验证失败:错误次数过多", now))
        outcome = "too_many_attempts"
    else:
        outcome = "wrong_code"
    log.info("verification_checked", verification_id=str(verification.id), outcome=outcome)
    return outcome, verification
