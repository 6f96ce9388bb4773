"""Follow-up's tables."""

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


class SlaClock(Base):
    """One deadline of one ticket (response or resolution) and whether it was met."""

    __tablename__ = "sla_clocks"
    __table_args__ = (sa.UniqueConstraint("ticket_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # response, resolution
    state: Mapped[str] = mapped_column(sa.String(16))  # running, met, breached
    priority: Mapped[str | None] = mapped_column(sa.String(2))
    team: Mapped[str | None] = mapped_column(sa.String(32))
    # Null until triage's deadline arrives: a stop may be seen before the start.
    started_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    warn_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
