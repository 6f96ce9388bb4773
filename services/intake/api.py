"""Intake's HTTP routes: thin — parse, call the use case, commit, answer."""

from __future__ import annotations

import uuid

from fastapi import Depends, Header, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import (
    contact_reveals,
    customers,
    domain,
    reception,
    repository,
    split_api,  # noqa: F401  (registers splitting a message off into a new ticket)
    template_api,  # noqa: F401  (registers /v1/templates on the router)
    verifications,
    workspace_api,  # noqa: F401  (registers the ticket reads, search and reveals)
)
from services.intake.customer_schemas import (
    CustomerView,
    MaskedIdentifier,
    TicketSummary,
    VerificationCheck,
    VerificationCreate,
    VerificationResult,
    VerificationSent,
    VipCreate,
    VipView,
)
from services.intake.models import Customer, VipEntry
from services.intake.router import router
from services.intake.schemas import MessageAccepted, MessageCreate, TicketCreate, TicketCreated
from services.intake.settings import IntakeSettings
from services.intake.ticket_batches import TicketBatches
from shared.auth import require_roles
from shared.errors import ApiError, error_responses, not_found
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork

# Customers' contacts: gateways and staff, never viewers (they read figures).
_customer_readers = require_roles("gateway", "agent", "supervisor", scopes=["customers:read"])


def _settings(request: Request) -> IntakeSettings:
    settings: IntakeSettings = request.app.state.settings
    return settings


@router.post(
    "/tickets",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketCreated,
    summary="Open a ticket from any channel",
    description="Finds or creates the customer, numbers the ticket and acknowledges it. "
    "The same `Idempotency-Key` returns the same ticket (header `Idempotent-Replayed: true`).",
    responses={
        200: {
            "model": TicketCreated,
            "description": "Not a new issue: attached to the open ticket it repeats "
            "(`deduplicated: true`), or an e-mail reply threaded onto its ticket.",
        },
        **error_responses(401, 403, 409, 413, 422),
    },
    dependencies=[Depends(require_roles("gateway"))],
)
async def create_ticket(
    payload: TicketCreate,
    response: Response,
    request: Request,
    # A blank key names nothing: refused (422), never stored as a key two requests share.
    idempotency_key: str | None = Header(
        default=None, min_length=1, max_length=128, examples=["gw-20261122-0001"]
    ),
) -> TicketCreated:
    # Concurrent requests share a transaction (ticket_batches): no unit of work of its own.
    batches: TicketBatches = request.app.state.ticket_batches
    result = await batches.receive(payload, idempotency_key)
    ticket = result.ticket
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if result.deduplicated:
        response.status_code = status.HTTP_200_OK
    return TicketCreated(
        ticket_id=ticket.id,
        ticket_no=ticket.ticket_no,
        customer_id=ticket.customer_id,
        customer_type=ticket.customer_type,
        status=ticket.status,
        acknowledgement=ticket.acknowledgement,
        deduplicated=result.deduplicated,
        message_id=result.message_id,
        match_reason=result.match_reason,
    )


@router.post(
    "/tickets/{ticket_id}/messages",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageAccepted,
    summary="Add a customer message to a ticket",
    description="Emits `ticket.message_added`. A message to a ticket closed within the "
    "reopen window (`SOPDESK_REOPEN_WINDOW_DAYS`, 7 by default) reopens it (`reopens: true`; "
    "follow-up emits `ticket.reopened`); after that window the ticket takes no more "
    "messages (409 `ticket_closed`) and the gateway opens a new ticket instead. A retry with "
    "the same `Idempotency-Key` returns the message already added (409 "
    "`idempotency_key_reused` when the key named a message of another ticket).",
    responses=error_responses(401, 403, 404, 409, 422),
    dependencies=[Depends(require_roles("gateway"))],
)
async def add_message(
    ticket_id: uuid.UUID,
    payload: MessageCreate,
    request: Request,
    uow: UnitOfWork = Depends(unit_of_work),
    idempotency_key: str | None = Header(
        default=None,
        min_length=1,
        max_length=128,
        examples=["gw-20261122-0001-m1"],
        description="A retry with the same key returns the message already added",
    ),
) -> MessageAccepted:
    message_id, reopens = await reception.add_customer_message(
        uow, ticket_id, payload, _settings(request), idempotency_key
    )
    await uow.commit()
    return MessageAccepted(message_id=message_id, ticket_id=ticket_id, reopens=reopens)


async def _customer_view(
    session: AsyncSession, customer: Customer, settings: IntakeSettings
) -> CustomerView:
    identifiers = await repository.identifiers_of(session, [customer.id])
    # The same VIP list a new ticket is raised by.
    listed = await customers.is_listed_vip(
        session, [(i.kind, i.value) for i in identifiers], settings
    )
    tickets = await repository.tickets_of_customer(session, customer.id)
    contact_ids = {
        (i.kind, i.value): contact_id
        for contact_id, i in contact_reveals.contact_ids(identifiers).items()
    }
    return CustomerView(
        customer_id=customer.id,
        name=customer.name,
        masked_phone=domain.mask_phone(customer.phone) if customer.phone else None,
        masked_email=domain.mask_email(customer.email) if customer.email else None,
        member_id=customer.member_id,
        member_tier=customer.member_tier,
        customer_type=domain.customer_type(
            customer.is_vip or listed, max(customer.ticket_count - 1, 0)
        ),
        identifiers=[
            MaskedIdentifier(
                kind=i.kind,
                value=domain.mask_identifier(i.kind, i.value),
                contact_id=contact_ids.get((i.kind, i.value)),
            )
            for i in identifiers
        ],
        merged_customer_ids=list(await repository.merged_into(session, customer.id)),
        tickets=[TicketSummary.of(t) for t in tickets],
    )


async def _live_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer | None:
    """A merged profile answers with the profile it was merged into."""
    customer = await repository.get_customer(session, customer_id)
    for _ in range(10):
        if customer is None or customer.merged_into_id is None:
            break
        customer = await repository.get_customer(session, customer.merged_into_id)
    return customer


@router.get(
    "/customers",
    response_model=CustomerView,
    summary="Look a customer up by phone, e-mail, member id or order number",
    description="Give exactly one of the query parameters. Phones and e-mails are normalised "
    "as on intake (`13812345678`, `+86 138 1234 5678` are the same customer).",
    tags=["customers"],
    responses=error_responses(401, 403, 404, 422),
    dependencies=[
        Depends(require_roles("gateway", "agent", "supervisor", scopes=["customers:read"]))
    ],
)
async def find_customer(
    request: Request,
    session: AsyncSession = Depends(read_session),
    phone: str | None = Query(default=None, max_length=32, examples=["13812345678"]),
    email: str | None = Query(default=None, max_length=254, examples=["zhang@example.com"]),
    member_id: str | None = Query(default=None, max_length=64, examples=["M10086"]),
    order_no: str | None = Query(default=None, max_length=64, examples=["SO20261122001"]),
) -> CustomerView:
    given = [
        (k, v)
        for k, v in (
            ("phone", phone),
            ("email", email),
            ("member_id", member_id),
            ("order_no", order_no),
        )
        if v
    ]
    if len(given) != 1:
        raise ApiError(
            422, "one_lookup_key", "Give exactly one of phone, email, member_id or order_no."
        )
    kind, value = given[0]
    value = customers.normalise_identifier(kind, value, _settings(request))
    owners = await repository.customers_by_identifiers(session, [(kind, value)])
    customer = owners.get((kind, value))
    if customer is None:
        raise ApiError(404, "customer_not_found", f"No customer with that {kind}.")
    return await _customer_view(session, customer, _settings(request))


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerView,
    summary="Customer profile and ticket history (contacts masked)",
    description="A profile merged into another answers with the surviving profile, whose "
    "history holds the tickets of both.",
    tags=["customers"],
    responses=error_responses(401, 403, 404),
    dependencies=[
        Depends(require_roles("gateway", "agent", "supervisor", scopes=["customers:read"]))
    ],
)
async def get_customer(
    customer_id: uuid.UUID, request: Request, session: AsyncSession = Depends(read_session)
) -> CustomerView:
    customer = await _live_customer(session, customer_id)
    if customer is None:
        raise not_found("customer", customer_id)
    return await _customer_view(session, customer, _settings(request))


@router.post(
    "/vip",
    status_code=status.HTTP_201_CREATED,
    response_model=VipView,
    summary="Put a phone, e-mail or member id on the VIP list",
    description="Customers with a listed identifier are `vip` on their next ticket. "
    "Adding an entry that exists answers 200 with it.",
    tags=["vip"],
    responses={
        200: {"model": VipView, "description": "already listed"},
        **error_responses(401, 403, 422),
    },
    dependencies=[Depends(require_roles("admin"))],
)
async def add_vip(
    payload: VipCreate,
    request: Request,
    response: Response,
    uow: UnitOfWork = Depends(unit_of_work),
) -> VipView:
    entry, created = await customers.add_vip(uow, payload, _settings(request))
    await uow.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    return _vip_view(entry)


@router.get(
    "/vip",
    response_model=list[VipView],
    summary="The VIP list (identifiers masked)",
    tags=["vip"],
    responses=error_responses(401, 403),
    dependencies=[Depends(require_roles("admin", "supervisor"))],
)
async def list_vip(session: AsyncSession = Depends(read_session)) -> list[VipView]:
    return [_vip_view(e) for e in await repository.vip_entries(session)]


@router.delete(
    "/vip/{vip_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Take an entry off the VIP list",
    tags=["vip"],
    responses=error_responses(401, 403, 404),
    dependencies=[Depends(require_roles("admin"))],
)
async def delete_vip(vip_id: uuid.UUID, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    await customers.remove_vip(uow, vip_id)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _vip_view(entry: VipEntry) -> VipView:
    return VipView(
        vip_id=entry.id,
        kind=entry.kind,
        value=domain.mask_identifier(entry.kind, entry.value),
        note=entry.note,
        created_at=entry.created_at,
    )


_REFUSALS = {
    "wrong_code": (422, "The code is wrong."),
    "code_expired": (410, "The code has expired; ask for a new one."),
    "too_many_attempts": (429, "Too many wrong codes; ask for a new one."),
    "already_verified": (409, "This code was already used."),
}


@router.post(
    "/verifications",
    status_code=status.HTTP_201_CREATED,
    response_model=VerificationSent,
    summary="Send an SMS verification code to a phone",
    description="Sends a 6-digit code through the notifications topic (`notification.outgoing`, "
    "template `verification_code`); the code is stored only as an HMAC and never logged. "
    "Codes expire after 5 minutes and allow 5 attempts. One code per phone per 60 s and 5 an "
    "hour, else 429 `rate_limited` with `details.retry_after_seconds`.",
    tags=["verification"],
    responses=error_responses(401, 403, 404, 422, 429),
    dependencies=[Depends(require_roles("gateway", "agent"))],
)
async def send_verification(
    payload: VerificationCreate, request: Request, uow: UnitOfWork = Depends(unit_of_work)
) -> VerificationSent:
    settings = _settings(request)
    verification = await verifications.start_verification(uow, payload, settings)
    await uow.commit()
    return VerificationSent(
        verification_id=verification.id,
        masked_phone=domain.mask_phone(verification.phone),
        expires_at=verification.expires_at,
        attempts_allowed=settings.verification_max_attempts,
    )


@router.post(
    "/verifications/{verification_id}/check",
    response_model=VerificationResult,
    summary="Check the code the customer gives",
    description="Refusals: 422 `wrong_code` (with `details.attempts_left`), 410 `code_expired`, "
    "429 `too_many_attempts` (the fifth wrong code locks the verification), "
    "409 `already_verified`. The outcome goes on the ticket's internal timeline.",
    tags=["verification"],
    responses=error_responses(401, 403, 404, 409, 410, 422, 429),
    dependencies=[Depends(require_roles("gateway", "agent"))],
)
async def check_verification(
    verification_id: uuid.UUID,
    payload: VerificationCheck,
    request: Request,
    uow: UnitOfWork = Depends(unit_of_work),
) -> VerificationResult:
    settings = _settings(request)
    outcome, verification = await verifications.check_verification(
        uow, verification_id, payload.code, settings
    )
    await uow.commit()  # wrong attempts count too
    if outcome != "verified" or verification.verified_at is None:
        status_code, message = _REFUSALS[outcome]
        details = None
        if outcome == "wrong_code":
            left = settings.verification_max_attempts - verification.attempts
            details = {"attempts_left": left}
        raise ApiError(status_code, outcome, message, details=details)
    return VerificationResult(verification_id=verification.id, verified_at=verification.verified_at)
