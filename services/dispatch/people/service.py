"""Use cases of people and sign-in (the caller commits).

Sign-in failures must be kept even though the request fails, so the sign-in and
password-change cases return an outcome and the route commits before it refuses.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.models import Agent
from services.dispatch.people import domain, repository
from services.dispatch.people.models import AccountChange, Person, SignInFailure, SignInSession
from services.dispatch.people.passwords import hash_password, verify_password
from shared.auth import Principal
from shared.errors import ApiError, not_found
from shared.tokens import PersonClaims, TokenSigner


@dataclass(frozen=True)
class SignInPolicy:
    per_login: int
    per_address: int
    window: timedelta
    refresh_ttl: timedelta


@dataclass
class Tokens:
    access_token: str
    expires_at: datetime
    refresh_token: str
    person: Person


@dataclass
class Outcome:
    """A sign-in's result: tokens, or the refusal to raise once failures are saved."""

    tokens: Tokens | None = None
    refusal: ApiError | None = None


def audit(
    session: AsyncSession,
    person: Person,
    action: str,
    by: Principal,
    at: datetime,
    detail: str | None = None,
) -> None:
    repository.add(
        session,
        AccountChange(
            person_id=person.id,
            action=action,
            actor=by.actor,
            actor_name=by.actor_name,
            detail=detail,
            at=at,
        ),
    )


async def claims_of(session: AsyncSession, person: Person) -> PersonClaims:
    """What the access token says: an agent's team is its agent row's (one identity)."""
    agent = await repository.get_agent(session, person.id) if "agent" in person.roles else None
    teams = {agent.team_key} if agent is not None else set(person.teams)
    return PersonClaims(
        person_id=person.id,
        login=person.login,
        display_name=person.display_name,
        roles=frozenset(person.roles),
        teams=frozenset(teams),
        supervises=frozenset(person.supervises),
    )


async def _issue(
    session: AsyncSession, person: Person, signer: TokenSigner, policy: SignInPolicy, now: datetime
) -> Tokens:
    access, expires = signer.issue(await claims_of(session, person), now=now)
    refresh = secrets.token_urlsafe(32)
    repository.add(
        session,
        SignInSession(
            person_id=person.id,
            token_hash=domain.refresh_token_hash(refresh),
            created_at=now,
            expires_at=now + policy.refresh_ttl,
        ),
    )
    return Tokens(access, expires, refresh, person)


async def _check_password(
    session: AsyncSession,
    login: str,
    password: str,
    address: str,
    policy: SignInPolicy,
    now: datetime,
) -> tuple[Person | None, ApiError | None]:
    by_login, by_address = await repository.failures_since(
        session, login=login, address=address, since=now - policy.window
    )
    wait = max(
        domain.retry_after(by_login, limit=policy.per_login, window=policy.window, now=now) or 0,
        domain.retry_after(by_address, limit=policy.per_address, window=policy.window, now=now)
        or 0,
    )
    if wait:
        return None, ApiError(
            429,
            "too_many_attempts",
            f"Too many failed sign-ins; try again in {wait} s.",
            details={"retry_after_seconds": wait},
        )
    person = await repository.person_by_login(session, login)
    if not await verify_password(person.password_hash if person else None, password):
        repository.add(session, SignInFailure(login=login, address=address, at=now))
        # Unknown login and wrong password look the same from outside.
        return None, ApiError(401, "invalid_credentials", "Wrong login or password.")
    assert person is not None
    await repository.forget_failures(session, login)
    if person.disabled_at is not None:
        return None, ApiError(403, "account_disabled", "This account is disabled.")
    return person, None


async def sign_in(
    session: AsyncSession,
    *,
    login: str,
    password: str,
    address: str,
    signer: TokenSigner,
    policy: SignInPolicy,
    now: datetime,
) -> Outcome:
    person, refusal = await _check_password(session, login, password, address, policy, now)
    if refusal is not None:
        return Outcome(refusal=refusal)
    assert person is not None
    if person.must_change_password:
        return Outcome(
            refusal=ApiError(
                403,
                "password_change_required",
                "Choose your own password first: POST /v1/auth/password.",
            )
        )
    return Outcome(tokens=await _issue(session, person, signer, policy, now))


async def change_password(
    session: AsyncSession,
    *,
    login: str,
    current_password: str,
    new_password: str,
    address: str,
    policy: SignInPolicy,
    now: datetime,
) -> ApiError | None:
    person, refusal = await _check_password(session, login, current_password, address, policy, now)
    if refusal is not None:
        return refusal
    assert person is not None
    domain.check_new_password(login, new_password)
    if new_password == current_password:
        raise ApiError(422, "weak_password", "Choose a password other than the current one.")
    person.password_hash = await hash_password(new_password)
    person.must_change_password = False
    person.updated_at = now
    await repository.revoke_sessions(session, person.id, now)
    return None


async def refresh(
    session: AsyncSession, token: str, *, signer: TokenSigner, policy: SignInPolicy, now: datetime
) -> Tokens:
    """New tokens for a live refresh token, which is used up (rotation)."""
    row = await repository.session_by_hash(session, domain.refresh_token_hash(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise ApiError(401, "refresh_invalid", "Sign in again: this refresh token is not valid.")
    person = await repository.get_person(session, row.person_id)
    if person is None or person.disabled_at is not None:
        raise ApiError(403, "account_disabled", "This account is disabled.")
    row.revoked_at = now
    return await _issue(session, person, signer, policy, now)


async def sign_out(session: AsyncSession, token: str, now: datetime) -> None:
    row = await repository.session_by_hash(session, domain.refresh_token_hash(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now


# --------------------------------------------------------------------------- administration


def _check_teams(teams: dict[str, Any], wanted: Sequence[str]) -> None:
    unknown = sorted(set(wanted) - set(teams))
    if unknown:
        raise ApiError(404, "team_not_found", f"No team with key {', '.join(unknown)}.")


async def create_person(
    session: AsyncSession,
    *,
    login: str,
    display_name: str,
    roles: Sequence[str],
    teams: Sequence[str],
    supervises: Sequence[str],
    temporary_password: str | None,
    agent_capacity: int,
    by: Principal,
    now: datetime,
    must_change_password: bool = True,
    password_hash: str | None = None,
) -> tuple[Person, str | None]:
    """A new account; an agent gets its agent row with the same id (offline, the team's
    skills at level 1), or takes over the agent of the same name that has no account yet."""
    domain.check_account_shape(roles, teams, supervises)
    known_teams = await repository.team_keys(session)
    _check_teams(known_teams, [*teams, *supervises])
    if await repository.person_by_login(session, login) is not None:
        raise ApiError(409, "login_taken", f"The login {login} is taken.")
    password = None
    if password_hash is None:
        password = temporary_password or secrets.token_urlsafe(12)
        domain.check_new_password(login, password)
        password_hash = await hash_password(password)
    person_id = uuid.uuid4()
    if "agent" in roles:
        agent = await repository.agent_by_name(session, login)
        if agent is not None:
            if await repository.get_person(session, agent.id) is not None:
                raise ApiError(409, "login_taken", f"The agent {login} has an account.")
            person_id = agent.id
        else:
            skills = list(known_teams[teams[0]].skills)
            repository.add(
                session,
                Agent(
                    id=person_id,
                    name=login,
                    team_key=teams[0],
                    skills=skills,
                    skill_levels=dict.fromkeys(skills, 1),
                    capacity=agent_capacity,
                    status="offline",
                    active_count=0,
                    chat_active_count=0,
                ),
            )
    person = Person(
        id=person_id,
        login=login,
        display_name=display_name,
        password_hash=password_hash,
        roles=sorted(set(roles)),
        teams=sorted(set(teams)),
        supervises=sorted(set(supervises)),
        must_change_password=must_change_password,
        created_at=now,
    )
    repository.add(session, person)
    audit(session, person, "created", by, now, f"roles {','.join(person.roles)}")
    return person, password


async def _person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = await repository.get_person(session, person_id)
    if person is None:
        raise not_found("person", person_id)
    return person


async def update_person(
    session: AsyncSession,
    person_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    by: Principal,
    now: datetime,
) -> Person:
    person = await _person(session, person_id)
    roles = changes.get("roles", person.roles)
    teams = changes.get("teams", person.teams)
    supervises = changes.get("supervises", person.supervises)
    domain.check_account_shape(roles, teams, supervises)
    _check_teams(await repository.team_keys(session), [*teams, *supervises])
    if "agent" in roles and await repository.get_agent(session, person.id) is None:
        raise ApiError(
            409, "agent_role_at_creation", "An agent account is made with the agent role."
        )
    for name, value in changes.items():
        setattr(person, name, sorted(set(value)) if isinstance(value, list) else value)
    person.updated_at = now
    audit(session, person, "changed", by, now, ", ".join(sorted(changes)))
    return person


async def set_disabled(
    session: AsyncSession, person_id: uuid.UUID, disabled: bool, *, by: Principal, now: datetime
) -> Person:
    """Disabling revokes every refresh token at once; access tokens end within their TTL."""
    person = await _person(session, person_id)
    if by.person_id == person.id and disabled:
        raise ApiError(409, "cannot_disable_self", "An admin does not disable their own account.")
    person.disabled_at = now if disabled else None
    person.updated_at = now
    if disabled:
        await repository.revoke_sessions(session, person.id, now)
    audit(session, person, "disabled" if disabled else "enabled", by, now)
    return person


async def reset_password(
    session: AsyncSession,
    person_id: uuid.UUID,
    temporary_password: str | None,
    *,
    by: Principal,
    now: datetime,
) -> tuple[Person, str]:
    person = await _person(session, person_id)
    password = temporary_password or secrets.token_urlsafe(12)
    domain.check_new_password(person.login, password)
    person.password_hash = await hash_password(password)
    person.must_change_password = True
    person.updated_at = now
    await repository.revoke_sessions(session, person.id, now)
    audit(session, person, "password_reset", by, now)
    return person, password
