"""Input types for HTTP schemas and query parameters that refuse values which are
mistakes rather than data: a date-time given as a number (``0`` is not 1970), a date at
the edge of the calendar (arithmetic on year 1 or 9999 overflows), a boolean given as
an amount (``false`` is not 0). Each refusal is an ordinary 422 ``validation_error``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

# Generous for any ticket, deadline or report window, and far enough from year 1 and
# 9999 that a time zone, a business calendar or a report window never overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)


def _text_only(value: Any) -> Any:
    if isinstance(value, bool | int | float | Decimal):
        raise ValueError("a date-time is text such as 2026-11-22T08:00:00+08:00, not a number")
    return value


def _instant_in_range(value: datetime) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware <= LATEST:
        raise ValueError(f"a date-time between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return value


def _day_in_range(value: date) -> date:
    if not EARLIEST.date() <= value <= LATEST.date():
        raise ValueError(f"a date between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return value


def _not_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("an amount is a number, not true or false")
    return value


# A date-time given as ISO 8601 text, between 1970 and 2999.
Instant = Annotated[datetime, BeforeValidator(_text_only), AfterValidator(_instant_in_range)]
# A calendar day between 1970 and 2999.
Day = Annotated[date, BeforeValidator(_text_only), AfterValidator(_day_in_range)]
# An amount of money: a JSON number, never ``true``/``false``.
Amount = Annotated[float, BeforeValidator(_not_boolean)]
# The same, with an offset required.
AwareInstant = Annotated[
    AwareDatetime, BeforeValidator(_text_only), AfterValidator(_instant_in_range)
]


def check_call_times(start: datetime | None, end: datetime | None) -> None:
    """A phone call's start and end as a body gives them (either may be missing): each with
    an offset, and the end not before the start."""
    if (start and start.tzinfo is None) or (end and end.tzinfo is None):
        raise ValueError("call times need a UTC offset")
    if start and end and end < start:
        raise ValueError("call_ended_at is before call_started_at")
