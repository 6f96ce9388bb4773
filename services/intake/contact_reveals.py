"""A person looks at a customer's raw contact: allowed for the customer's tickets in the
person's scope, and kept as an audit entry (who, when, why). The caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import access, domain, repository
from services.intake.customer_schemas import ContactRevealCreate
from services.intake.models import ContactReveal, Customer, CustomerIdentifier
from shared.auth import Principal, require_person
from shared.errors import ApiError
from shared.events import utcnow
from shared.observability import get_logger
from shared.outbox import UnitOfWork

log = get_logger(__name__)
REVEALABLE = ("phone", "email")


def contact_ids(identifiers: Sequence[CustomerIdentifier]) -> dict[str, CustomerIdentifier]:
    """``phone:1``, ``phone:2``, ``email:1`` ...: a profile's contacts in the order it got
    them (identifiers are only ever added, so a number keeps naming the same contact)."""
    found: dict[str, CustomerIdentifier] = {}
    counts: dict[str, int] = {}
    for identifier in sorted(identifiers, key=lambda i: (i.kind, i.created_at, i.value)):
        if identifier.kind in REVEALABLE:
            counts[identifier.kind] = counts.get(identifier.kind, 0) + 1
            found[f"{identifier.kind}:{counts[identifier.kind]}"] = identifier
    return found


def _chosen(
    payload: ContactRevealCreate, customer: Customer, ids: dict[str, CustomerIdentifier]
) -> tuple[str, str, str]:
    """(contact id, kind, raw value) the request names; 404 ``contact_not_found`` else."""
    if payload.contact_id is not None:
        identifier = ids.get(payload.contact_id)
        if identifier is not None:
            return payload.contact_id, identifier.kind, identifier.value
    elif payload.kind is not None:
        primary = customer.phone if payload.kind == "phone" else customer.email
        for contact_id, identifier in ids.items():
            if identifier.kind == payload.kind and identifier.value == primary:
                return contact_id, identifier.kind, identifier.value
        if primary:  # known before identifiers were kept (revision 0002)
            return f"{payload.kind}:0", payload.kind, primary
    raise ApiError(404, "contact_not_found", "This customer has no such contact.")


async def check_customer_in_scope(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID
) -> None:
    """A person acts on a customer only with one of the customer's tickets in scope."""
    scope = access.scope_of(principal)
    if scope.teams is not None and not await repository.customer_tickets_in_scope(
        session, customer_id, scope.teams, scope.person_id
    ):
        raise ApiError(
            403, "not_your_customer", "None of this customer's tickets is yours or your team's."
        )


async def reveal_contact(
    uow: UnitOfWork, principal: Principal, customer: Customer, payload: ContactRevealCreate
) -> tuple[ContactReveal, str]:
    """The audit entry and the raw contact. People only (a key cannot be audited as one);
    an agent or supervisor only for a customer with a ticket in their scope."""
    person = require_person(principal)
    await check_customer_in_scope(uow.session, principal, customer.id)
    ids = contact_ids(await repository.identifiers_of(uow.session, [customer.id]))
    contact_id, kind, value = _chosen(payload, customer, ids)
    reveal = ContactReveal(
        id=uuid.uuid4(),
        customer_id=customer.id,
        kind=kind,
        contact_id=contact_id,
        masked_value=domain.mask_identifier(kind, value),
        reason=payload.reason,
        ticket_id=payload.ticket_id,
        actor=principal.actor,
        actor_name=person.display_name,
        at=utcnow(),
    )
    repository.add(uow.session, reveal)
    log.info(
        "contact_revealed",
        customer_id=str(customer.id),
        contact_id=contact_id,
        actor=principal.actor,
    )
    return reveal, value
