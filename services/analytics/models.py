"""Analytics' tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.analytics import rollups
from shared.database import TYPE_ANNOTATION_MAP, bus_tables
from shared.team_copies import declare_team_copies


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = TYPE_ANNOTATION_MAP


BUS = bus_tables(Base.metadata)
# Dispatch's teams as analytics last heard of them (shared.team_copies).
TEAM_COPIES = declare_team_copies(Base.metadata)


class TicketFact(Base):
    """One ledger row per ticket, projected from every service's events.

    Every column is nullable because events arrive in any order: each event
    fills in its own columns and nothing else.
    """

    __tablename__ = "ticket_facts"
    __table_args__ = (
        sa.Index("ix_ticket_facts_received", "received_at", "ticket_id"),
        sa.Index("ix_ticket_facts_state", "state"),
    )

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
    # Since 0002: the whole lifecycle. Timestamps keep the first (accepted) or the
    # last (assigned, resolved, reopened, closed) value whatever the arrival order;
    # the derived columns are recomputed from them by ``domain.refresh``.
    description: Mapped[str | None] = mapped_column(sa.Text)
    keywords: Mapped[list[str] | None]
    agent_id: Mapped[uuid.UUID | None]
    first_agent_id: Mapped[uuid.UUID | None]
    first_assigned_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by_agent_id: Mapped[uuid.UUID | None]
    resolution_code: Mapped[str | None] = mapped_column(sa.String(64))
    reopened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    state_at: Mapped[datetime | None]
    first_response_seconds: Mapped[float | None] = mapped_column(sa.Float)
    resolution_seconds: Mapped[float | None] = mapped_column(sa.Float)
    # The same in business time, on the calendar triage used (sent in ticket.triaged).
    calendar_spec: Mapped[dict[str, Any] | None]
    first_response_business_seconds: Mapped[float | None] = mapped_column(sa.Float)
    resolution_business_seconds: Mapped[float | None] = mapped_column(sa.Float)
    response_met: Mapped[bool | None]
    resolution_met: Mapped[bool | None]
    response_breached: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    resolution_breached: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    update_breached: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    breached: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    transfers: Mapped[int] = mapped_column(default=0, server_default="0")
    escalations: Mapped[int] = mapped_column(default=0, server_default="0")
    reopens: Mapped[int] = mapped_column(default=0, server_default="0")
    compensation_count: Mapped[int] = mapped_column(default=0, server_default="0")
    compensation_total: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    csat: Mapped[int | None]
    survey_resolved: Mapped[bool | None]
    survey_comment: Mapped[str | None] = mapped_column(sa.Text)
    # Since 0006: the ledger's record of what was done (seed 000 台账, seed 001 电话记录表):
    # the agent's reply, the call of a phone ticket, and the callback after resolution.
    resolution_text: Mapped[str | None] = mapped_column(sa.Text)
    call_started_at: Mapped[datetime | None]
    call_ended_at: Mapped[datetime | None]
    call_handler: Mapped[str | None] = mapped_column(sa.String(100))
    verification_steps: Mapped[str | None] = mapped_column(sa.Text)
    call_resolution: Mapped[str | None] = mapped_column(sa.Text)
    callback_outcome: Mapped[str | None] = mapped_column(sa.Text)
    callback_by: Mapped[str | None] = mapped_column(sa.String(100))
    callback_score: Mapped[int | None]
    callback_completed_at: Mapped[datetime | None]
    fcr: Mapped[bool | None]


class CountedEvent(Base):
    """What a counter already counted (an event id, or a compensation id), so a
    redelivery that slipped past the inbox (pruned ids, a replay) counts nothing."""

    __tablename__ = "counted_events"

    key: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(sa.String(32))


def _rollup_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        Base.metadata,
        *(
            sa.Column(d, sa.Date() if d == "day" else sa.String(100), primary_key=True)
            for d in rollups.key_columns(name)
        ),
        *(
            sa.Column(m, sa.BigInteger(), nullable=False, server_default="0")
            for m in rollups.INT_MEASURES
        ),
        *(
            sa.Column(m, sa.Float(), nullable=False, server_default="0")
            for m in rollups.FLOAT_MEASURES
        ),
    )


# Daily cubes kept up to date with the facts (see ``services.analytics.rollups``).
ROLLUPS: dict[str, sa.Table] = {name: _rollup_table(name) for name in rollups.DIMENSIONS}


class ReportSynonym(Base):
    """One term of the editable synonym table: the complaint reason it counts as in the
    reviews (快递, 物流 and 配送延迟 are all 物流延迟)."""

    __tablename__ = "report_synonyms"

    term: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    reason: Mapped[str] = mapped_column(sa.String(40))
    updated_at: Mapped[datetime]


class OnShiftCopy(Base):
    """Who of a team is on shift and on leave today, as dispatch last announced it
    (``team.on_shift_changed``); the newest announcement wins. ``on_shift``: agent_id,
    name, shift, until; ``on_leave``: agent_id, name, first_day, last_day."""

    __tablename__ = "on_shift_copies"

    team_key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    has_roster: Mapped[bool]
    timezone: Mapped[str] = mapped_column(sa.String(64))
    day: Mapped[date] = mapped_column(sa.Date)
    day_kind: Mapped[str] = mapped_column(sa.String(16))  # workday, holiday, weekend
    on_shift: Mapped[list[dict[str, Any]]]
    on_leave: Mapped[list[dict[str, Any]]]
    as_of: Mapped[datetime]
