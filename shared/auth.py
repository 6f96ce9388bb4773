"""API-key authentication with roles: ``Authorization: Bearer <key>``.

``SOPDESK_API_KEYS`` maps key → role. ``admin`` is accepted wherever any role is.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import ApiError

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer <key>`")


@dataclass(frozen=True)
class Principal:
    role: str
    key_id: str  # the key's last four characters, enough to tell keys apart in logs


def _lookup(keys: dict[str, str], presented: str) -> str | None:
    # Compare every key in constant time so timing tells nothing about near misses.
    found = None
    for key, role in keys.items():
        if hmac.compare_digest(key.encode(), presented.encode()):
            found = role
    return found


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits the given roles (and ``admin``)."""
    allowed = frozenset((*roles, "admin"))

    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Principal:
        if credentials is None or not credentials.credentials:
            raise ApiError(401, "unauthorized", "Send an API key as 'Authorization: Bearer <key>'.")
        keys: dict[str, str] = request.app.state.settings.api_keys
        role = _lookup(keys, credentials.credentials)
        if role is None:
            raise ApiError(401, "unauthorized", "Unknown API key.")
        if role not in allowed:
            raise ApiError(
                403, "forbidden", f"Role '{role}' may not do this; allowed: {sorted(allowed)}."
            )
        return Principal(role=role, key_id=credentials.credentials[-4:])

    dependency.__doc__ = f"Roles: {', '.join(sorted(allowed))}"
    return dependency
