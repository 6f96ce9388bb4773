"""Triage's tables."""

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


class TriageDecision(Base):
    """What triage decided about one ticket, and why."""

    __tablename__ = "triage_decisions"

    ticket_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ticket_no: Mapped[str] = mapped_column(sa.String(32))
    category: Mapped[str] = mapped_column(sa.String(16))
    scene: Mapped[str] = mapped_column(sa.String(16))
    priority: Mapped[str] = mapped_column(sa.String(2))
    team: Mapped[str] = mapped_column(sa.String(32))
    keywords: Mapped[list[str]]
    explanation: Mapped[list[str]]
    sla_policy: Mapped[str] = mapped_column(sa.String(32))
    calendar: Mapped[str] = mapped_column(sa.String(32))
    received_at: Mapped[datetime]
    respond_by: Mapped[datetime]
    resolve_by: Mapped[datetime]
    created_at: Mapped[datetime]
