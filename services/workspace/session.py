"""Who is signed in: dispatch's tokens in one HttpOnly, SameSite cookie, renewed before they
expire, and the CSRF token every form carries.

The cookie holds ``{"a": access token, "r": refresh token, "n": nonce}`` (base64url JSON).
The access token is checked here with dispatch's public key (the claims name the person,
their roles and teams); an access token about to expire is renewed with the refresh token
(single-use: concurrent requests of one browser share one renewal). The CSRF token is an
HMAC of the nonce, which only the HttpOnly cookie holds, so another site can neither read
nor forge it; a form without the right one is refused (403 ``csrf_failed``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from services.workspace.clients import ServiceClients, ServiceProblem
from services.workspace.settings import WorkspaceSettings
from shared.asgi import HttpMiddleware
from shared.auth import main_role
from shared.tokens import TokenRejected, TokenVerifier

# An access token closer than this to its end is renewed before the page calls a service.
RENEW_BEFORE = timedelta(seconds=15)
# A renewal is remembered this long, for the other requests that carried the old token.
_SHARED_RENEWAL_SECONDS = 30.0


@dataclass(frozen=True)
class SignedInPerson:
    """The person behind a request, as their access token says, with the token to act on
    their behalf at the services."""

    id: uuid.UUID
    login: str
    display_name: str
    roles: frozenset[str]
    teams: frozenset[str]
    supervises: frozenset[str]
    token: str

    @property
    def role(self) -> str:
        """The main role (admin > supervisor > agent > viewer)."""
        return main_role(self.roles)

    def has_role(self, *roles: str) -> bool:
        return "admin" in self.roles or bool(self.roles & set(roles))


@dataclass
class SessionCookie:
    access: str = ""
    refresh: str = ""
    nonce: str = ""

    def encode(self) -> str:
        raw = json.dumps({"a": self.access, "r": self.refresh, "n": self.nonce})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str | None) -> SessionCookie:
        if not value:
            return cls()
        try:
            padded = value + "=" * (-len(value) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
            return cls(str(data.get("a", "")), str(data.get("r", "")), str(data.get("n", "")))
        except (ValueError, TypeError, AttributeError):
            return cls()


class NotSignedIn(Exception):
    """The request needs a signed-in person; the app sends the browser to sign in."""


class CsrfFailed(Exception):
    """A form without this session's CSRF token."""


class Sessions:
    """Reads and renews sessions for one app (made in its lifespan)."""

    def __init__(self, settings: WorkspaceSettings, clients: ServiceClients) -> None:
        self.settings = settings
        self.clients = clients
        self.verifier = TokenVerifier(settings.token_public_key, settings.token_leeway_seconds)
        self._secret = settings.workspace_secret.get_secret_value().encode()
        self._renewals: dict[str, tuple[float, dict[str, Any]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    # ------------------------------------------------------------------ cookie

    def cookie_of(self, request: Request) -> SessionCookie:
        cached: SessionCookie | None = getattr(request.state, "session_cookie", None)
        if cached is not None:
            return cached
        return SessionCookie.decode(request.cookies.get(self.settings.cookie_name))

    def keep(self, request: Request, cookie: SessionCookie) -> None:
        """Send this cookie with the response (SessionCookieWriter sets the header)."""
        request.state.session_cookie = cookie
        request.state.session_cookie_changed = True

    def set_cookie_header(self, cookie: SessionCookie | None) -> str:
        name = self.settings.cookie_name
        secure = "; Secure" if self.settings.cookie_secure else ""
        if cookie is None or not (cookie.refresh or cookie.nonce):
            return f"{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"
        return f"{name}={cookie.encode()}; Path=/; HttpOnly; SameSite=Lax{secure}"

    def ensure_nonce(self, request: Request) -> SessionCookie:
        cookie = self.cookie_of(request)
        if not cookie.nonce:
            cookie = SessionCookie(cookie.access, cookie.refresh, secrets.token_urlsafe(18))
            self.keep(request, cookie)
        return cookie

    # ------------------------------------------------------------------ CSRF

    def csrf_token(self, request: Request) -> str:
        nonce = self.ensure_nonce(request).nonce
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    async def form(self, request: Request) -> dict[str, str]:
        """The URL-encoded form (first value per field) after checking its CSRF token."""
        body = await request.body()
        fields = {
            key: values[0]
            for key, values in parse_qs(
                body.decode("utf-8", errors="replace"), keep_blank_values=True
            ).items()
        }
        presented = fields.pop("csrf_token", "") or request.headers.get("x-csrf-token", "")
        cookie = self.cookie_of(request)
        expected = (
            hmac.new(self._secret, cookie.nonce.encode(), hashlib.sha256).hexdigest()[:32]
            if cookie.nonce
            else ""
        )
        if not expected or not hmac.compare_digest(presented, expected):
            raise CsrfFailed()
        return {key: value.replace("\x00", "") for key, value in fields.items()}

    # ------------------------------------------------------------------ the person

    def start(self, request: Request, tokens: dict[str, Any]) -> SignedInPerson:
        """A fresh sign-in: keep the tokens (a new nonce, so an old form is void)."""
        cookie = SessionCookie(
            tokens["access_token"], tokens["refresh_token"], secrets.token_urlsafe(18)
        )
        self.keep(request, cookie)
        return self._person(cookie.access)

    def end(self, request: Request) -> str:
        """Forget the session; the refresh token to revoke at dispatch, if any."""
        refresh = self.cookie_of(request).refresh
        self.keep(request, SessionCookie())
        return refresh

    def _person(self, access: str) -> SignedInPerson:
        claims = self.verifier.verify(access)
        return SignedInPerson(
            id=claims.person_id,
            login=claims.login,
            display_name=claims.display_name,
            roles=claims.roles,
            teams=claims.teams,
            supervises=claims.supervises,
            token=access,
        )

    def _fresh_enough(self, access: str) -> SignedInPerson | None:
        try:
            claims = self.verifier.verify(access)
        except TokenRejected:
            return None
        assert claims.expires_at is not None
        if claims.expires_at - datetime.now(UTC) < RENEW_BEFORE:
            return None
        return self._person(access)

    async def _renew(self, refresh: str) -> dict[str, Any]:
        """New tokens for ``refresh``, once: a concurrent or repeated use gets the same."""
        now = time.monotonic()
        for key, (at, _) in list(self._renewals.items()):
            if now - at > _SHARED_RENEWAL_SECONDS:
                del self._renewals[key]
                self._locks.pop(key, None)
        key = hashlib.sha256(refresh.encode()).hexdigest()
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            remembered = self._renewals.get(key)
            if remembered is not None:
                return remembered[1]
            tokens = await self.clients.refresh(refresh)
            self._renewals[key] = (time.monotonic(), tokens)
            return tokens

    async def person(self, request: Request) -> SignedInPerson | None:
        """The signed-in person, renewing their tokens when needed; None if nobody is."""
        found: SignedInPerson | None = getattr(request.state, "person", None)
        if found is not None:
            return found
        cookie = self.cookie_of(request)
        if not cookie.refresh:
            return None
        person = self._fresh_enough(cookie.access) if cookie.access else None
        if person is None:
            try:
                tokens = await self._renew(cookie.refresh)
            except ServiceProblem as problem:
                if problem.status in (401, 403):
                    self.keep(request, SessionCookie(nonce=cookie.nonce))
                    return None
                raise
            cookie = SessionCookie(tokens["access_token"], tokens["refresh_token"], cookie.nonce)
            self.keep(request, cookie)
            try:
                person = self._person(cookie.access)
            except TokenRejected:
                return None
        request.state.person = person
        return person


def sessions_of(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


async def signed_in(request: Request) -> SignedInPerson:
    """Dependency: the signed-in person, or the browser is sent to the sign-in page."""
    person = await sessions_of(request).person(request)
    if person is None:
        raise NotSignedIn()
    return person


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request"):
        target = request.headers.get("hx-current-url", "/") or "/"
        # HX-Current-URL is absolute; keep only this site's path.
        target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
    return f"/sign-in?next={quote(target, safe='/')}"


class SessionCookieWriter(HttpMiddleware):
    """Pure ASGI middleware: a route that changed the session (sign-in, renewal, sign-out)
    gets the cookie set on its response."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                if state.get("session_cookie_changed"):
                    sessions: Sessions = scope["app"].state.sessions
                    headers = MutableHeaders(scope=message)
                    cookie = sessions.set_cookie_header(state["session_cookie"])
                    headers.append("Set-Cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)
