"""Tables of people, their sign-in sessions, sign-in attempts and account changes."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.dispatch.models import Base


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
