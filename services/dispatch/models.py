"""Dispatch's tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, object_session

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
    # Since 0007: the customer wrote and the agent has not acted since (the agent's view
    # flags it; the agent's next action on the assignment clears it), and the row's
    # version for optimistic concurrency (bumped on every change, see below).
    customer_replied_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __table_args__ = (
        # "My work": an agent's open assignments by state and deadline.
        sa.Index("ix_assignments_agent_state_resolve_by", "agent_id", "state", "resolve_by"),
        sa.Index("ix_assignments_team_state_resolve_by", "team_key", "state", "resolve_by"),
    )


@sa.event.listens_for(Assignment, "before_update")
def _bump_version(_mapper: Any, _connection: Any, target: Assignment) -> None:
    # Every change a flush writes bumps the version, whoever made it (an action, a
    # reaction to an event), so a stale page's ``expected_version`` is refused.
    session = object_session(target)
    if session is not None and session.is_modified(target, include_collections=False):
        target.version = (target.version or 0) + 1


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
    # Since 0007: open until a supervisor handles or dismisses it, with a note; who did.
    state: Mapped[str] = mapped_column(sa.String(16), default="open", server_default="open")
    closed_by: Mapped[str | None] = mapped_column(sa.String(140))  # person:<id> / key:<name>
    closed_by_name: Mapped[str | None] = mapped_column(sa.String(100))
    closed_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(sa.Text)
    # What the item refers to beyond the ticket (an extension request, a survey).
    ref_id: Mapped[uuid.UUID | None]
    # Since 0009, what the workspace words in the reader's language (``summary`` is one
    # English line for API clients): the agent concerned and their display name then, the
    # ticket's subject, a person's own words (masked), kind-specific facts (a clock and its
    # due time, a score, minutes asked, why a ticket was assigned).
    agent_id: Mapped[uuid.UUID | None]
    agent_name: Mapped[str | None] = mapped_column(sa.String(100))
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    text: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")

    __table_args__ = (
        sa.Index("ix_supervisor_items_team_state_created", "team_key", "state", "created_at"),
    )


class ActivityEntry(Base):
    """One line of dispatch's part of a ticket's thread: a note, a reply, a collaborator's
    request or answer, a system event; text with contacts masked."""

    __tablename__ = "activity"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID]
    assignment_id: Mapped[uuid.UUID | None]
    kind: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[str | None] = mapped_column(sa.String(140))  # person:<id>, key:<name>, ...
    actor_name: Mapped[str] = mapped_column(sa.String(100))
    at: Mapped[datetime]
    text: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The event it records, when it came from one (one line per event).
    event_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)

    __table_args__ = (sa.Index("ix_activity_ticket_at", "ticket_id", "at"),)


class Collaboration(Base):
    """An agent asked a colleague (an agent's name or a team key) for help."""

    __tablename__ = "collaborations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(index=True)
    assignment_id: Mapped[uuid.UUID]
    asked_by: Mapped[uuid.UUID]
    collaborator: Mapped[str] = mapped_column(sa.String(100))
    question: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by: Mapped[str | None] = mapped_column(sa.String(140))
    answered_by_name: Mapped[str | None] = mapped_column(sa.String(100))
    answered_at: Mapped[datetime | None]


class ExtensionRequest(Base):
    """An agent asks the supervisor for more time (seed 002: 提前4小时上报客服主管,
    说明原因并申请延期)."""

    __tablename__ = "extension_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    assignment_id: Mapped[uuid.UUID] = mapped_column(index=True)
    ticket_id: Mapped[uuid.UUID]
    team_key: Mapped[str] = mapped_column(sa.String(32), index=True)
    agent_id: Mapped[uuid.UUID]
    extra_minutes: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(16))  # pending, granted, refused
    created_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(sa.String(140))
    decided_by_name: Mapped[str | None] = mapped_column(sa.String(100))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    resolve_by_before: Mapped[datetime | None]
    resolve_by_after: Mapped[datetime | None]


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
