"""Routes of sign-in (public: a person proves who they are) and of accounts (admins)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.api.common import ADMINS, PAGE_LIMIT, READERS, committed, settings_of
from services.dispatch.people import delegation, repository, service
from services.dispatch.people.models import AccountChange, KeyDelegation, Person
from services.dispatch.people.schemas import (
    AccountChangeView,
    DelegationBody,
    DelegationView,
    PasswordChangeBody,
    PasswordResetBody,
    PersonCreate,
    PersonCreated,
    PersonRole,
    PersonUpdate,
    PersonView,
    RefreshBody,
    SignInBody,
    TokensView,
)
from shared.auth import Principal, require_person
from shared.errors import ApiError, error_responses
from shared.events import utcnow
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork
from shared.tokens import TokenSigner

router = APIRouter(prefix="/v1")


def _signer(request: Request) -> TokenSigner:
    settings = settings_of(request)
    signer: TokenSigner | None = getattr(request.app.state, "token_signer", None)
    if signer is None:
        if not settings.token_private_key.strip():
            raise ApiError(503, "sign_in_unavailable", "Dispatch has no token key configured.")
        signer = TokenSigner(
            settings.token_private_key, timedelta(seconds=settings.access_token_ttl_seconds)
        )
        request.app.state.token_signer = signer
    return signer


def _policy(request: Request) -> service.SignInPolicy:
    settings = settings_of(request)
    return service.SignInPolicy(
        per_login=settings.sign_in_limit_per_login,
        per_address=settings.sign_in_limit_per_address,
        window=timedelta(seconds=settings.sign_in_window_seconds),
        refresh_ttl=timedelta(hours=settings.refresh_token_ttl_hours),
    )


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _tokens(tokens: service.Tokens, now: datetime) -> TokensView:
    return TokensView(
        access_token=tokens.access_token,
        expires_in=max(0, int((tokens.expires_at - now).total_seconds())),
        refresh_token=tokens.refresh_token,
        person=PersonView.model_validate(tokens.person),
    )


def _with_password(person: Person, password: str) -> PersonCreated:
    """An account and the temporary password it signs in with first (created or reset)."""
    return PersonCreated(person=PersonView.model_validate(person), temporary_password=password)


_SIGN_IN_DOC = (
    "Public. Refusals: 401 invalid_credentials (wrong password or unknown login, told apart"
    " by nobody), 403 account_disabled, 403 password_change_required (first sign-in or after"
    " a reset: POST /v1/auth/password), 429 too_many_attempts with Retry-After (5 failures per"
    " login or 20 per address within 15 minutes, by default)."
)


@router.post(
    "/auth/sign-in",
    response_model=TokensView,
    tags=["sign-in"],
    summary="Sign in with login and password: a short-lived access token and a refresh token",
    description=_SIGN_IN_DOC,
    responses=error_responses(401, 403, 422, 429, 503),
)
async def sign_in(
    body: SignInBody, request: Request, uow: UnitOfWork = Depends(unit_of_work)
) -> TokensView:
    now = utcnow()
    outcome = await service.sign_in(
        uow.session,
        login=body.login,
        password=body.password,
        address=_address(request),
        signer=_signer(request),
        policy=_policy(request),
        now=now,
    )
    await uow.commit()  # failures count even though this request is refused
    if outcome.refusal is not None:
        raise outcome.refusal
    assert outcome.tokens is not None
    return _tokens(outcome.tokens, now)


@router.post(
    "/auth/password",
    status_code=204,
    response_class=Response,
    tags=["sign-in"],
    summary="Choose your own password (first sign-in, after a reset, or any time)",
    description="Public: the current password is the proof. Ends every sign-in session."
    " Refusals as for sign-in, and 422 weak_password (at least 10 characters, not the login).",
    responses=error_responses(401, 403, 422, 429),
)
async def change_password(
    body: PasswordChangeBody, request: Request, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    refusal = await service.change_password(
        uow.session,
        login=body.login,
        current_password=body.current_password,
        new_password=body.new_password,
        address=_address(request),
        policy=_policy(request),
        now=utcnow(),
    )
    await uow.commit()
    if refusal is not None:
        raise refusal
    return Response(status_code=204)


@router.post(
    "/auth/refresh",
    response_model=TokensView,
    tags=["sign-in"],
    summary="New tokens for a refresh token (which is used up)",
    description="Public. Refusals: 401 refresh_invalid (unknown, used, signed out or expired),"
    " 403 account_disabled.",
    responses=error_responses(401, 403, 422, 503),
)
async def refresh(
    body: RefreshBody, request: Request, uow: UnitOfWork = Depends(unit_of_work)
) -> TokensView:
    now = utcnow()
    tokens = await service.refresh(
        uow.session, body.refresh_token, signer=_signer(request), policy=_policy(request), now=now
    )
    await uow.commit()
    return _tokens(tokens, now)


@router.post(
    "/auth/sign-out",
    status_code=204,
    response_class=Response,
    tags=["sign-in"],
    summary="Sign out: the refresh token stops working at once",
    description="Public (the refresh token is the proof); the access token ends within its"
    " lifetime (60 s by default).",
    responses=error_responses(422),
)
async def sign_out(body: RefreshBody, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    await service.sign_out(uow.session, body.refresh_token, utcnow())
    await uow.commit()
    return Response(status_code=204)


@router.get(
    "/auth/me",
    response_model=PersonView,
    tags=["sign-in"],
    summary="The signed-in person",
    responses=error_responses(401, 403, 404),
)
async def me(
    principal: Principal = READERS,
    session: AsyncSession = Depends(read_session),
) -> Person:
    person = require_person(principal)
    found = await repository.get_person(session, person.person_id)
    if found is None:
        raise ApiError(404, "person_not_found", "Your account no longer exists.")
    return found


# --------------------------------------------------------------------------- accounts


@router.get(
    "/people",
    response_model=list[PersonView],
    tags=["people"],
    summary="Accounts, by login (admin)",
    responses=error_responses(401, 403, 422),
    dependencies=[Depends(ADMINS)],
)
async def list_people(
    role: PersonRole | None = None,
    limit: int = Query(default=200, ge=1, le=1000),
    session: AsyncSession = Depends(read_session),
) -> Sequence[Person]:
    return await repository.list_people(session, role, limit)


@router.post(
    "/people",
    response_model=PersonCreated,
    status_code=201,
    tags=["people"],
    summary="Create an account (admin); an agent's account is also its dispatch agent",
    description="The person signs in with the temporary password and must choose their own."
    " Refusals: 409 login_taken, 404 team_not_found, 422 invalid_roles /"
    " agent_needs_one_team / supervisor_needs_teams / weak_password.",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def create_person(
    body: PersonCreate,
    principal: Principal = Depends(ADMINS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> PersonCreated:
    created = service.create_person(uow.session, **body.model_dump(), by=principal, now=utcnow())
    person, password = await committed(uow, created)
    assert password is not None
    return _with_password(person, password)


@router.get(
    "/people/{person_id}",
    response_model=PersonView,
    tags=["people"],
    summary="One account (admin)",
    responses=error_responses(401, 403, 404, 422),
    dependencies=[Depends(ADMINS)],
)
async def get_person(person_id: uuid.UUID, session: AsyncSession = Depends(read_session)) -> Person:
    person = await repository.get_person(session, person_id)
    if person is None:
        raise ApiError(404, "person_not_found", f"No person with id {person_id}.")
    return person


@router.patch(
    "/people/{person_id}",
    response_model=PersonView,
    tags=["people"],
    summary="Change a display name, roles, teams or supervised teams (admin)",
    description="Takes effect at the person's next token (within a minute).",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def update_person(
    person_id: uuid.UUID,
    body: PersonUpdate,
    principal: Principal = Depends(ADMINS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Person:
    changes = body.changes()
    changed = service.update_person(uow.session, person_id, changes, by=principal, now=utcnow())
    return await committed(uow, changed)


async def _set_disabled(
    uow: UnitOfWork, person_id: uuid.UUID, principal: Principal, *, disabled: bool
) -> Person:
    """An account disabled or enabled again by an admin (audited)."""
    changed = service.set_disabled(uow.session, person_id, disabled, by=principal, now=utcnow())
    return await committed(uow, changed)


@router.post(
    "/people/{person_id}/disable",
    response_model=PersonView,
    tags=["people"],
    summary="Disable an account (admin): refresh refused at once, access within a minute",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def disable_person(
    person_id: uuid.UUID,
    principal: Principal = Depends(ADMINS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Person:
    return await _set_disabled(uow, person_id, principal, disabled=True)


@router.post(
    "/people/{person_id}/enable",
    response_model=PersonView,
    tags=["people"],
    summary="Enable a disabled account again (admin)",
    responses=error_responses(401, 403, 404, 422),
)
async def enable_person(
    person_id: uuid.UUID,
    principal: Principal = Depends(ADMINS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Person:
    return await _set_disabled(uow, person_id, principal, disabled=False)


@router.post(
    "/people/{person_id}/reset-password",
    response_model=PersonCreated,
    tags=["people"],
    summary="Give a temporary password (admin); the person chooses their own at next sign-in",
    responses=error_responses(401, 403, 404, 422),
)
async def reset_password(
    person_id: uuid.UUID,
    body: PasswordResetBody | None = None,
    principal: Principal = Depends(ADMINS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> PersonCreated:
    person, password = await service.reset_password(
        uow.session,
        person_id,
        body.temporary_password if body else None,
        by=principal,
        now=utcnow(),
    )
    await uow.commit()
    return _with_password(person, password)


@router.get(
    "/people/{person_id}/changes",
    response_model=list[AccountChangeView],
    tags=["people"],
    summary="Who created, changed, disabled or reset this account (admin)",
    responses=error_responses(401, 403, 422),
    dependencies=[Depends(ADMINS)],
)
async def account_changes(
    person_id: uuid.UUID,
    limit: int = PAGE_LIMIT,
    session: AsyncSession = Depends(read_session),
) -> Sequence[AccountChange]:
    return await repository.account_changes(session, person_id, limit)


# --------------------------------------------------------------------------- delegations


@router.post(
    "/people/{person_id}/delegations",
    response_model=DelegationView,
    status_code=201,
    tags=["people"],
    summary="Let an integration key act for this person (admin; audited)",
    description="The key must hold the scope people:act-for; it then sends X-On-Behalf-Of"
    " with the person's id on dispatch's agent actions, and every action records the key."
    " Refusals: 404 person_not_found / key_not_found.",
    responses=error_responses(401, 403, 404, 422),
)
async def grant_delegation(
    person_id: uuid.UUID,
    body: DelegationBody,
    request: Request,
    principal: Principal = Depends(ADMINS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> KeyDelegation:
    keys = delegation.act_for_keys(request)
    granted = delegation.grant(
        uow.session, person_id, body.key_name, known_keys=keys, by=principal, now=utcnow()
    )
    return await committed(uow, granted)


@router.delete(
    "/people/{person_id}/delegations/{key_name}",
    status_code=204,
    response_class=Response,
    tags=["people"],
    summary="Stop a key acting for this person (admin; audited; at once)",
    responses=error_responses(401, 403, 404, 422),
)
async def revoke_delegation(
    person_id: uuid.UUID,
    key_name: str,
    principal: Principal = Depends(ADMINS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    await delegation.revoke(uow.session, person_id, key_name, by=principal, now=utcnow())
    await uow.commit()
    return Response(status_code=204)


@router.get(
    "/people/{person_id}/delegations",
    response_model=list[DelegationView],
    tags=["people"],
    summary="The keys allowed to act for this person, live and revoked (admin)",
    responses=error_responses(401, 403, 422),
    dependencies=[Depends(ADMINS)],
)
async def list_delegations(
    person_id: uuid.UUID, session: AsyncSession = Depends(read_session)
) -> Sequence[KeyDelegation]:
    return await repository.delegations(session, person_id)
