"""Customers: who a contact is (find, create, merge profiles) and the VIP list; the caller
commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import domain, repository
from services.intake.customer_schemas import VipCreate
from services.intake.models import (
    Customer,
    VipEntry,
)
from services.intake.schemas import CustomerIn
from services.intake.settings import IntakeSettings
from shared.errors import ApiError, not_found
from shared.events import (
    CustomerMerged,
    CustomerMergedData,
    utcnow,
)
from shared.observability import get_logger
from shared.outbox import UnitOfWork
from shared.store_cache import StoreCache

log = get_logger(__name__)

# The VIP list as read recently, per database: a ticket costs no query for it. A change
# made on this replica is read again by the next ticket; one made on another replica
# counts within ``vip_cache_seconds``.
_vip_lists: StoreCache[frozenset[repository.Identifier]] = StoreCache()
_VIP_KINDS = ("phone", "email", "member_id")


def forget_cached_vip_lists() -> None:
    _vip_lists.clear()


async def _vip_list(
    session: AsyncSession, settings: IntakeSettings
) -> frozenset[repository.Identifier]:
    return await _vip_lists.get(
        session, settings.vip_cache_seconds, lambda: repository.vip_identifiers(session)
    )


async def is_listed_vip(
    session: AsyncSession, identifiers: list[repository.Identifier], settings: IntakeSettings
) -> bool:
    """Whether any phone, e-mail or member id is on the VIP list."""
    wanted = [i for i in identifiers if i[0] in _VIP_KINDS]
    if not wanted:
        return False
    listed = await _vip_list(session, settings)
    return any(i in listed for i in wanted)


def normalised_identity(
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


@dataclass(frozen=True)
class ResolvedCustomer:
    customer: Customer
    vip: bool  # a VIP member tier or on the VIP list
    created: bool  # a profile of this request's own: it has no tickets yet
    # Identifiers the request brought that no profile had yet (``record_identifiers``).
    new_identifiers: list[repository.Identifier]


def identifiers_of_request(
    data: CustomerIn, phone: str | None, email: str | None, order_no: str | None
) -> tuple[list[repository.Identifier], list[repository.Identifier]]:
    """What identifies the request's customer (phone, e-mail, member id), and that with
    the order number, which only finds: what ``resolve_customer`` looks up."""
    strong: list[repository.Identifier] = [
        (kind, value)
        for kind, value in (("phone", phone), ("email", email), ("member_id", data.member_id))
        if value
    ]
    return strong, strong + ([("order_no", order_no)] if order_no else [])


async def lock_customers_ahead(
    uow: UnitOfWork, requests: Iterable[tuple[CustomerIn, str | None, str | None, str | None]]
) -> None:
    """A batch's customers (data, phone, e-mail, order number of each request) found and
    locked in one lookup; each request's ``resolve_customer`` answers from it."""
    await repository.lock_owners_ahead(
        uow.session,
        (
            i
            for data, phone, email, order_no in requests
            for i in identifiers_of_request(data, phone, email, order_no)[1]
        ),
    )


async def resolve_customer(
    uow: UnitOfWork,
    data: CustomerIn,
    phone: str | None,
    email: str | None,
    order_no: str | None,
    settings: IntakeSettings,
) -> ResolvedCustomer:
    """Find or create the customer; merge profiles the request proves are one person.

    Phone, e-mail and member id identify (and merge); an order number only finds a
    profile when nothing else matches, and never merges two. The caller ends with
    ``record_identifiers``.
    """
    now = utcnow()
    strong, wanted = identifiers_of_request(data, phone, email, order_no)
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
    created = customer is None
    if customer is None:
        customer = Customer(
            id=uuid.uuid4(),
            name=data.name,
            is_vip=False,
            ticket_count=0,
            created_at=now,
            updated_at=now,
        )
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
    known = [
        (kind, value)
        for kind, value in (
            ("phone", customer.phone),
            ("email", customer.email),
            ("member_id", customer.member_id),
        )
        if value
    ]
    listed = await is_listed_vip(uow.session, [*strong, *known], settings)
    return ResolvedCustomer(
        customer, customer.is_vip or listed, created, [i for i in wanted if i not in owners]
    )


async def record_identifiers(uow: UnitOfWork, resolved: ResolvedCustomer) -> None:
    """Write the profile (with whatever the request changed on it, its ticket count too)
    and then the identifiers the request brought; once per request, at its end, so that a
    new profile is one INSERT rather than an INSERT and an UPDATE."""
    if resolved.created:
        await repository.insert_new_customer(uow.session, resolved.customer)
    await uow.session.flush()
    await repository.add_identifiers(
        uow.session, resolved.customer.id, resolved.new_identifiers, utcnow()
    )


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
    _vip_lists.forget(uow.session)
    entry = VipEntry(
        id=uuid.uuid4(), kind=payload.kind, value=value, note=payload.note, created_at=utcnow()
    )
    try:
        async with uow.savepoint():
            repository.add(uow.session, entry)
            await uow.session.flush()
    except IntegrityError:  # listed a moment ago by another replica
        existing = await repository.vip_entry(uow.session, payload.kind, value)
        if existing is None:
            raise
        return existing, False
    return entry, True


async def remove_vip(uow: UnitOfWork, vip_id: uuid.UUID) -> None:
    entry = await uow.session.get(VipEntry, vip_id)
    if entry is None:
        raise not_found("vip_entry", vip_id)
    _vip_lists.forget(uow.session)
    await uow.session.delete(entry)
