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
    name: Mapped[str] = mapped_column(sa.String(100))  # Chinese, or the only name
    name_en: Mapped[str | None] = mapped_column(sa.String(100))
    supervisor: Mapped[str] = mapped_column(sa.String(100))
    skills: Mapped[list[str]]
    # The other services keep a copy from team announcements: when the team last changed,
    # and when that change was announced (None or older: announce it at start).
    updated_at: Mapped[datetime]
    announced_at: Mapped[datetime | None]


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    team_key: Mapped[str] = mapped_column(sa.ForeignKey("teams.key"), index=True)
    skills: Mapped[list[str]]
    # skill -> level 1..5; ``skills`` stays the list of its keys for older readers.
    skill_levels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    capacity: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16))  # online, away, offline
    active_count: Mapped[int]
    # Chats (web/app/mini-program) may have their own limit; None: they share ``capacity``.
    # ``active_count`` counts every held ticket, ``chat_active_count`` the chats among them.
    chat_capacity: Mapped[int | None]
    chat_active_count: Mapped[int] = mapped_column(default=0)
    last_assigned_at: Mapped[datetime | None]

    @property
    def account_name(self) -> str | None:
        """The account's display name (people/models.py) when it was read with the agent;
        never lazy-loaded (an async session must not), so None for one made just now."""
        name: str | None = sa.inspect(self).dict.get("display_name")
        return name


class Assignment(Base):
    """One ticket's place in dispatch: queued for a team, or with an agent."""

    __tablename__ = "assignments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    ticket_no: Mapped[str] = mapped_column(sa.String(32))
    team_key: Mapped[str] = mapped_column(sa.String(32), index=True)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("agents.id"), index=True)
    # queued, assigned, accepted, waiting_on_customer, resolved
    state: Mapped[str] = mapped_column(sa.String(24), index=True)
    priority: Mapped[str] = mapped_column(sa.String(2))
    category: Mapped[str] = mapped_column(sa.String(16))
    customer_type: Mapped[str] = mapped_column(sa.String(16))
    subject: Mapped[str] = mapped_column(sa.String(200))
    respond_by: Mapped[datetime]
    resolve_by: Mapped[datetime]
    created_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    # Since 0002: what a work order needs when the ticket leaves the queue later.
    channel: Mapped[str | None] = mapped_column(sa.String(16))
    masked_contact: Mapped[str | None] = mapped_column(sa.String(64))
    skill: Mapped[str | None] = mapped_column(sa.String(32))
    keywords: Mapped[list[str]] = mapped_column(default=list)
    kb_suggestions: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    escalated: Mapped[bool] = mapped_column(default=False)
    last_agent_id: Mapped[uuid.UUID | None]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution_code: Mapped[str | None] = mapped_column(sa.String(64))
    public_reply: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime | None]
    # An on-site visit's appointment window (faults needing an engineer).
    # Follow-up reminded the agent that a customer-visible update is due by then; a
    # customer-visible note clears it.
    update_due_at: Mapped[datetime | None]
    visit_from: Mapped[datetime | None]
    visit_until: Mapped[datetime | None]


class SupervisorItem(Base):
    """One line of a supervisor's inbox: an escalation, a P0/P1 report, an SLA warning/breach."""

    __tablename__ = "supervisor_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    team_key: Mapped[str] = mapped_column(sa.String(32), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))  # escalation, report, sla_warning, ...
    ticket_id: Mapped[uuid.UUID | None]
    ticket_no: Mapped[str | None] = mapped_column(sa.String(32))
    assignment_id: Mapped[uuid.UUID | None]
    priority: Mapped[str | None] = mapped_column(sa.String(2))
    summary: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


class Compensation(Base):
    """A coupon, refund, extended warranty or free repair proposed by an agent."""

    __tablename__ = "compensations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    assignment_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("assignments.id"), index=True)
    ticket_id: Mapped[uuid.UUID]
    team_key: Mapped[str] = mapped_column(sa.String(32), index=True)
    agent_id: Mapped[uuid.UUID | None]
    kind: Mapped[str] = mapped_column(sa.String(24))
    amount: Mapped[float] = mapped_column(sa.Float)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(16), index=True)  # pending, approved, rejected
    decided_by: Mapped[str | None] = mapped_column(sa.String(100))
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


# People's tables live with their capability (services/dispatch/people); importing them here
# puts them in the metadata and gives Agent its display_name wherever agents are read.
from services.dispatch.people import models as _people_models  # noqa: E402, F401
from services.dispatch.shifts import models as _shift_models  # noqa: E402, F401
