"""SLA policies (SPEC §4), their presets and calendars, and the deadlines they give."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.triage.rules.model import PRIORITIES, InvalidRule
from shared.calendar import (
    DEFAULT_CALENDAR,
    TWENTY_FOUR_SEVEN,
    BusinessCalendar,
    add_business_time,
    add_working_days,
    next_working_time,
)

# --------------------------------------------------------------------------- SLA


_DURATION = re.compile(r"^\s*(\d+)\s*(m|h|d)\s*$")


@dataclass(frozen=True)
class SlaTarget:
    """Response and resolution windows of one priority, on one calendar.

    Durations are ``"30m"``/``"4h"`` (working time on the calendar) or ``"1d"``
    (working days: the same time of day, n working days later, counted from the
    first working instant).
    """

    respond: str
    resolve: str
    calendar: str


@dataclass(frozen=True)
class SlaPolicy:
    name: str
    targets: Mapping[str, SlaTarget]
    description: str = ""


def parse_duration(text: str) -> tuple[int, str]:
    found = _DURATION.match(text)
    if found is None:
        raise InvalidRule(f"duration {text!r}: use minutes '30m', hours '4h' or working days '3d'")
    return int(found.group(1)), found.group(2)


def _policy(
    name: str, p0: tuple[str, str], p1: tuple[str, str], p2: tuple[str, str], desc: str
) -> SlaPolicy:
    return SlaPolicy(
        name,
        {
            "P0": SlaTarget(*p0, calendar="24x7"),
            "P1": SlaTarget(*p1, calendar="default"),
            "P2": SlaTarget(*p2, calendar="default"),
        },
        desc,
    )


# SPEC §4. A day-long window ("24 h", "72 h") on the business calendar is counted in
# working days: 24 h → 1 working day, 72 h → 3 working days.
SLA_POLICIES: dict[str, SlaPolicy] = {
    "cross-industry": _policy(
        "cross-industry", ("30m", "4h"), ("2h", "1d"), ("1d", "3d"), "seed 002 (default)"
    ),
    "sop-basic": _policy("sop-basic", ("2h", "8h"), ("4h", "1d"), ("1d", "3d"), "seed 000"),
    "helpdesk": _policy("helpdesk", ("1h", "8h"), ("4h", "1d"), ("1d", "3d"), "seed 004"),
}


class UnknownSlaPolicy(LookupError):
    """A setting or a decision names an SLA policy that is neither stored nor a preset."""


def policy_named(name: str, stored: Mapping[str, SlaPolicy]) -> SlaPolicy:
    """The policy called ``name``: the one an admin stored, else the preset of that name.
    Nothing else stands in for it: a misspelt name is an error, not another policy."""
    policy = stored.get(name) or SLA_POLICIES.get(name)
    if policy is None:
        known = ", ".join(sorted({*stored, *SLA_POLICIES}))
        raise UnknownSlaPolicy(f"no SLA policy named {name!r}; known: {known}")
    return policy


def _nominal(duration: str) -> timedelta:
    amount, unit = parse_duration(duration)
    return {"m": timedelta(minutes=amount), "h": timedelta(hours=amount)}.get(
        unit, timedelta(hours=24 * amount)
    )


# The nominal windows per preset, as SPEC §4 writes them.
SLA_PRESETS: dict[str, dict[str, tuple[timedelta, timedelta]]] = {
    name: {p: (_nominal(t.respond), _nominal(t.resolve)) for p, t in policy.targets.items()}
    for name, policy in SLA_POLICIES.items()
}

DEFAULT_CALENDARS: dict[str, BusinessCalendar] = {
    "default": DEFAULT_CALENDAR,
    "24x7": TWENTY_FOUR_SEVEN,
}


def validate_policy(policy: SlaPolicy, calendars: Mapping[str, BusinessCalendar]) -> None:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.\-]{0,31}", policy.name):
        raise InvalidRule(f"policy name {policy.name!r}: lower-case letters, digits, '-', '_'")
    if set(policy.targets) != set(PRIORITIES):
        raise InvalidRule(f"policy {policy.name}: give targets for exactly {', '.join(PRIORITIES)}")
    for priority, target in policy.targets.items():
        parse_duration(target.respond)
        parse_duration(target.resolve)
        if target.calendar not in calendars:
            raise InvalidRule(
                f"policy {policy.name} {priority}: unknown calendar {target.calendar!r}"
            )


def policy_to_dict(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "description": policy.description,
        "targets": {
            p: {"respond": t.respond, "resolve": t.resolve, "calendar": t.calendar}
            for p, t in policy.targets.items()
        },
    }


def policy_from_dict(data: Mapping[str, Any]) -> SlaPolicy:
    return SlaPolicy(
        name=str(data["name"]),
        description=str(data.get("description") or ""),
        targets={
            str(p): SlaTarget(str(t["respond"]), str(t["resolve"]), str(t["calendar"]))
            for p, t in (data.get("targets") or {}).items()
        },
    )


def due_after(calendar: BusinessCalendar, start: datetime, duration: str) -> datetime:
    amount, unit = parse_duration(duration)
    if unit == "d":
        if calendar.always_open:
            return start + timedelta(days=amount)
        return add_working_days(calendar, next_working_time(calendar, start), amount)
    delta = timedelta(minutes=amount) if unit == "m" else timedelta(hours=amount)
    return add_business_time(calendar, start, delta)


@dataclass(frozen=True)
class Deadlines:
    policy: str
    calendar: str
    respond_by: datetime
    resolve_by: datetime
    calendar_spec: BusinessCalendar = TWENTY_FOUR_SEVEN


def compute_deadlines(
    policy: SlaPolicy,
    calendars: Mapping[str, BusinessCalendar],
    priority: str,
    received_at: datetime,
) -> Deadlines:
    target = policy.targets[priority]
    calendar = calendars[target.calendar]
    return Deadlines(
        policy=policy.name,
        calendar=target.calendar,
        respond_by=due_after(calendar, received_at, target.respond),
        resolve_by=due_after(calendar, received_at, target.resolve),
        calendar_spec=calendar,
    )


def deadlines(
    priority: str,
    received_at: datetime,
    preset: str,
    calendars: Mapping[str, BusinessCalendar] | None = None,
) -> Deadlines:
    """Deadlines of a preset policy (P0 on the 24×7 calendar, P1/P2 on business time)."""
    return compute_deadlines(
        SLA_POLICIES[preset], calendars or DEFAULT_CALENDARS, priority, received_at
    )
