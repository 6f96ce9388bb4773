"""Intake's use cases. They change state and emit events through the unit of work;
the caller (route or handler) commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import DBAPIError, IntegrityError

from services.intake import domain, repository, template_service
from services.intake.models import (
    Customer,
    NotificationDelivery,
    Ticket,
    TicketMessage,
    TimelineEntry,
    Verification,
    VipEntry,
)
from services.intake.schemas import (
    CustomerIn,
    MessageCreate,
    TicketCreate,
    VerificationCreate,
    VipCreate,
)
from services.intake.settings import IntakeSettings
from services.intake.templates import TemplateBook, channel_family, with_signature
from shared.database import lost_a_race
from shared.errors import ApiError, not_found
from shared.events import (
    Channel,
    CustomerMerged,
    CustomerMergedData,
    Envelope,
    NotificationOutgoing,
    NotificationOutgoingData,
    TicketMessageAdded,
    TicketMessageAddedData,
    TicketReceived,
    TicketReceivedData,
    utcnow,
)
from shared.observability import get_logger
from shared.outbox import UnitOfWork

log = get_logger(__name__)


@dataclass
class NewTicket:
    ticket: Ticket
    replayed: bool = False
    deduplicated: bool = False
    message_id: uuid.UUID | None = None


def _normalised_identity(
    customer: CustomerIn, settings: IntakeSettings
) -> tuple[str | None, str | None]:
    try:
        phone = (
            domain.normalise_phone(customer.phone, settings.phone_region)
            if customer.phone
            else None
        )
    except domain.InvalidPhone as exc:
        raise ApiError(422, "invalid_phone", f"customer.phone: {exc}") from exc
    email = domain.normalise_email(str(customer.email)) if customer.email else None
    return phone, email


async def _merge(uow: UnitOfWork, survivor: Customer, merged: Customer, now: datetime) -> None:
    """Fold ``merged`` into ``survivor``: identifiers and tickets move, the profile stays
    behind pointing at the survivor, and ``customer.merged`` tells the other services."""
    moved: dict[str, str] = {}
    for attr in ("phone", "email", "member_id"):
        value = getattr(merged, attr)
        if value is not None:
            setattr(merged, attr, None)  # unique columns: free the value before moving it
            if getattr(survivor, attr) is None:
                moved[attr] = value
    merged.merged_into_id = survivor.id
    merged.updated_at = now
    await uow.session.flush()
    for attr, value in moved.items():
        setattr(survivor, attr, value)
    survivor.name = survivor.name or merged.name
    survivor.is_vip = survivor.is_vip or merged.is_vip
    survivor.member_tier = survivor.member_tier or merged.member_tier
    survivor.ticket_count += merged.ticket_count
    survivor.updated_at = now
    await repository.repoint_customer(uow.session, merged.id, survivor.id)
    uow.emit(
        CustomerMerged(
            data=CustomerMergedData(surviving_customer_id=survivor.id, merged_customer_id=merged.id)
        )
    )
    log.info("customer_merged", surviving=str(survivor.id), merged=str(merged.id))


async def _resolve_customer(
    uow: UnitOfWork,
    data: CustomerIn,
    phone: str | None,
    email: str | None,
    order_no: str | None,
    settings: IntakeSettings,
) -> tuple[Customer, bool]:
    """Find or create the customer; merge profiles the request proves are one person.

    Phone, e-mail and member id identify (and merge); an order number only finds a
    profile when nothing else matches, and never merges two. Returns the profile and
    whether it is VIP (member tier or the VIP list).
    """
    now = utcnow()
    strong: list[repository.Identifier] = [
        (kind, value)
        for kind, value in (("phone", phone), ("email", email), ("member_id", data.member_id))
        if value
    ]
    wanted = strong + ([("order_no", order_no)] if order_no else [])
    owners = await repository.customers_by_identifiers(uow.session, wanted)
    by_strong = {c.id: c for (kind, _), c in owners.items() if kind != "order_no"}
    customer: Customer | None = None
    if by_strong:
        profiles = sorted(by_strong.values(), key=lambda c: (c.created_at, str(c.id)))
        customer = profiles[0]
        for other in profiles[1:]:
            await _merge(uow, customer, other, now)
    elif order_no and ("order_no", order_no) in owners:
        customer = owners[("order_no", order_no)]
    if customer is None:
        customer = Customer(
            id=uuid.uuid4(),
            name=data.name,
            is_vip=False,
            ticket_count=0,
            created_at=now,
            updated_at=now,
        )
        repository.add(uow.session, customer)
    # The first phone / e-mail / member id a profile gets is its primary contact.
    if phone and customer.phone is None:
        customer.phone = phone
    if email and customer.email is None:
        customer.email = email
    if data.member_id and customer.member_id is None:
        customer.member_id = data.member_id
    customer.name = customer.name or data.name
    if data.member_tier:
        customer.member_tier = data.member_tier
        customer.is_vip = domain.is_vip_tier(data.member_tier, settings.vip_member_tiers)
    customer.updated_at = now
    await uow.session.flush()
    await repository.add_identifiers(
        uow.session, customer.id, [i for i in wanted if i not in owners], now
    )
    known = [
        (kind, value)
        for kind, value in (
            ("phone", customer.phone),
            ("email", customer.email),
            ("member_id", customer.member_id),
        )
        if value
    ]
    listed = await repository.is_on_vip_list(uow.session, [*strong, *known])
    return customer, customer.is_vip or listed


async def _attach(
    uow: UnitOfWork,
    ticket: Ticket,
    payload: TicketCreate,
    idempotency_key: str | None,
    *,
    similar: bool,
) -> NewTicket:
    """A request that is not a new issue becomes a message on its open ticket (or on its
    ticket closed within the reopen window, which reopens it)."""
    message = _record_message(
        uow,
        ticket,
        payload.channel,
        f"{payload.subject}\n{payload.description}",
        external_id=payload.email.message_id if payload.email else None,
        deduplicated=similar,
        idempotency_key=idempotency_key,
    )
    await uow.session.flush()
    return NewTicket(ticket, deduplicated=True, message_id=message.message_id)


def _record_message(
    uow: UnitOfWork,
    ticket: Ticket,
    channel: Channel | None,
    body: str,
    *,
    external_id: str | None = None,
    deduplicated: bool = False,
    idempotency_key: str | None = None,
) -> TicketMessageAddedData:
    """Store a customer message on its ticket and emit ``ticket.message_added`` (returned);
    on a closed ticket it asks follow-up to reopen it (``reopens``)."""
    now = utcnow()
    message_id = uuid.uuid4()
    # A reply to the result confirms it or says it is not solved (follow-up acts on it);
    # any other message on a closed ticket reopens it (a thank-you after closure does not).
    reply = domain.reply_meaning(body) if ticket.status in domain.DONE_STATUSES else None
    closed = ticket.status in domain.CLOSED_STATUSES
    reopens = (closed and reply != "confirmed") or reply == "not_solved"
    if reopens:
        # Reopened at once, so that a second message does not ask again.
        ticket.status = "reopened"
    ticket.updated_at = now
    repository.add(
        uow.session,
        TicketMessage(
            id=message_id,
            ticket_id=ticket.id,
            channel=channel,
            body=body,
            external_id=external_id,
            deduplicated=deduplicated,
            idempotency_key=idempotency_key,
            created_at=now,
        ),
        TimelineEntry(ticket_id=ticket.id, kind="customer_message", text=body, at=now),
    )
    data = TicketMessageAddedData(
        message_id=message_id,
        author="customer",
        channel=channel,
        body=body,
        deduplicated=deduplicated,
        reopens=reopens,
        reply=reply,
    )
    uow.emit(TicketMessageAdded(ticket_id=ticket.id, data=data))
    return data


async def _replay(uow: UnitOfWork, key: str) -> NewTicket | None:
    ticket = await repository.ticket_by_idempotency_key(uow.session, key)
    if ticket is not None:
        return NewTicket(ticket, replayed=True)
    message = await repository.message_by_idempotency_key(uow.session, key)
    if message is not None:
        parent = await repository.get_ticket(uow.session, message.ticket_id)
        if parent is not None:
            return NewTicket(parent, replayed=True, deduplicated=True, message_id=message.id)
    return None


async def receive_ticket(
    uow: UnitOfWork, payload: TicketCreate, idempotency_key: str | None, settings: IntakeSettings
) -> NewTicket:
    """Open a ticket, or attach the request to the open ticket it repeats.

    Two replicas racing on the same key, customer or identifier hit a unique
    constraint; the loser rolls back and runs again, and then finds the winner's rows.
    """
    for attempt in range(3):
        try:
            return await _receive(uow, payload, idempotency_key, settings)
        except DBAPIError as exc:
            if not lost_a_race(exc):
                raise
            await uow.rollback()
            if idempotency_key:
                replay = await _replay(uow, idempotency_key)
                if replay is not None:
                    return replay
            if attempt == 2:
                raise ApiError(
                    409, "conflict", "The request collided with a concurrent one; retry it."
                ) from None
    raise AssertionError("unreachable")


async def _receive(
    uow: UnitOfWork, payload: TicketCreate, idempotency_key: str | None, settings: IntakeSettings
) -> NewTicket:
    if idempotency_key:
        replay = await _replay(uow, idempotency_key)
        if replay is not None:
            return replay
    if len(payload.description) > settings.description_max_length:
        raise ApiError(
            413,
            "description_too_long",
            f"description is longer than {settings.description_max_length} characters",
        )
    if len(payload.subject) > settings.subject_max_length:
        raise ApiError(
            413,
            "subject_too_long",
            f"subject is longer than {settings.subject_max_length} characters",
        )
    phone, email = _normalised_identity(payload.customer, settings)

    # An e-mail reply threads onto the ticket of the mail it answers.
    if payload.email is not None:
        thread = [i for i in (payload.email.in_reply_to, *payload.email.references) if i]
        parent = await repository.ticket_by_email_ids(uow.session, thread)
        number = domain.ticket_no_in(payload.subject)
        if parent is None and number and email:
            # By ticket number only from the ticket's own customer: numbers are guessable.
            candidate = await repository.ticket_by_no(uow.session, number)
            if candidate is not None and await repository.has_identifier(
                uow.session, candidate.customer_id, "email", email
            ):
                parent = candidate
        if parent is not None and domain.takes_messages(
            parent.status, parent.closed_at, utcnow(), _reopen_window(settings)
        ):
            return await _attach(uow, parent, payload, idempotency_key, similar=False)

    customer, vip = await _resolve_customer(
        uow, payload.customer, phone, email, payload.order_no, settings
    )
    now = utcnow()

    # One issue, one ticket: the same open issue of this customer within the window.
    candidates = await repository.recent_open_tickets(
        uow.session,
        customer.id,
        now - timedelta(hours=settings.dedup_window_hours),
        domain.DONE_STATUSES,
    )
    text = domain.issue_text(payload.subject, payload.description)
    best: tuple[float, Ticket] | None = None
    for candidate in candidates:
        score = domain.same_issue(
            text,
            payload.order_no,
            domain.issue_text(candidate.subject, candidate.description),
            candidate.order_no,
            settings.dedup_threshold,
        )
        if score is not None and (best is None or score > best[0]):
            best = (score, candidate)
    if best is not None:
        log.info("ticket_deduplicated", ticket_id=str(best[1].id), score=round(best[0], 1))
        return await _attach(uow, best[1], payload, idempotency_key, similar=True)

    kind = domain.customer_type(vip, customer.ticket_count)
    customer.ticket_count += 1
    language = payload.language or settings.default_language
    # Numbered by the service team's own date: a ticket at 02:00 in Shanghai is that day's.
    local = now.astimezone(ZoneInfo(settings.display_timezone))
    sequence = await repository.next_ticket_sequence(uow.session, local.date())
    ticket_no = domain.ticket_number(local, sequence)
    details: dict[str, Any] | None = None
    if payload.phone_call is not None:
        details = {"phone_call": payload.phone_call.model_dump(mode="json")}
    elif payload.email is not None:
        details = {"email": payload.email.model_dump(mode="json")}
    ticket = Ticket(
        id=uuid.uuid4(),
        ticket_no=ticket_no,
        idempotency_key=idempotency_key,
        customer_id=customer.id,
        customer_type=kind,
        channel=payload.channel,
        sub_channel=payload.sub_channel,
        details=details,
        email_message_id=payload.email.message_id if payload.email else None,
        subject=payload.subject,
        description=payload.description,
        order_no=payload.order_no,
        preferred_contact=payload.preferred_contact,
        extra=payload.metadata,
        language=language,
        status="received",
        acknowledgement="",
        created_at=now,
        updated_at=now,
    )
    timeline = TimelineEntry(
        ticket_id=ticket.id,
        kind="received",
        text=domain.timeline_text("received", language),
        at=now,
    )
    repository.add(uow.session, ticket, timeline)
    uow.emit(
        TicketReceived(
            ticket_id=ticket.id,
            data=TicketReceivedData(
                ticket_no=ticket_no,
                channel=payload.channel,
                sub_channel=payload.sub_channel,
                customer_id=customer.id,
                customer_type=kind,
                masked_contact=domain.masked_contact(phone, email),
                preferred_contact=payload.preferred_contact,
                subject=payload.subject,
                description=payload.description,
                order_no=payload.order_no,
                metadata=payload.metadata,
                received_at=now,
            ),
        )
    )
    book = await template_service.template_book(uow.session, settings)
    ticket.acknowledgement = notify_customer(
        uow, settings, book, ticket, customer, "acknowledgement", {}, phone=phone, email=email
    ) or book.render(
        "acknowledgement", domain.language_of(language), "any", {"ticket_no": ticket_no}
    )
    await uow.session.flush()
    return NewTicket(ticket)


def notify_customer(
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
) -> str | None:
    """Render ``template`` for the customer's preferred contact (its language and channel,
    an SMS signed) and emit it as ``notification.outgoing``, the only event that carries
    a raw contact. The text sent (unsigned), or None when the customer cannot be reached."""
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
    event = NotificationOutgoing(
        ticket_id=ticket.id,
        data=NotificationOutgoingData(
            notification_id=uuid.uuid4(),
            channel=channel,
            to=to,
            template=template,
            language=ticket.language,
            subject=f"[{ticket.ticket_no}] {ticket.subject}" if channel == "email" else None,
            body=body,
        ),
    )
    emit_notification(uow, settings, event, cause=cause)
    return text


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


def emit_notification(
    uow: UnitOfWork,
    settings: IntakeSettings,
    event: NotificationOutgoing,
    *,
    cause: Envelope | None = None,
) -> None:
    """Publish a notification to the notifications topic and, when the channel has a
    gateway webhook, queue its delivery there in the same transaction."""
    uow.emit(event, cause=cause)
    target = webhook_for(event.data.channel, settings)
    if target is None:
        return
    now = utcnow()
    repository.add(
        uow.session,
        NotificationDelivery(
            id=event.data.notification_id,
            ticket_id=event.ticket_id,
            channel=event.data.channel,
            template=event.data.template,
            target=target,
            payload=event.model_dump_json(),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        ),
    )


def _reopen_window(settings: IntakeSettings) -> timedelta:
    return timedelta(days=settings.reopen_window_days)


async def add_customer_message(
    uow: UnitOfWork, ticket_id: uuid.UUID, payload: MessageCreate, settings: IntakeSettings
) -> tuple[uuid.UUID, bool]:
    """The message's id, and whether it reopens its closed ticket."""
    ticket = await repository.get_ticket(uow.session, ticket_id, lock=True)
    if ticket is None:
        raise not_found("ticket", ticket_id)
    window = _reopen_window(settings)
    if not domain.takes_messages(ticket.status, ticket.closed_at, utcnow(), window):
        raise ApiError(
            409,
            "ticket_closed",
            f"The ticket was closed more than {settings.reopen_window_days:g} days ago; "
            "open a new ticket for a new request.",
        )
    message = _record_message(uow, ticket, payload.channel, payload.body)
    return message.message_id, message.reopens


def normalise_identifier(kind: str, value: str, settings: IntakeSettings) -> str:
    """A phone or e-mail as intake stores it; 422 with a stable code when it is not one."""
    value = value.strip()
    if kind == "phone":
        try:
            return domain.normalise_phone(value, settings.phone_region)
        except domain.InvalidPhone as exc:
            raise ApiError(422, "invalid_phone", f"phone: {exc}") from exc
    if kind == "email":
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ApiError(422, "invalid_email", f"email: {exc}") from exc
        return domain.normalise_email(value)
    return value


async def add_vip(
    uow: UnitOfWork, payload: VipCreate, settings: IntakeSettings
) -> tuple[VipEntry, bool]:
    """List an identifier as VIP; returns the entry and whether it is new."""
    value = normalise_identifier(payload.kind, payload.value, settings)
    existing = await repository.vip_entry(uow.session, payload.kind, value)
    if existing is not None:
        return existing, False
    entry = VipEntry(
        id=uuid.uuid4(), kind=payload.kind, value=value, note=payload.note, created_at=utcnow()
    )
    repository.add(uow.session, entry)
    try:
        await uow.session.flush()
    except IntegrityError:
        await uow.rollback()  # listed a moment ago by another replica
        existing = await repository.vip_entry(uow.session, payload.kind, value)
        if existing is None:
            raise
        return existing, False
    return entry, True


async def remove_vip(uow: UnitOfWork, vip_id: uuid.UUID) -> None:
    entry = await uow.session.get(VipEntry, vip_id)
    if entry is None:
        raise not_found("vip_entry", vip_id)
    await uow.session.delete(entry)


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
    emit_notification(
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
