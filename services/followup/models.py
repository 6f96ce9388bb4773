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
    # response, resolution, update (a customer-visible update every day once a ticket
    # has been open a day; it starts a new cycle after each update and each miss)
    kind: Mapped[str] = mapped_column(sa.String(16))
    state: Mapped[str] = mapped_column(sa.String(16))  # running, met, breached
    priority: Mapped[str | None] = mapped_column(sa.String(2))
    team: Mapped[str | None] = mapped_column(sa.String(32))
    # Null until triage's deadline arrives: a stop may be seen before the start.
    started_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    warn_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    # When sla.warning / sla.breached were emitted (set in the emitting transaction,
    # so each fires once), and when the timer must next look at this clock (null:
    # nothing left to fire, e.g. stopped or already breached).
    warned_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    next_fire_at: Mapped[datetime | None] = mapped_column(index=True)
    # How many times this clock breached: at most once for response and resolution
    # (per reopen), once per missed day for update.
    breaches: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # Business time: the ticket's calendar (``BusinessCalendar.to_dict()``; null: 24×7),
    # the deadline triage set (``due_at`` is it moved by the time spent paused), the
    # business time spent waiting on the customer so far, and since when it waits now.
    calendar_spec: Mapped[dict[str, Any] | None]
    base_due_at: Mapped[datetime | None]
    paused_seconds: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    paused_at: Mapped[datetime | None]
    # From triage, to plan callbacks on resolution (after_sales, suggestion, complaint...).
    category: Mapped[str | None] = mapped_column(sa.String(16))
    # The customer's ticket number (from triage), shown on the survey page.
    ticket_no: Mapped[str | None] = mapped_column(sa.String(32))


class Survey(Base):
    """The satisfaction survey sent with a resolution; its link's token is single-use.

    Only a hash of the token is kept. ``close_at`` is when an unanswered survey closes
    the ticket automatically (the SLA timer claims it like a clock).
    """

    __tablename__ = "surveys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # pending, answered, closed (no answer in time), superseded (a later resolution)
    state: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    close_at: Mapped[datetime | None] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    resolved: Mapped[bool | None]
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(sa.String(16))  # confirmed, reopened, auto
    ticket_no: Mapped[str | None] = mapped_column(sa.String(32))


class Callback(Base):
    """A follow-up task after resolution (回访): who owns it, when it is due, its outcome.

    ``next_fire_at`` is the deadline while the task is open and not yet reported overdue;
    the SLA timer claims it like a clock and emits ``sla.breached`` (clock ``callback``).
    """

    __tablename__ = "callbacks"
    __table_args__ = (sa.UniqueConstraint("source_event_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(index=True)
    # after_sales_callback, suggestion_feedback, satisfaction_callback
    kind: Mapped[str] = mapped_column(sa.String(32))
    owner: Mapped[str] = mapped_column(sa.String(32), index=True)
    state: Mapped[str] = mapped_column(sa.String(16), index=True)  # open, completed, cancelled
    priority: Mapped[str | None] = mapped_column(sa.String(2))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True)
    next_fire_at: Mapped[datetime | None] = mapped_column(index=True)
    breached_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(sa.String(64))
    # Since 0008: the person's name, the call as the phone record form has it, and when a
    # reopen cancelled the task (state ``cancelled``).
    completed_by_name: Mapped[str | None] = mapped_column(sa.String(100))
    call_started_at: Mapped[datetime | None]
    call_ended_at: Mapped[datetime | None]
    verification: Mapped[str | None] = mapped_column(sa.Text)
    cancelled_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    score: Mapped[int | None]
    # The ticket.resolved that planned it: a redelivery plans nothing new.
    source_event_id: Mapped[uuid.UUID]
