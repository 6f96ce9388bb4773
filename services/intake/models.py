"""Intake's tables. ORM models only: HTTP schemas and event payloads live elsewhere."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.database import TYPE_ANNOTATION_MAP, bus_tables
from shared.team_copies import declare_team_copies


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = TYPE_ANNOTATION_MAP


BUS = bus_tables(Base.metadata)
# Dispatch's teams as intake last heard of them (shared.team_copies).
TEAM_COPIES = declare_team_copies(Base.metadata)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str | None] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(32), unique=True)  # E.164
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)  # lower-cased
    member_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    is_vip: Mapped[bool] = mapped_column(default=False)  # VIP by member tier
    member_tier: Mapped[str | None] = mapped_column(sa.String(32))
    # Set when this profile was merged into another: the survivor carries its history.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    ticket_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    # Added by 0009: the creating request's fingerprint (see TicketMessage).
    request_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    customer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    customer_type: Mapped[str] = mapped_column(sa.String(16))
    channel: Mapped[str] = mapped_column(sa.String(16))
    sub_channel: Mapped[str | None] = mapped_column(sa.String(32))
    # Channel-specific record: the phone call form (seed 001) or the e-mail headers.
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    email_message_id: Mapped[str | None] = mapped_column(sa.String(998), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    order_no: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    preferred_contact: Mapped[str | None] = mapped_column(sa.String(16))
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    language: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(16), default="received")
    # From ticket.triaged / ticket.assigned: who works it and when the customer hears back.
    team: Mapped[str | None] = mapped_column(sa.String(32))
    respond_by: Mapped[datetime | None]
    # Added by 0010, from ticket.assigned / ticket.queued: the agent working it (who may
    # read it besides the team), as of ``assigned_at`` (events of two topics race).
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    assignee_name: Mapped[str | None] = mapped_column(sa.String(100))
    assigned_at: Mapped[datetime | None]
    # From ticket.resolved: who resolved it (the author of the result notice).
    resolved_by: Mapped[str | None] = mapped_column(sa.String(100))
    resolved_by_name: Mapped[str | None] = mapped_column(sa.String(100))
    # From ticket.closed: a customer message within ``reopen_window_days`` reopens it.
    closed_at: Mapped[datetime | None]
    acknowledgement: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        sa.Index("ix_tickets_customer_created", "customer_id", "created_at"),
        sa.Index("ix_tickets_team_created", "team", "created_at"),
    )


class TimelineEntry(Base):
    """What happened to a ticket, projected from every service's events."""

    __tablename__ = "timeline_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    text: Mapped[str] = mapped_column(sa.Text)
    customer_visible: Mapped[bool] = mapped_column(default=True)
    at: Mapped[datetime]


class TicketCounter(Base):
    """Per-day sequence behind human-readable ticket numbers (T20261122-000123)."""

    __tablename__ = "ticket_counters"

    day: Mapped[date] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)


class CustomerIdentifier(Base):
    """Every phone, e-mail, member id and order number a profile is known by."""

    __tablename__ = "customer_identifiers"

    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime]


class VipEntry(Base):
    """The VIP list managed over the API: a phone, e-mail or member id that makes a VIP."""

    __tablename__ = "vip_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(sa.String(16))
    value: Mapped[str] = mapped_column(sa.String(254))
    note: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]

    __table_args__ = (sa.UniqueConstraint("kind", "value", name="uq_vip_entries_kind_value"),)


class TicketMessage(Base):
    """A customer message on a ticket: posted, de-duplicated or threaded by e-mail."""

    __tablename__ = "ticket_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    channel: Mapped[str | None] = mapped_column(sa.String(16))
    body: Mapped[str] = mapped_column(sa.Text)
    external_id: Mapped[str | None] = mapped_column(sa.String(998), index=True)
    deduplicated: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    created_at: Mapped[datetime]
    # Added by 0009: the request's fingerprint (an Idempotency-Key reused with another
    # body is refused), why one issue, one ticket joined it here, and the ticket it was
    # split off into when that join was wrong.
    request_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    match_reason: Mapped[str | None] = mapped_column(sa.String(200))
    split_into_id: Mapped[uuid.UUID | None]


class Verification(Base):
    """An SMS code sent to a phone: only its HMAC is kept, never the code."""

    __tablename__ = "verifications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    phone: Mapped[str] = mapped_column(sa.String(32))  # E.164
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("tickets.id"))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))  # pending, verified, expired, locked
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    verified_at: Mapped[datetime | None]

    __table_args__ = (sa.Index("ix_verifications_phone_created", "phone", "created_at"),)


class VerificationThrottle(Base):
    """One row per phone, locked while a code is sent, so replicas count sends one at a time."""

    __tablename__ = "verification_throttles"

    phone: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    touched_at: Mapped[datetime]


class NotificationDelivery(Base):
    """A notification on its way to a channel gateway's webhook: retried until delivered."""

    __tablename__ = "notification_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the notification id
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(sa.String(48))
    template: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str] = mapped_column(sa.String(48))  # key of the webhook in settings
    payload: Mapped[str] = mapped_column(sa.Text)  # the notification.outgoing JSON
    status: Mapped[str] = mapped_column(sa.String(16))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    __table_args__ = (sa.Index("ix_notification_deliveries_due", "status", "next_attempt_at"),)


class MessageTemplate(Base):
    """One version of a customer-facing text for a (template, language, channel); the
    highest version is in force for new messages, older ones stay as the history."""

    __tablename__ = "message_templates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40))
    language: Mapped[str] = mapped_column(sa.String(2))
    channel: Mapped[str] = mapped_column(sa.String(8))  # any, sms, email, chat
    version: Mapped[int]
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.UniqueConstraint("key", "language", "channel", "version", name="uq_message_templates"),
    )


class OutgoingMessage(Base):
    """A text intake sent to the customer (a notice, or an agent's public reply inside
    one), as rendered before the SMS signature: the conversation's other side."""

    __tablename__ = "outgoing_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the notification id
    # No foreign key: it is written in the ticket's own transaction, before the ticket
    # row is flushed (the acknowledgement), and the two are never apart.
    ticket_id: Mapped[uuid.UUID]
    channel: Mapped[str] = mapped_column(sa.String(48))
    template: Mapped[str] = mapped_column(sa.String(64))
    body: Mapped[str] = mapped_column(sa.Text)
    author: Mapped[str] = mapped_column(sa.String(16))  # agent or system
    actor: Mapped[str | None] = mapped_column(sa.String(100))  # person:<id> or key:<name>
    actor_name: Mapped[str | None] = mapped_column(sa.String(100))
    at: Mapped[datetime]

    __table_args__ = (sa.Index("ix_outgoing_messages_ticket_at", "ticket_id", "at"),)


class ContactReveal(Base):
    """One look at a customer's raw contact: who, when, why (the audit of a reveal)."""

    __tablename__ = "contact_reveals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    contact_id: Mapped[str] = mapped_column(sa.String(24))
    masked_value: Mapped[str] = mapped_column(sa.String(254))
    reason: Mapped[str] = mapped_column(sa.String(500))
    ticket_id: Mapped[uuid.UUID | None]
    actor: Mapped[str] = mapped_column(sa.String(100))
    actor_name: Mapped[str] = mapped_column(sa.String(100))
    at: Mapped[datetime]

    __table_args__ = (sa.Index("ix_contact_reveals_customer_at", "customer_id", "at"),)
