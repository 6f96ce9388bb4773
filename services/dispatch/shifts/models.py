"""The tables of shifts: a team's current roster, and every change to it with its actor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.dispatch.models import Base


class ShiftRoster(Base):
    """A team's shift patterns (JSON: name, start, end, days, agent_ids) in its time zone."""

    __tablename__ = "shift_rosters"

    team_key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    handover: Mapped[str] = mapped_column(sa.String(16))  # keep, queue, reassign
    shifts: Mapped[list[dict[str, Any]]]
    version: Mapped[int]
    updated_by: Mapped[str] = mapped_column(sa.String(100))
    updated_by_name: Mapped[str] = mapped_column(sa.String(100))
    updated_at: Mapped[datetime]


class ShiftRosterChange(Base):
    """One version of a team's roster as it was set, or its removal (``roster`` None)."""

    __tablename__ = "shift_roster_changes"
    __table_args__ = (sa.UniqueConstraint("team_key", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    team_key: Mapped[str] = mapped_column(sa.String(32), index=True)
    version: Mapped[int]
    roster: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    actor: Mapped[str] = mapped_column(sa.String(100))
    actor_name: Mapped[str] = mapped_column(sa.String(100))
    at: Mapped[datetime]
