"""Rules about people and sign-in, without I/O."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from shared.errors import ApiError
from shared.tokens import PERSON_ROLES

MIN_PASSWORD_LENGTH = 10


def check_account_shape(
    roles: Sequence[str], teams: Sequence[str], supervises: Sequence[str]
) -> None:
    """An account's roles fit its teams: an agent works in exactly one team (its queue),
    a supervisor supervises at least one."""
    unknown = sorted(set(roles) - set(PERSON_ROLES))
    if not roles or unknown:
        raise ApiError(
            422, "invalid_roles", f"Roles must be among {list(PERSON_ROLES)}; got {list(roles)}."
        )
    if "agent" in roles and len(teams) != 1:
        raise ApiError(422, "agent_needs_one_team", "An agent works in exactly one team.")
    if "supervisor" in roles and not supervises:
        raise ApiError(422, "supervisor_needs_teams", "A supervisor supervises at least one team.")
    if supervises and "supervisor" not in roles and "admin" not in roles:
        raise ApiError(422, "invalid_roles", "Only a supervisor supervises teams.")


def check_new_password(login: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ApiError(
            422,
            "weak_password",
            f"A password has at least {MIN_PASSWORD_LENGTH} characters.",
        )
    if password.strip().lower() == login.strip().lower():
        raise ApiError(422, "weak_password", "A password is not the login.")


def retry_after(
    failures: Iterable[datetime], *, limit: int, window: timedelta, now: datetime
) -> int | None:
    """Seconds until one more attempt is allowed, or None when it is allowed now:
    ``limit`` failures within ``window`` lock until the oldest of them leaves it."""
    recent = sorted(at for at in failures if at > now - window)
    if len(recent) < limit:
        return None
    oldest_that_counts = recent[len(recent) - limit]
    return max(1, math.ceil((oldest_that_counts + window - now).total_seconds()))


def refresh_token_hash(token: str) -> str:
    """Refresh tokens are random, so a plain SHA-256 is enough to keep only their hash."""
    return hashlib.sha256(token.encode()).hexdigest()
