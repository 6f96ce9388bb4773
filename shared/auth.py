"""Who is calling: a person with an access token, or an integration with an API key.

``Authorization: Bearer <credential>`` carries either an API key from ``SOPDESK_API_KEYS``
(integrations: gateways, team systems, operations) or a person's access token signed by
dispatch (``shared/tokens.py``), verified here with the public key alone.

A route admits person roles and key scopes (``require_roles``); ``admin`` is accepted
wherever any role is. Keys of the older form ``key → role`` keep working for reads with
their role; acting as a person (an agent's work, a supervisor's decision) needs a person.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import ApiError
from shared.tokens import PersonClaims, TokenRejected, TokenVerifier, looks_like_jwt

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT or API key",
    description=(
        "`Authorization: Bearer <credential>`: a person's access token from dispatch's"
        " `POST /v1/auth/sign-in` (EdDSA JWT), or an integration's API key."
    ),
)

# Roles in the order that names a person's main role.
ROLE_RANK = ("admin", "supervisor", "agent", "viewer")

# What a key of the older ``key → role`` form may do, as scopes.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "gateway": frozenset(
        {"tickets:write", "tickets:read", "customers:read", "customers:write", "kb:read"}
    ),
    "agent": frozenset({"assignments:read", "tickets:read"}),
    "supervisor": frozenset({"assignments:read", "tickets:read", "figures:read"}),
    "viewer": frozenset({"figures:read"}),
    "admin": frozenset({"*"}),
}


@dataclass(frozen=True)
class ApiKey:
    name: str
    role: str  # the older form's role; "integration" for a key with scopes only
    scopes: frozenset[str]


@dataclass(frozen=True)
class Principal:
    role: str  # the key's role, or the person's main role
    key_id: str  # a key's last four characters, or the person's login (for logs)
    name: str = ""  # a key's name (older keys: role and last four characters)
    person: PersonClaims | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # A key acting for ``person`` under an admin's grant (dispatch's X-On-Behalf-Of).
    via: str | None = None

    @property
    def roles(self) -> frozenset[str]:
        return self.person.roles if self.person else frozenset({self.role})

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def person_id(self) -> uuid.UUID | None:
        return self.person.person_id if self.person else None

    @property
    def actor(self) -> str:
        """Who acted, for audit: ``person:<id>`` or ``key:<name>``."""
        if self.person is None:
            return f"key:{self.name}"
        via = f" via key:{self.via}" if self.via else ""
        return f"person:{self.person.person_id}{via}"

    @property
    def actor_name(self) -> str:
        """Who acted, as people read it: the display name or the key's name."""
        if self.person is None:
            return self.name
        return f"{self.person.display_name} ({self.via})" if self.via else self.person.display_name

    def supervises(self, team: str) -> bool:
        return self.is_admin or (self.person is not None and team in self.person.supervises)

    def works_in(self, team: str) -> bool:
        return self.person is not None and team in self.person.teams

    def has_scope(self, scope: str) -> bool:
        return "*" in self.scopes or scope in self.scopes

    @property
    def log_name(self) -> str:
        """Who called, in the request's log line: a person's login or a key's name."""
        return f"person:{self.key_id}" if self.person else f"key:{self.name}"


def parse_api_keys(raw: dict[str, Any]) -> dict[str, ApiKey]:
    """``key → role`` (older form) or ``key → {"name", "scopes", "role"?}``."""
    keys: dict[str, ApiKey] = {}
    for secret, spec in raw.items():
        if isinstance(spec, str):
            keys[secret] = ApiKey(f"{spec}:{secret[-4:]}", spec, ROLE_SCOPES.get(spec, frozenset()))
        else:
            role = str(spec.get("role", "integration"))
            scopes = frozenset(spec.get("scopes", ())) | ROLE_SCOPES.get(role, frozenset())
            keys[secret] = ApiKey(str(spec["name"]), role, scopes)
    return keys


def main_role(roles: Iterable[str]) -> str:
    held = set(roles)
    return next((r for r in ROLE_RANK if r in held), "viewer")


@lru_cache(maxsize=8)
def _verifier(public_key_pem: str, leeway: float) -> TokenVerifier:
    return TokenVerifier(public_key_pem, leeway)


def _lookup(keys: dict[str, ApiKey], presented: str) -> ApiKey | None:
    # Compare every key in constant time so timing tells nothing about near misses.
    found = None
    for secret, key in keys.items():
        if hmac.compare_digest(secret.encode(), presented.encode()):
            found = key
    return found


def _key_table(request: Request) -> dict[str, ApiKey]:
    """The configured keys, parsed once per app (and again if the settings change)."""
    settings = request.app.state.settings
    cached = getattr(request.app.state, "api_key_table", None)
    if cached is None or cached[0] is not settings.api_keys:
        cached = (settings.api_keys, parse_api_keys(settings.api_keys))
        request.app.state.api_key_table = cached
    table: dict[str, ApiKey] = cached[1]
    return table


def authenticate(request: Request, credential: str) -> Principal:
    """The caller behind a credential, or a 401 with a stable code."""
    settings = request.app.state.settings
    key = _lookup(_key_table(request), credential)
    if key is not None:
        return Principal(role=key.role, key_id=credential[-4:], name=key.name, scopes=key.scopes)
    if not looks_like_jwt(credential):
        raise ApiError(401, "unauthorized", "Unknown API key.")
    public_key: str = getattr(settings, "token_public_key", "")
    if not public_key.strip():
        raise ApiError(401, "token_invalid", "This service has no token key configured.")
    try:
        person = _verifier(public_key, settings.token_leeway_seconds).verify(credential)
    except TokenRejected as exc:
        raise ApiError(401, exc.code, exc.message) from None
    return Principal(
        role=main_role(person.roles), key_id=person.login, name=person.login, person=person
    )


def authentication_failure(request: Request) -> ApiError | None:
    """The 401 a request without a valid credential gets (None when it has one); the
    input guard asks this before refusing a body, so a bad body never answers first."""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return ApiError(401, "unauthorized", "Send a credential as 'Authorization: Bearer <key>'.")
    try:
        authenticate(request, presented.strip())
    except ApiError as failure:
        return failure
    return None


def require_roles(*roles: str, scopes: Iterable[str] = ()) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits people with one of ``roles`` (and admins), keys of the
    older form with one of ``roles``, and keys holding one of ``scopes``."""
    allowed = frozenset((*roles, "admin"))
    wanted = frozenset(scopes)

    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Principal:
        if credentials is None or not credentials.credentials:
            raise ApiError(
                401, "unauthorized", "Send 'Authorization: Bearer <access token or API key>'."
            )
        principal = authenticate(request, credentials.credentials)
        request.state.principal = principal  # named in the request's log line
        if principal.person is not None:
            if not principal.roles & allowed:
                raise ApiError(
                    403,
                    "role_not_allowed",
                    f"Roles {sorted(principal.roles)} may not do this; allowed: {sorted(allowed)}.",
                )
            return principal
        if principal.role in allowed or any(principal.has_scope(s) for s in wanted):
            return principal
        raise ApiError(
            403,
            "forbidden",
            f"Key '{principal.name}' (role '{principal.role}') may not do this;"
            f" roles {sorted(allowed)}" + (f" or scopes {sorted(wanted)}" if wanted else "") + ".",
        )

    access = {"roles": sorted(allowed), "scopes": sorted(wanted)}
    dependency.__doc__ = f"Roles: {', '.join(access['roles'])}; scopes: {access['scopes']}"
    dependency.sopdesk_access = access  # type: ignore[attr-defined]
    return dependency


def require_person(principal: Principal) -> PersonClaims:
    """The signed-in person; a key may not stand in for one (403 person_required)."""
    if principal.person is None:
        raise ApiError(
            403,
            "person_required",
            "Only a signed-in person may do this: sign in with POST /v1/auth/sign-in.",
        )
    return principal.person


def document_access(app: FastAPI) -> None:
    """Write each route's roles and scopes into its OpenAPI operation (``x-sopdesk-access``
    and a line of its description), so the documents say who may call what."""
    from fastapi.openapi.utils import get_openapi
    from fastapi.routing import APIRoute, iter_route_contexts

    def _access_of(route: APIRoute) -> dict[str, list[str]] | None:
        stack = list(route.dependant.dependencies)
        while stack:
            dep = stack.pop()
            access = getattr(dep.call, "sopdesk_access", None)
            if access is not None:
                return dict(access)
            stack.extend(dep.dependencies)
        return None

    def _api_routes(app: FastAPI) -> list[tuple[APIRoute, str, set[str]]]:
        # Routers are included lazily (FastAPI 0.165): walk the effective route contexts,
        # which carry the prefixes, as FastAPI's own OpenAPI does.
        found = []
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if isinstance(route, APIRoute):
                path_format = getattr(context, "path_format", route.path_format)
                methods = set(getattr(context, "methods", None) or route.methods or ())
                found.append((route, path_format, methods))
        return found

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for route, path_format, methods in _api_routes(app):
            access = _access_of(route)
            path = document.get("paths", {}).get(path_format, {})
            for method in methods:
                operation = path.get(method.lower())
                if operation is None:
                    continue
                if access is None:
                    operation["x-sopdesk-access"] = {"public": True}
                    continue
                operation["x-sopdesk-access"] = access
                who = f"People: {', '.join(access['roles'])}." + (
                    f" Keys with scope: {', '.join(access['scopes'])}." if access["scopes"] else ""
                )
                described = operation.get("description", "")
                operation["description"] = f"{described}\n\n**Who may call:** {who}".strip()
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
