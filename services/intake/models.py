"""Intake's tables. ORM models only: HTTP schemas and event payloads live elsewhere."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.database import TYPE_ANNOTATION_MAP, bus_tables


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = TYPE_ANNOTATION_MAP


BUS = bus_tables(Base.metadata)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str | None] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(32), unique=True)  # E.164
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)  # lower-cased
    member_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    is_vip: Mapped[bool] = mapped_column(default=False)
    ticket_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    customer_type: Mapped[str] = mapped_column(sa.String(16))
    channel: Mapped[str] = mapped_column(sa.String(16))
    subject: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    order_no: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    preferred_contact: Mapped[str | None] = mapped_column(sa.String(16))
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    language: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(16), default="received")
    acknowledgement: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


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
