"""Reception: a contact becomes a ticket, or a message on the open ticket it repeats; the
caller (route or handler) commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError

from services.intake import domain, issue_match, repository, template_service
from services.intake.customers import (
    lock_customers_ahead,
    normalised_identity,
    record_identifiers,
    resolve_customer,
)
from services.intake.models import (
    Ticket,
    TicketMessage,
    TimelineEntry,
)
from services.intake.notices import notify_customer
from services.intake.numbering import TicketNumbers
from services.intake.schemas import (
    MessageCreate,
    TicketCreate,
)
from services.intake.settings import IntakeSettings
from shared.database import lost_a_race
from shared.errors import ApiError, not_found
from shared.events import (
    Channel,
    PhoneCallData,
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
    # Why one issue, one ticket joined the request to this ticket ("同一订单,相同问题:…").
    match_reason: str | None = None


async def _attach(
    uow: UnitOfWork,
    ticket: Ticket,
    payload: TicketCreate,
    idempotency_key: str | None,
    *,
    similar: bool,
    fingerprint: str | None = None,
    reason: str | None = None,
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
        fingerprint=fingerprint,
        reason=reason,
    )
    await uow.session.flush()
    return NewTicket(ticket, deduplicated=True, message_id=message.message_id, match_reason=reason)


def _record_message(
    uow: UnitOfWork,
    ticket: Ticket,
    channel: Channel | None,
    body: str,
    *,
    external_id: str | None = None,
    deduplicated: bool = False,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    reason: str | None = None,
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
            request_fingerprint=fingerprint,
            match_reason=reason,
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


def _same_request(stored: str | None, fingerprint: str | None, key: str) -> None:
    # Rows written before fingerprints were kept (None) replay as before.
    if stored is not None and fingerprint is not None and stored != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"Idempotency-Key {key!r} was used for a different request; use a new key.",
        )


async def _replay(uow: UnitOfWork, key: str, fingerprint: str | None = None) -> NewTicket | None:
    ticket = await repository.ticket_by_idempotency_key(uow.session, key)
    if ticket is not None:
        _same_request(ticket.request_fingerprint, fingerprint, key)
        return NewTicket(ticket, replayed=True)
    message = await repository.message_by_idempotency_key(uow.session, key)
    if message is not None:
        _same_request(message.request_fingerprint, fingerprint, key)
        parent = await repository.get_ticket(uow.session, message.ticket_id)
        if parent is not None:
            return NewTicket(
                parent,
                replayed=True,
                deduplicated=True,
                message_id=message.id,
                match_reason=message.match_reason,
            )
    return None


async def receive_ticket(
    uow: UnitOfWork,
    payload: TicketCreate,
    idempotency_key: str | None,
    settings: IntakeSettings,
    numbers: TicketNumbers | None = None,
) -> NewTicket:
    """Open a ticket, or attach the request to the open ticket it repeats.

    Two replicas racing on the same key, customer or identifier hit a unique
    constraint; the loser rolls back its own attempt (``UnitOfWork.attempt``: the
    caller's unit of work keeps what it held) and runs again, and then finds the
    winner's rows.
    """
    fingerprint = domain.request_fingerprint(payload.model_dump(mode="json"))
    for attempt in range(3):
        try:
            async with uow.attempt():
                return await _receive(uow, payload, idempotency_key, settings, numbers, fingerprint)
        except DBAPIError as exc:
            if not lost_a_race(exc):
                raise
            if idempotency_key:
                replay = await _replay(uow, idempotency_key, fingerprint)
                if replay is not None:
                    return replay
            if attempt == 2:
                raise ApiError(
                    409, "conflict", "The request collided with a concurrent one; retry it."
                ) from None
    raise AssertionError("unreachable")


Identity = tuple[str | None, str | None]  # the request's phone and e-mail, normalised


async def lock_batch_customers(
    uow: UnitOfWork, payloads: list[TicketCreate], settings: IntakeSettings
) -> list[Identity | None]:
    """Before a batch's requests run: their customers found and locked with one lookup,
    not one each. Each request's normalised phone and e-mail (None where they are not
    valid: that request refuses them itself, at its turn) for ``receive_in_batch``."""
    identities: list[Identity | None] = []
    for payload in payloads:
        try:
            identities.append(normalised_identity(payload.customer, settings))
        except ApiError:
            identities.append(None)
    await lock_customers_ahead(
        uow,
        (
            (payload.customer, *identity, payload.order_no)
            for payload, identity in zip(payloads, identities, strict=True)
            if identity is not None
        ),
    )
    return identities


async def receive_in_batch(
    uow: UnitOfWork,
    payload: TicketCreate,
    idempotency_key: str | None,
    settings: IntakeSettings,
    numbers: TicketNumbers | None = None,
    identity: Identity | None = None,
) -> NewTicket:
    """``receive_ticket`` as one of a batch's requests (``ticket_batches``): no savepoint
    and no retry of its own, because any failure rolls the whole batch back and the
    batch's owner runs its requests again through ``receive_ticket``. ``identity`` is
    the request's from ``lock_batch_customers``."""
    fingerprint = domain.request_fingerprint(payload.model_dump(mode="json"))
    return await _receive(uow, payload, idempotency_key, settings, numbers, fingerprint, identity)


async def _receive(
    uow: UnitOfWork,
    payload: TicketCreate,
    idempotency_key: str | None,
    settings: IntakeSettings,
    numbers: TicketNumbers | None,
    fingerprint: str,
    identity: Identity | None = None,
) -> NewTicket:
    if idempotency_key:
        replay = await _replay(uow, idempotency_key, fingerprint)
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
    phone, email = (
        identity if identity is not None else normalised_identity(payload.customer, settings)
    )

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
            return await _attach(
                uow, parent, payload, idempotency_key, similar=False, fingerprint=fingerprint
            )

    resolved = await resolve_customer(
        uow, payload.customer, phone, email, payload.order_no, settings
    )
    customer, vip = resolved.customer, resolved.vip
    now = utcnow()

    # One issue, one ticket: the same open issue of this customer within the window (a
    # profile this request created has none to look for).
    candidates = (
        []
        if resolved.created
        else await repository.recent_open_tickets(
            uow.session,
            customer.id,
            now - timedelta(hours=settings.dedup_window_hours),
            domain.DONE_STATUSES,
        )
    )
    best = _same_issue(payload, candidates, settings) if candidates else None
    if best is not None:
        log.info("ticket_deduplicated", ticket_id=str(best[1].id), reason=best[0].reason)
        await record_identifiers(uow, resolved)
        return await _attach(
            uow,
            best[1],
            payload,
            idempotency_key,
            similar=True,
            fingerprint=fingerprint,
            reason=best[0].reason,
        )

    kind = domain.customer_type(vip, customer.ticket_count)
    customer.ticket_count += 1
    language = payload.language or settings.default_language
    # Numbered by the service team's own date: a ticket at 02:00 in Shanghai is that day's.
    local = now.astimezone(ZoneInfo(settings.display_timezone))
    sequence = await (
        numbers.take(uow.session, local.date())
        if numbers is not None
        else repository.next_ticket_sequence(uow.session, local.date())
    )
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
        request_fingerprint=fingerprint,
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
                phone_call=PhoneCallData(
                    call_started_at=payload.phone_call.call_started_at,
                    call_ended_at=payload.phone_call.call_ended_at,
                    handler=payload.phone_call.handler,
                    verification_steps=payload.phone_call.verification_steps,
                    resolution=payload.phone_call.resolution,
                )
                if payload.phone_call is not None
                else None,
            ),
        )
    )
    book = await template_service.template_book(uow.session, settings)
    ticket.acknowledgement = await notify_customer(
        uow, settings, book, ticket, customer, "acknowledgement", {}, phone=phone, email=email
    ) or book.render(
        "acknowledgement", domain.language_of(language), "any", {"ticket_no": ticket_no}
    )
    # The profile's row first: the ticket's refers to it.
    await record_identifiers(uow, resolved)
    await repository.insert_new_ticket(uow.session, ticket, timeline)
    return NewTicket(ticket)


def _same_issue(
    payload: TicketCreate, candidates: Sequence[Ticket], settings: IntakeSettings
) -> tuple[issue_match.IssueMatch, Ticket] | None:
    """The open ticket whose issue the request repeats, best match first; the request's
    issue is read only here, when there is a ticket to compare it with (a new profile has
    none)."""
    issue = issue_match.read_issue(payload.subject, payload.description, payload.order_no)
    best: tuple[issue_match.IssueMatch, Ticket] | None = None
    for candidate in candidates:
        found = issue_match.match_issue(
            issue,
            issue_match.read_issue(candidate.subject, candidate.description, candidate.order_no),
            settings.dedup_threshold,
            settings.dedup_by_meaning,
        )
        if found is not None and (best is None or found.score > best[0].score):
            best = (found, candidate)
    return best


def _reopen_window(settings: IntakeSettings) -> timedelta:
    return timedelta(days=settings.reopen_window_days)


async def add_customer_message(
    uow: UnitOfWork,
    ticket_id: uuid.UUID,
    payload: MessageCreate,
    settings: IntakeSettings,
    idempotency_key: str | None = None,
) -> tuple[uuid.UUID, bool]:
    """The message's id, and whether it reopens its closed ticket. A gateway's retry with
    the same ``Idempotency-Key`` gets the message it already added, not a second one."""
    ticket = await repository.get_ticket(uow.session, ticket_id, lock=True)
    if ticket is None:
        raise not_found("ticket", ticket_id)
    if idempotency_key:
        # Read after the ticket's row lock: a concurrent try with this key has committed.
        earlier = await repository.message_by_idempotency_key(uow.session, idempotency_key)
        if earlier is not None:
            if earlier.ticket_id != ticket.id:
                raise ApiError(
                    409, "idempotency_key_reused", "This Idempotency-Key names another message."
                )
            return earlier.id, False
    window = _reopen_window(settings)
    if not domain.takes_messages(ticket.status, ticket.closed_at, utcnow(), window):
        raise ApiError(
            409,
            "ticket_closed",
            f"The ticket was closed more than {settings.reopen_window_days:g} days ago; "
            "open a new ticket for a new request.",
        )
    message = _record_message(
        uow, ticket, payload.channel, payload.body, idempotency_key=idempotency_key
    )
    return message.message_id, message.reopens
