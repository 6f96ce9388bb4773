"""Survey links: signed, expiring, single-use tokens (pure functions, no I/O).

A token is ``base64url(survey id ‖ expiry ‖ HMAC-SHA256(secret, id ‖ expiry)[:16])``.
The signature proves follow-up issued it and the expiry travels inside, so a forged or
altered token is refused before the database is asked; follow-up's store keeps only a
SHA-256 of the token and marks the survey answered, which makes the link single-use.

Follow-up announces a survey by its id and expiry only; intake, which delivers the
message, signs the link with the same ``SOPDESK_SURVEY_SECRET``. So the link travels
only on the notifications topic the gateways read, never on ``sopdesk.followup``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from datetime import UTC, datetime

_SIGNATURE_BYTES = 16
_PAYLOAD_BYTES = 16 + 8


class InvalidToken(ValueError):
    """Not a token follow-up issued (malformed, or the signature does not match)."""


def _sign(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def make_token(secret: bytes, survey_id: uuid.UUID, expires_at: datetime) -> str:
    payload = survey_id.bytes + int(expires_at.timestamp()).to_bytes(8, "big")
    raw = payload + _sign(secret, payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def read_token(secret: bytes, token: str) -> tuple[uuid.UUID, datetime]:
    """The survey id and expiry a genuine token carries; raises :class:`InvalidToken`."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("not a survey token") from exc
    if len(raw) != _PAYLOAD_BYTES + _SIGNATURE_BYTES:
        raise InvalidToken("not a survey token")
    payload, signature = raw[:_PAYLOAD_BYTES], raw[_PAYLOAD_BYTES:]
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise InvalidToken("bad signature")
    expires = datetime.fromtimestamp(int.from_bytes(payload[16:], "big"), UTC)
    return uuid.UUID(bytes=payload[:16]), expires


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_link(base_url: str, secret: bytes, survey_id: uuid.UUID, expires_at: datetime) -> str:
    """The link a customer opens: ``base_url`` followed by the signed token."""
    return base_url.rstrip("/") + "/" + make_token(secret, survey_id, expires_at)
