"""Analytics' rules as plain functions."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

# The furthest state a ticket reached; late events never move it back.
STATE_RANK = {"new": 0, "received": 1, "triaged": 2, "queued": 3, "assigned": 4}


def advanced_state(current: str, new: str) -> str:
    return new if STATE_RANK.get(new, -1) > STATE_RANK.get(current, -1) else current


def encode_cursor(received_at: datetime, ticket_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{received_at.isoformat()}|{ticket_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Raises ValueError on anything that is not a cursor this service made."""
    raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    at, _, ident = raw.partition("|")
    return datetime.fromisoformat(at), uuid.UUID(ident)
