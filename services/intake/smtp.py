"""The built-in e-mail gateway: an SMTP listener (aiosmtpd) that turns mail into tickets.

A mail becomes ``POST /v1/tickets`` on the ``email`` channel: the sender is the
customer, the Message-ID the idempotency key (an SMTP retry gives the same ticket),
and a reply threads onto its ticket by In-Reply-To / References or by the ticket
number in the subject (``Re: [T20261122-000123] ...``, only from that ticket's own
customer). Mail that cannot be a ticket is refused with a 5xx; a failure on our side
is a 451, so the sending server tries again.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import ValidationError

from services.intake import reception
from services.intake.schemas import TicketCreate
from services.intake.settings import IntakeSettings
from shared.errors import ApiError
from shared.observability import get_logger
from shared.outbox import UnitOfWork

log = get_logger(__name__)
# aiosmtpd logs every SMTP command and each client's ordinary QUIT ("Connection lost") at
# INFO; the tickets it makes are logged by intake itself.
logging.getLogger("mail.log").setLevel(logging.WARNING)

_TAGS = re.compile(r"<[^>]+>")
_CJK = re.compile(r"[\u3400-\u9fff]")


class MailRefused(ValueError):
    pass


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        return ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = _TAGS.sub(" ", content)
    # Quoted history of a reply is already on the ticket.
    lines = [line for line in content.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def mail_to_ticket(raw: bytes, settings: IntakeSettings) -> tuple[TicketCreate, str]:
    """The ticket request a mail makes, and its idempotency key."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    if not address or "@" not in address:
        raise MailRefused("no sender address")
    subject = " ".join(str(message.get("Subject", "") or "").split()) or "(no subject)"
    text = _text_of(message)
    description = text[: settings.description_max_length] or subject
    message_id = str(message.get("Message-ID", "") or "").strip()[:998]
    if len(message_id) < 3:
        message_id = f"<{uuid.uuid4()}@sopdesk.invalid>"
    in_reply_to = str(message.get("In-Reply-To", "") or "").strip()[:998] or None
    references = [r[:998] for r in str(message.get("References", "") or "").split()][-50:]
    language = "zh" if _CJK.search(subject + description) else "en"
    body: dict[str, Any] = {
        "channel": "email",
        "customer": {"name": name[:100] or None, "email": address},
        "subject": subject[: settings.subject_max_length],
        "description": description,
        "preferred_contact": "email",
        "language": language,
        "email": {"message_id": message_id, "in_reply_to": in_reply_to, "references": references},
    }
    try:
        payload = TicketCreate.model_validate(body)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        raise MailRefused(f"not a valid request: {', '.join(fields)}") from exc
    key = "smtp:" + hashlib.sha256(message_id.encode()).hexdigest()[:40]
    return payload, key


class IntakeMailHandler:
    """aiosmtpd handler: one mail, one ``receive_ticket`` in one transaction."""

    def __init__(self, unit_of_work: Callable[[], UnitOfWork], settings: IntakeSettings) -> None:
        self._unit_of_work = unit_of_work
        self._settings = settings

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw).encode()
        try:
            payload, key = mail_to_ticket(raw, self._settings)
        except MailRefused as exc:
            log.info("mail_refused", reason=str(exc))
            return f"550 5.6.0 {exc}"
        try:
            async with self._unit_of_work() as uow:
                result = await reception.receive_ticket(uow, payload, key, self._settings)
                await uow.commit()
        except ApiError as exc:
            log.info("mail_refused", reason=exc.code)
            return f"550 5.6.0 {exc.code}: {exc.message}"
        except Exception as exc:
            log.exception("mail_failed", error=type(exc).__name__)
            return "451 4.3.0 Temporary failure, try again later"
        ticket = result.ticket
        log.info(
            "mail_received",
            ticket_id=str(ticket.id),
            deduplicated=result.deduplicated,
            replayed=result.replayed,
        )
        return f"250 2.0.0 Accepted as ticket {ticket.ticket_no}"


def smtp_factory(
    unit_of_work: Callable[[], UnitOfWork], settings: IntakeSettings
) -> Callable[[], SMTP]:
    handler = IntakeMailHandler(unit_of_work, settings)

    def factory() -> SMTP:
        return SMTP(
            handler,
            data_size_limit=settings.smtp_max_message_bytes,
            enable_SMTPUTF8=True,
            ident="sopdesk intake",
        )

    return factory
