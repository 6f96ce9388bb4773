"""Notices to the customer: what intake sends, and where (webhook or SMTP relay)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import domain, repository
from services.intake.models import Customer, Ticket
from services.intake.settings import IntakeSettings
from services.intake.templates import TemplateBook, channel_family, with_signature
from shared.events import (
    Envelope,
    NotificationOutgoing,
    NotificationOutgoingData,
    utcnow,
)
from shared.outbox import UnitOfWork


@dataclass
class NoticeRows:
    """The notices of a batch of events and their webhook deliveries, written with one
    INSERT per table when the batch's reaction is done rather than one per notice."""

    outgoing: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    async def write(self, session: AsyncSession) -> None:
        await repository.insert_outgoing_messages(session, self.outgoing)
        await repository.insert_notification_deliveries(session, self.deliveries)
        self.outgoing, self.deliveries = [], []


async def notify_customer(
    uow: UnitOfWork,
    settings: IntakeSettings,
    book: TemplateBook,
    ticket: Ticket,
    customer: Customer,
    template: str,
    params: dict[str, Any],
    *,
    phone: str | None = None,
    email: str | None = None,
    preferred: str | None = None,
    cause: Envelope | None = None,
    rows: NoticeRows | None = None,
) -> str | None:
    """Render ``template`` for the customer's preferred contact (its language and channel,
    an SMS signed) and emit it as ``notification.outgoing``, the only event that carries
    a raw contact. The text sent (unsigned), or None when the customer cannot be reached.
    With ``rows`` its rows are kept there for the caller to write; else written now."""
    route = domain.contact_route(
        preferred or ticket.preferred_contact,
        ticket.channel,
        ticket.sub_channel,
        phone or customer.phone,
        email or customer.email,
        customer.member_id,
        str(customer.id),
    )
    if route is None:
        return None
    channel, to = route
    family = channel_family(channel)
    text = book.render(
        template,
        domain.language_of(ticket.language),
        family,
        {"ticket_no": ticket.ticket_no, **params},
    )
    body = with_signature(text, family, settings.sms_signature)
    notification_id = uuid.uuid4()
    author, actor, actor_name = _author(ticket, template, cause)
    sent = {
        "id": notification_id,
        "ticket_id": ticket.id,
        "channel": channel,
        "template": template,
        "body": text,
        "author": author,
        "actor": actor,
        "actor_name": actor_name,
        "at": utcnow(),  # when it was sent (the cause may be older: a replay, a race)
    }
    if rows is not None:
        rows.outgoing.append(sent)
    else:
        await repository.insert_outgoing_message(uow.session, sent)
    event = NotificationOutgoing(
        ticket_id=ticket.id,
        data=NotificationOutgoingData(
            notification_id=notification_id,
            channel=channel,
            to=to,
            template=template,
            language=ticket.language,
            subject=f"[{ticket.ticket_no}] {ticket.subject}" if channel == "email" else None,
            body=body,
        ),
    )
    await emit_notification(uow, settings, event, cause=cause, rows=rows)
    return text


# Notices whose words are an agent's (a public note, a visit booked, the result).
AGENT_WORDS = frozenset({"progress_update", "visit", "resolution"})


def _author(
    ticket: Ticket, template: str, cause: Envelope | None
) -> tuple[str, str | None, str | None]:
    """Who speaks in a message to the customer: the agent for the notices that carry an
    agent's words, else the system; and whoever's action caused it (a supervisor's
    reassignment names the supervisor on the system's assignment notice)."""
    data = cause.data if cause is not None else None
    actor, actor_name = getattr(data, "actor", None), getattr(data, "actor_name", None)
    if not (isinstance(actor, str) and actor) and template == "resolution":
        actor, actor_name = ticket.resolved_by, ticket.resolved_by_name
    if not (isinstance(actor, str) and actor):
        return "system", None, None
    return ("agent" if template in AGENT_WORDS else "system"), actor, actor_name


SMTP_RELAY = "smtp"  # delivery target: the configured SMTP relay, not a webhook


def webhook_for(channel: str, settings: IntakeSettings) -> str | None:
    """The key of the webhook serving a channel: exact (``social:wechat``), then its family."""
    if channel in settings.notification_webhooks:
        return channel
    family = channel.split(":", 1)[0]
    if family in settings.notification_webhooks:
        return family
    if family == "email" and settings.smtp_relay_host:
        return SMTP_RELAY
    return None


async def emit_notification(
    uow: UnitOfWork,
    settings: IntakeSettings,
    event: NotificationOutgoing,
    *,
    cause: Envelope | None = None,
    rows: NoticeRows | None = None,
) -> None:
    """Publish a notification to the notifications topic and, when the channel has a
    gateway webhook, queue its delivery there in the same transaction (kept in ``rows``
    when given)."""
    uow.emit(event, cause=cause)
    target = webhook_for(event.data.channel, settings)
    if target is None:
        return
    now = utcnow()
    delivery = {
        "id": event.data.notification_id,
        "ticket_id": event.ticket_id,
        "channel": event.data.channel,
        "template": event.data.template,
        "target": target,
        "payload": event.model_dump_json(),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "created_at": now,
        "delivered_at": None,
    }
    if rows is not None:
        rows.deliveries.append(delivery)
    else:
        await repository.insert_notification_delivery(uow.session, delivery)
