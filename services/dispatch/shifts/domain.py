"""Who is on shift at a moment (pure: no I/O).

A roster is a team's shift patterns in the team's time zone: each pattern has a start and
an end (local wall-clock time), the weekdays it starts on (Monday = 0) and the agents who
work it. A pattern whose end is not after its start runs past midnight into the next day
(22:00–06:00; 00:00–00:00 is a full day). A team without a roster has no shifts: its
agents are on shift whenever they are online (the behaviour before shifts).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# What an agent going off shift does with open work (the team's setting):
# keep: it stays theirs until their next shift; queue: what they have not accepted goes
# back to the team's queue (accepted work stays with them); reassign: everything they
# have not parked waiting on the customer goes to agents on shift now, else the queue.
HANDOVERS = ("keep", "queue", "reassign")
EVERY_DAY = frozenset(range(7))


@dataclass(frozen=True)
class Shift:
    name: str
    start: time
    end: time
    days: frozenset[int]
    agent_ids: frozenset[uuid.UUID]

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def occurrence(self, local: datetime) -> datetime | None:
        """The local start of the occurrence of this shift that covers ``local``, if any."""
        day = local.date()
        today = datetime.combine(day, self.start, tzinfo=local.tzinfo)
        if not self.overnight:
            if day.weekday() in self.days and self.start <= local.time() < self.end:
                return today
            return None
        if day.weekday() in self.days and local.time() >= self.start:
            return today
        if (day.weekday() - 1) % 7 in self.days and local.time() < self.end:
            return today - timedelta(days=1)
        return None

    def ends_after(self, started: datetime) -> datetime:
        end = datetime.combine(started.date(), self.end, tzinfo=started.tzinfo)
        return end + timedelta(days=1) if self.overnight else end


@dataclass(frozen=True)
class Roster:
    timezone: str
    handover: str
    shifts: tuple[Shift, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("a moment on a roster must carry its time zone")
        return at.astimezone(self.zone)

    def current(self, at: datetime) -> list[tuple[Shift, datetime, datetime]]:
        """The shifts running at ``at``: (shift, local start, local end)."""
        local = self.local(at)
        running = []
        for shift in self.shifts:
            started = shift.occurrence(local)
            if started is not None:
                running.append((shift, started, shift.ends_after(started)))
        return running

    def on_shift(self, at: datetime) -> dict[uuid.UUID, tuple[Shift, datetime]]:
        """Agent -> (the shift they work now, when it ends); the latest end wins."""
        found: dict[uuid.UUID, tuple[Shift, datetime]] = {}
        for shift, _started, ends in self.current(at):
            for agent_id in shift.agent_ids:
                if agent_id not in found or found[agent_id][1] < ends:
                    found[agent_id] = (shift, ends)
        return found

    def next_start(self, at: datetime) -> tuple[Shift, datetime] | None:
        """The next shift to begin after ``at`` (within a week), with its local start."""
        local = self.local(at)
        best: tuple[Shift, datetime] | None = None
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            for shift in self.shifts:
                if day.weekday() not in shift.days:
                    continue
                begins = datetime.combine(day, shift.start, tzinfo=local.tzinfo)
                if begins > local and (best is None or begins < best[1]):
                    best = (shift, begins)
        return best


def parse_clock(text: str) -> time:
    """``HH:MM``; ``24:00`` is midnight at the end of the day (a shift ending then)."""
    if text == "24:00":
        return time(0, 0)
    hours, _, minutes = text.partition(":")
    if not (len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"{text!r} is not a time of day as HH:MM")
    return time(int(hours), int(minutes))


def shift_from_dict(data: Mapping[str, Any]) -> Shift:
    return Shift(
        name=str(data["name"]),
        start=parse_clock(data["start"]),
        end=parse_clock(data["end"]),
        days=frozenset(int(d) for d in data.get("days", EVERY_DAY)),
        agent_ids=frozenset(uuid.UUID(str(a)) for a in data.get("agent_ids", ())),
    )


def roster_from(timezone: str, handover: str, shifts: Iterable[Mapping[str, Any]]) -> Roster:
    return Roster(timezone, handover, tuple(shift_from_dict(s) for s in shifts))
