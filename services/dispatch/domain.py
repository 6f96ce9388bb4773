"""Dispatch's rules as plain data and functions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from shared.vocabulary import CHAT_CHANNELS


@dataclass(frozen=True)
class TeamSpec:
    key: str
    name: str
    supervisor: str
    skills: tuple[str, ...]


# SPEC §3: the default teams, each with a supervisor (names as migration 0006 left them).
DEFAULT_TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec("frontline", "一线客服", "frontline-supervisor", ("inquiry",)),
    TeamSpec("tech_support", "技术", "tech-supervisor", ("fault",)),
    TeamSpec("finance", "财务", "finance-supervisor", ("refund",)),
    TeamSpec("logistics", "物流", "logistics-supervisor", ("delivery",)),
    TeamSpec("complaints", "投诉处理", "complaints-supervisor", ("complaint",)),
    TeamSpec("after_sales", "售后", "after-sales-supervisor", ("after_sales",)),
    TeamSpec("product", "产品", "product-supervisor", ("suggestion", "customization")),
)

DEFAULT_TEAM_KEYS = tuple(team.key for team in DEFAULT_TEAMS)

# Demo agents for a local run: (name, team).
DEMO_AGENTS: tuple[tuple[str, str], ...] = tuple(
    (f"{team.key}-agent-{n}", team.key) for team in DEFAULT_TEAMS for n in (1, 2)
)

REPORT_TO_SUPERVISOR = frozenset({"P0", "P1"})


class Candidate(Protocol):
    name: str
    capacity: int
    active_count: int
    last_assigned_at: datetime | None


C = TypeVar("C", bound=Candidate)


def is_chat(channel: str | None) -> bool:
    """Chats (web and app chat, mini-program, social messages) may have their own capacity."""
    return channel in CHAT_CHANNELS


def has_room(
    capacity: int,
    active_count: int,
    chat_capacity: int | None,
    chat_active_count: int,
    chat: bool,
) -> bool:
    """Spare capacity for one more ticket of this kind.

    Without a chat capacity every ticket counts against ``capacity``; with one, chats
    count against it and the other tickets against ``capacity``.
    """
    if chat_capacity is None:
        return active_count < capacity
    if chat:
        return chat_active_count < chat_capacity
    return active_count - chat_active_count < capacity


def pick_agent(candidates: Iterable[C]) -> C | None:
    """The least-loaded agent with spare capacity; among equals, who waited longest.

    Waiting longest (never assigned first) makes equals take turns: round robin.
    Candidates are agents with room (see :func:`has_room`); without a chat capacity
    that is ``active_count < capacity``, which is checked here too.
    """
    free = [
        c
        for c in candidates
        if getattr(c, "chat_capacity", None) is not None or c.active_count < c.capacity
    ]
    if not free:
        return None
    return min(
        free,
        key=lambda c: (
            c.active_count,
            c.last_assigned_at is not None,
            c.last_assigned_at or datetime.min.replace(tzinfo=UTC),
            c.name,
        ),
    )


def must_report_to_supervisor(priority: str) -> bool:
    """Seed 000: urgent and important tickets are reported to the supervisor on assignment."""
    return priority in REPORT_TO_SUPERVISOR


# --------------------------------------------------------------------------- assignment states

QUEUED = "queued"
ASSIGNED = "assigned"
ACCEPTED = "accepted"
WAITING = "waiting_on_customer"
RESOLVED = "resolved"
# An assignment in one of these states holds one unit of its agent's capacity.
HOLDS_CAPACITY = frozenset({ASSIGNED, ACCEPTED, WAITING})

# Which states each agent action may start from.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "accept": frozenset({ASSIGNED}),
    "progress": frozenset({ACCEPTED, WAITING}),
    "waiting_on_customer": frozenset({ACCEPTED}),
    "resume": frozenset({WAITING}),
    "transfer": frozenset({ASSIGNED, ACCEPTED, WAITING}),
    "escalate": frozenset({ASSIGNED, ACCEPTED, WAITING}),
    "resolve": frozenset({ACCEPTED, WAITING}),
    "compensate": frozenset({ASSIGNED, ACCEPTED, WAITING}),
    "visit": frozenset({ACCEPTED, WAITING}),
    "extend": frozenset({ASSIGNED, ACCEPTED, WAITING}),
}

# Categories whose tickets may need an engineer on site.
VISIT_CATEGORIES = frozenset({"fault", "after_sales"})

MAX_SKILL_LEVEL = 5
DEFAULT_SKILL_LEVEL = 1


def action_refusal(action: str, state: str) -> str | None:
    """Why ``action`` is not allowed in ``state``, or None when it is."""
    allowed = ALLOWED_FROM[action]
    if state in allowed:
        return None
    return (
        f"Cannot {action.replace('_', ' ')} an assignment that is {state}; "
        f"allowed from: {', '.join(sorted(allowed))}."
    )


def required_level(priority: str, customer_type: str, min_level_p0_vip: int) -> int:
    """P0 and VIP tickets may need an experienced agent (a minimum skill level)."""
    if priority == "P0" or customer_type == "vip":
        return min_level_p0_vip
    return 0


def can_take(
    levels: dict[str, int] | None,
    skills: Iterable[str],
    skill: str | None,
    team_skills: Iterable[str],
    min_level: int,
) -> bool:
    """Whether an agent (skills with levels) may take a ticket needing ``skill``.

    A skill the team does not list is a label, not a requirement (triage may name
    finer skills than the team's, e.g. ``account``); then any skill level counts.
    """
    levels = dict(levels or {}) or {name: DEFAULT_SKILL_LEVEL for name in skills}
    if skill and skill in set(team_skills):
        return levels.get(skill, 0) >= max(min_level, 1)
    if min_level <= 0:
        return True
    return max(levels.values(), default=0) >= min_level


def needs_approval(kind: str, amount: float, thresholds: dict[str, float]) -> bool:
    """A compensation above its kind's threshold waits for the supervisor (none listed: 0)."""
    return amount > thresholds.get(kind, 0.0)


def capacity_holds_load(
    capacity: int, chat_capacity: int | None, active_count: int, chat_active_count: int
) -> bool:
    """Whether new capacities still hold the tickets an agent has: with a chat capacity,
    chats count against it and the rest against ``capacity``; without, all against it."""
    others = active_count - chat_active_count if chat_capacity is not None else active_count
    return capacity >= others and (chat_capacity is None or chat_capacity >= chat_active_count)


# A window starting a little before the server's clock (the client's clock runs behind) is
# still now; one starting earlier than this is a mistake the customer would be told.
VISIT_CLOCK_SKEW = timedelta(minutes=5)


class InvalidVisit(ValueError):
    """A visit window that cannot be booked; ``code`` is the refusal's stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def visit_window(
    now: datetime, start: datetime | None, end: datetime | None, within_hours: int
) -> tuple[datetime, datetime]:
    """The appointment window (open ends: from now, until the latest allowed); it must end
    after it starts, start no earlier than now (give or take the clock skew) and end within
    ``within_hours`` of now."""
    latest = now + timedelta(hours=within_hours)
    start = start or now
    end = end or latest
    if end <= start:
        raise InvalidVisit("invalid_visit_window", "The window must end after it starts.")
    if start < now - VISIT_CLOCK_SKEW:
        raise InvalidVisit("visit_in_the_past", "The visit window must not start in the past.")
    if end > latest:
        raise InvalidVisit(
            "visit_too_late",
            f"The visit must happen within {within_hours} h, by {latest.isoformat()}.",
        )
    return start, end


def takes_back_reopened(
    agent_status: str, agent_team: str, ticket_team: str, has_room: bool
) -> bool:
    """A reopened ticket goes back to its last agent when they are online, still in the
    ticket's team, and have room; otherwise it is queued for whoever is free."""
    return agent_status == "online" and agent_team == ticket_team and has_room
