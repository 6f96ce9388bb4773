"""Analytics' tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.database import TYPE_ANNOTATION_MAP, bus_tables


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = TYPE_ANNOTATION_MAP


BUS = bus_tables(Base.metadata)


class TicketFact(Base):
    """One ledger row per ticket, projected from every service's events.

    Every column is nullable because events arrive in any order: each event
    fills in its own columns and nothing else.
    """

    __tablename__ = "ticket_facts"
    __table_args__ = (sa.Index("ix_ticket_facts_received", "received_at", "ticket_id"),)

    ticket_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ticket_no: Mapped[str | None] = mapped_column(sa.String(32))
    channel: Mapped[str | None] = mapped_column(sa.String(16))
    customer_type: Mapped[str | None] = mapped_column(sa.String(16))
    masked_contact: Mapped[str | None] = mapped_column(sa.String(64))
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    category: Mapped[str | None] = mapped_column(sa.String(16))
    scene: Mapped[str | None] = mapped_column(sa.String(16))
    priority: Mapped[str | None] = mapped_column(sa.String(2))
    team: Mapped[str | None] = mapped_column(sa.String(32))
    agent_name: Mapped[str | None] = mapped_column(sa.String(100))
    state: Mapped[str] = mapped_column(sa.String(16))
    received_at: Mapped[datetime | None]
    triaged_at: Mapped[datetime | None]
    queued_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime | None]
    respond_by: Mapped[datetime | None]
    resolve_by: Mapped[datetime | None]
