"""Tables of people, their sign-in sessions, sign-in attempts and account changes."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column

from services.dispatch.models import Agent, Base


class Person(Base):
    """Someone who signs in. An agent's ``agents`` row has the person's id: one identity."""

    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    login: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    roles: Mapped[list[str]]
    teams: Mapped[list[str]]  # team keys the person works in
    supervises: Mapped[list[str]]  # team keys the person supervises
    # Set by an admin's create or reset: the person must choose their own password first.
    must_change_password: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


class SignInSession(Base):
    """A refresh token's record: only its hash is kept; revoked by sign-out or disabling."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SignInFailure(Base):
    """A failed sign-in, counted per login and per address to slow down guessing."""

    __tablename__ = "sign_in_failures"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    login: Mapped[str] = mapped_column(sa.String(64), index=True)
    address: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class AccountChange(Base):
    """Who created, disabled, reset or changed an account, and when."""

    __tablename__ = "account_changes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    actor: Mapped[str] = mapped_column(sa.String(100))
    actor_name: Mapped[str] = mapped_column(sa.String(100))
    detail: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime]


# An agent's name as people read it is its account's display name (one identity: the agent
# row and the account share the id); read with the agent, None for an agent without account.
Agent.display_name = column_property(
    sa.select(Person.display_name)
    .where(Person.id == Agent.id)
    .correlate_except(Person)
    .scalar_subquery(),
    # Kept across an agent's own updates (async sessions must never lazy-load it).
    expire_on_flush=False,
)


def name_of(agent: Agent) -> str:
    """What people read for an agent: the account's display name, else the agent's name."""
    # Read only when loaded with the agent: an agent made in this transaction has none yet.
    display: str | None = sa.inspect(agent).dict.get("display_name")
    return display or agent.name


class KeyDelegation(Base):
    """An admin's grant: the integration key ``key_name`` may act for this person (sending
    ``X-On-Behalf-Of``); revoked, it stops at once. Grants and revocations are audited."""

    __tablename__ = "key_delegations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key_name: Mapped[str] = mapped_column(sa.String(100), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.id"), index=True)
    granted_by: Mapped[str] = mapped_column(sa.String(100))
    granted_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
