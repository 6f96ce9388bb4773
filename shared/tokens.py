"""Signed access tokens for people: EdDSA (Ed25519) JWTs through PyJWT.

Dispatch owns accounts and signs with the private key; every service verifies with the
public key alone, without calling dispatch. Only ``EdDSA`` is accepted, so ``alg: none``
and HMAC tokens forged with the public key as a secret are refused before any claim is read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ALGORITHM = "EdDSA"
ISSUER = "sopdesk-dispatch"
AUDIENCE = "sopdesk"
PERSON_ROLES = ("agent", "supervisor", "admin", "viewer")

# Values that mean "nobody set a key": a service refuses to start on them.
PLACEHOLDERS = frozenset({"", "change-me", "changeme", "placeholder", "replace-me", "secret"})


class TokenRejected(Exception):
    """A token that does not prove who sent it; ``code`` is the stable error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PersonClaims:
    """Who signed in, as the access token says."""

    person_id: uuid.UUID
    login: str
    display_name: str
    roles: frozenset[str]
    teams: frozenset[str]  # the teams the person works in
    supervises: frozenset[str]  # the teams the person supervises
    expires_at: datetime | None = None


def generate_keypair() -> tuple[str, str]:
    """A new Ed25519 key pair as (private PEM, public PEM)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS


def load_public_key(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the token public key must be an Ed25519 key (PEM)")
    return key


def load_private_key(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the token private key must be an Ed25519 key (PEM)")
    return key


class TokenSigner:
    """Issues access tokens (dispatch only)."""

    def __init__(self, private_key_pem: str, ttl: timedelta) -> None:
        self._key = load_private_key(private_key_pem)
        self.ttl = ttl

    def issue(self, person: PersonClaims, *, now: datetime | None = None) -> tuple[str, datetime]:
        issued = now or datetime.now(UTC)
        expires = issued + self.ttl
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(person.person_id),
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
            "login": person.login,
            "name": person.display_name,
            "roles": sorted(person.roles),
            "teams": sorted(person.teams),
            "supervises": sorted(person.supervises),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), expires


class TokenVerifier:
    """Checks an access token with the public key only.

    A person sends the same token with every request for its short life, so a token
    whose signature checked out is remembered (by its exact text) and only its expiry is
    checked again: the signature check is most of the cost (bench/tokens.py)."""

    def __init__(
        self, public_key_pem: str, leeway_seconds: float = 0.0, remembered: int = 4096
    ) -> None:
        self._key = load_public_key(public_key_pem)
        self._leeway = timedelta(seconds=leeway_seconds)
        self._checked = lru_cache(maxsize=remembered)(self._check) if remembered else self._check

    def verify(self, token: str) -> PersonClaims:
        claims = self._checked(token)
        assert claims.expires_at is not None
        if claims.expires_at + self._leeway <= datetime.now(UTC):
            raise TokenRejected("token_expired", "The access token has expired.")
        return claims

    def _check(self, token: str) -> PersonClaims:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("token_expired", "The access token has expired.") from None
        except jwt.PyJWTError:
            raise TokenRejected("token_invalid", "The access token is not valid.") from None
        try:
            return PersonClaims(
                person_id=uuid.UUID(claims["sub"]),
                login=str(claims["login"]),
                display_name=str(claims["name"]),
                roles=frozenset(r for r in claims["roles"] if r in PERSON_ROLES),
                teams=frozenset(str(t) for t in claims["teams"]),
                supervises=frozenset(str(t) for t in claims["supervises"]),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            )
        except (KeyError, TypeError, ValueError):
            raise TokenRejected("token_invalid", "The access token lacks its claims.") from None


def looks_like_jwt(credential: str) -> bool:
    """Tokens are three base64url parts; API keys never contain a dot."""
    return credential.count(".") == 2
