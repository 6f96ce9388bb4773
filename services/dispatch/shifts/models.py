"""The tables of shifts: a team's current roster and every change to it with its actor,
per-agent exceptions (leave, swaps, extra shifts) and their changes, and dispatch's copy of
China's official holiday schedules (announced by triage)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from services.dispatch.models import Base


class ShiftRoster(Base):
    """A team's shift patterns (JSON: name, start, end, days, agent_ids) in its time zone."""

    __tablename__ = "shift_rosters"

    team_key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    handover: Mapped[str] = mapped_column(sa.String(16))  # keep, queue, reassign
    # "china": China's holidays and make-up workdays apply; "none": weekdays only.
    calendar: Mapped[str] = mapped_column(sa.String(16), default="china")
    shifts: Mapped[list[dict[str, Any]]]
    version: Mapped[int]
    updated_by: Mapped[str] = mapped_column(sa.String(100))
    updated_by_name: Mapped[str] = mapped_column(sa.String(100))
    updated_at: Mapped[datetime]


class NumberedChange:
    """One change to a team's shifts in its history: numbered per team (``version``), with
    who made it and when (the columns both history tables share)."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (sa.UniqueConstraint("team_key", "version"),)

    # The table's columns in the order the migrations wrote them: these first, the
    # change's own, then who and when.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4, sort_order=-1)
    team_key: Mapped[str] = mapped_column(sa.String(32), index=True, sort_order=-1)
    version: Mapped[int] = mapped_column(sort_order=-1)
    actor: Mapped[str] = mapped_column(sa.String(100), sort_order=1)
    actor_name: Mapped[str] = mapped_column(sa.String(100), sort_order=1)
    at: Mapped[datetime] = mapped_column(sort_order=1)


class ShiftRosterChange(NumberedChange, Base):
    """One version of a team's roster as it was set, or its removal (``roster`` None)."""

    __tablename__ = "shift_roster_changes"

    roster: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class ShiftException(Base):
    """One agent's exception to the roster, on days in the team's time zone: ``leave``
    (first_day..last_day, not on shift), ``swap`` (agent works ``replaces_agent_id``'s
    shift ``shift`` on first_day) or ``extra`` (an extra shift start..end on first_day)."""

    __tablename__ = "shift_exceptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    team_key: Mapped[str] = mapped_column(sa.String(32), index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    agent_id: Mapped[uuid.UUID]
    replaces_agent_id: Mapped[uuid.UUID | None]
    shift: Mapped[str | None] = mapped_column(sa.String(50))
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)
    start: Mapped[str | None] = mapped_column(sa.String(5))
    end: Mapped[str | None] = mapped_column(sa.String(5))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_by_name: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime]


class ShiftExceptionChange(NumberedChange, Base):
    """One exception added or removed (``action``)."""

    __tablename__ = "shift_exception_changes"

    action: Mapped[str] = mapped_column(sa.String(8))  # added, removed
    exception: Mapped[dict[str, Any]]


class HolidayScheduleCopy(Base):
    """One year of China's official schedule (ISO dates), as triage last announced it."""

    __tablename__ = "holiday_schedule_copies"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    holidays: Mapped[list[str]]
    workdays: Mapped[list[str]]
    actor: Mapped[str] = mapped_column(sa.String(100))
    updated_at: Mapped[datetime]


class OnShiftAnnouncement(Base):
    """What dispatch last announced of a team's shifts (``team.on_shift_changed``): a digest
    of who was on shift and on leave that day, so the shift timer announces only a change."""

    __tablename__ = "on_shift_announcements"

    team_key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(64))
    announced_at: Mapped[datetime]
