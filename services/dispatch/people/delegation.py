"""A key acting for a person: only under an admin's grant, named in every request
(``X-On-Behalf-Of: <person id>``), and audited (the grant, and each action's actor).

Gateways and team systems normally act as themselves; a team's own tool that works
tickets for its agents needs the scope ``people:act-for`` on its key and a grant per person.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.people import repository, service
from services.dispatch.people.models import KeyDelegation, Person
from shared.auth import Principal, parse_api_keys
from shared.errors import ApiError, not_found

ACT_FOR_SCOPE = "people:act-for"

ON_BEHALF_OF = Header(
    default=None,
    alias="X-On-Behalf-Of",
    description="With an integration key that an admin allowed to act for this person: the"
    " person's id. People send their own access token instead.",
    examples=["6f1c1a4e-8a43-4e59-9d1e-6b9c1f0b2d11"],
)


async def grant(
    session: AsyncSession,
    person_id: uuid.UUID,
    key_name: str,
    *,
    known_keys: set[str],
    by: Principal,
    now: datetime,
) -> KeyDelegation:
    person = await repository.get_person(session, person_id)
    if person is None:
        raise not_found("person", person_id)
    if key_name not in known_keys:
        raise ApiError(404, "key_not_found", f"No API key named {key_name} with {ACT_FOR_SCOPE}.")
    existing = await repository.live_delegation(session, key_name, person_id)
    if existing is not None:
        return existing
    row = KeyDelegation(
        key_name=key_name, person_id=person_id, granted_by=by.actor_name, granted_at=now
    )
    repository.add(session, row)
    service.audit(session, person, "delegation_granted", by, now, f"key {key_name}")
    return row


async def revoke(
    session: AsyncSession, person_id: uuid.UUID, key_name: str, *, by: Principal, now: datetime
) -> None:
    row = await repository.live_delegation(session, key_name, person_id)
    person = await repository.get_person(session, person_id)
    if row is None or person is None:
        raise ApiError(404, "delegation_not_found", f"Key {key_name} may not act for {person_id}.")
    row.revoked_at = now
    service.audit(session, person, "delegation_revoked", by, now, f"key {key_name}")


def act_for_keys(request: Request) -> set[str]:
    """Names of the configured keys that hold the act-for scope."""
    keys = parse_api_keys(request.app.state.settings.api_keys)
    return {k.name for k in keys.values() if ACT_FOR_SCOPE in k.scopes}


async def as_person(
    session: AsyncSession, principal: Principal, on_behalf_of: uuid.UUID | None
) -> Principal:
    """The principal a request acts as: a signed-in person as they are; a key with the
    scope, a live grant and X-On-Behalf-Of as that person (``via`` the key)."""
    if principal.person is not None or on_behalf_of is None:
        return principal
    if not principal.has_scope(ACT_FOR_SCOPE) or "*" in principal.scopes:
        raise ApiError(
            403, "delegation_required", f"Key '{principal.name}' may not act for a person."
        )
    grant_row = await repository.live_delegation(session, principal.name, on_behalf_of)
    person: Person | None = await repository.get_person(session, on_behalf_of)
    if grant_row is None or person is None:
        raise ApiError(
            403,
            "delegation_required",
            f"No admin allowed key '{principal.name}' to act for {on_behalf_of}.",
        )
    if person.disabled_at is not None:
        raise ApiError(403, "account_disabled", "This account is disabled.")
    claims = await service.claims_of(session, person)
    return Principal(
        role=principal.role,
        key_id=principal.key_id,
        name=principal.name,
        person=claims,
        scopes=principal.scopes,
        via=principal.name,
    )
