"""Dispatch's tables."""

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


class Team(Base):
    __tablename__ = "teams"

    key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    supervisor: Mapped[str] = mapped_column(sa.String(100))
    skills: Mapped[list[str]]


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    team_key: Mapped[str] = mapped_column(sa.ForeignKey("teams.key"), index=True)
    skills: Mapped[list[str]]
    capacity: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16))  # online, away, offline
    active_count: Mapped[int]
    last_assigned_at: Mapped[datetime | None]


class Assignment(Base):
    """One ticket's place in dispatch: queued for a team, or with an agent."""

    __tablename__ = "assignments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    ticket_no: Mapped[str] = mapped_column(sa.String(32))
    team_key: Mapped[str] = mapped_column(sa.String(32), index=True)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("agents.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16), index=True)  # queued, assigned
    priority: Mapped[str] = mapped_column(sa.String(2))
    category: Mapped[str] = mapped_column(sa.String(16))
    customer_type: Mapped[str] = mapped_column(sa.String(16))
    subject: Mapped[str] = mapped_column(sa.String(200))
    respond_by: Mapped[datetime]
    resolve_by: Mapped[datetime]
    created_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
