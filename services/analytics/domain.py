"""Analytics' rules as plain functions."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any, Protocol

from shared.calendar import BusinessCalendar, business_time_between
from shared.vocabulary import TICKET_STATUSES

# A ticket's state is that of its latest state-changing event; the lifecycle order
# (shared.vocabulary.TICKET_STATUSES) breaks ties between events of the same instant.
STATES = TICKET_STATUSES.keys

# A resolution code with this prefix says the answer came from the knowledge base.
KB_RESOLUTION_PREFIX = "kb"


def advanced_state(current: str, new: str) -> str:
    return new if TICKET_STATUSES.rank(new) > TICKET_STATUSES.rank(current) else current


class Stateful(Protocol):
    state: str
    state_at: datetime | None


def move_state(fact: Stateful, new: str, at: datetime) -> None:
    """Take ``new`` if its event is the latest seen (a tie goes to the later stage).

    Events may arrive in any order and twice: only the latest one counts, so a late
    ``ticket.received`` never moves an assigned ticket back, while a reopen after a
    resolution does.
    """
    if (
        fact.state_at is None
        or at > fact.state_at
        or (at == fact.state_at and TICKET_STATUSES.rank(new) > TICKET_STATUSES.rank(fact.state))
    ):
        fact.state, fact.state_at = new, at


def earliest(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new < current else current


def latest(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new > current else current


def _calendar(spec: dict[str, Any] | None) -> BusinessCalendar | None:
    if not spec:
        return None
    try:
        return BusinessCalendar.from_dict(spec)
    except (KeyError, TypeError, ValueError):
        return None  # a calendar this version cannot read: no business-time figure


def _business_seconds(
    calendar: BusinessCalendar | None, start: datetime | None, end: datetime | None
) -> float | None:
    if calendar is None or start is None or end is None:
        return None
    if end <= start:
        return 0.0
    return business_time_between(calendar, start, end).total_seconds()


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def _met(done_at: datetime | None, due: datetime | None, breached: bool) -> bool | None:
    if breached:
        return False
    if done_at is None or due is None:
        return None
    return done_at <= due


class Fact(Protocol):
    received_at: datetime | None
    accepted_at: datetime | None
    resolved_at: datetime | None
    respond_by: datetime | None
    resolve_by: datetime | None
    first_agent_id: uuid.UUID | None
    resolved_by_agent_id: uuid.UUID | None
    resolution_code: str | None
    response_breached: bool
    resolution_breached: bool
    update_breached: bool
    transfers: int
    reopens: int
    first_response_seconds: float | None
    resolution_seconds: float | None
    calendar_spec: dict[str, Any] | None
    first_response_business_seconds: float | None
    resolution_business_seconds: float | None
    response_met: bool | None
    resolution_met: bool | None
    breached: bool
    fcr: bool | None


def refresh(fact: Fact) -> None:
    """Recompute the derived columns from the raw ones (order-independent)."""
    fact.first_response_seconds = _seconds(fact.received_at, fact.accepted_at)
    fact.resolution_seconds = _seconds(fact.received_at, fact.resolved_at)
    calendar = _calendar(fact.calendar_spec)
    fact.first_response_business_seconds = _business_seconds(
        calendar, fact.received_at, fact.accepted_at
    )
    fact.resolution_business_seconds = _business_seconds(
        calendar, fact.received_at, fact.resolved_at
    )
    fact.response_met = _met(fact.accepted_at, fact.respond_by, bool(fact.response_breached))
    fact.resolution_met = _met(fact.resolved_at, fact.resolve_by, bool(fact.resolution_breached))
    fact.breached = bool(
        fact.response_breached
        or fact.resolution_breached
        or fact.update_breached
        or fact.response_met is False
        or fact.resolution_met is False
    )
    fact.fcr = first_contact_resolution(fact)


def first_contact_resolution(fact: Fact) -> bool | None:
    """Resolved by the first agent without transfer or reopen, or answered from the
    knowledge base at first contact; None while unresolved."""
    if fact.resolved_at is None:
        return None
    if (fact.reopens or 0) > 0:
        return False
    if (fact.resolution_code or "").startswith(KB_RESOLUTION_PREFIX):
        return True
    if (fact.transfers or 0) > 0:
        return False
    return (
        fact.first_agent_id is None
        or fact.resolved_by_agent_id is None
        or fact.first_agent_id == fact.resolved_by_agent_id
    )


def encode_cursor(received_at: datetime, ticket_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{received_at.isoformat()}|{ticket_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Raises ValueError on anything that is not a cursor this service made."""
    raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    at, _, ident = raw.partition("|")
    when = datetime.fromisoformat(at)
    if when.tzinfo is None:
        raise ValueError("cursor time has no offset")
    return when, uuid.UUID(ident)
