"""Access tokens: EdDSA only, checked with the public key alone; every forgery refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from testkit import TOKEN_PRIVATE_KEY, TOKEN_PUBLIC_KEY

from services.dispatch.people import domain
from services.dispatch.settings import DispatchSettings
from shared.settings import ServiceSettings, token_key_problem
from shared.tokens import (
    PersonClaims,
    TokenRejected,
    TokenSigner,
    TokenVerifier,
    generate_keypair,
    load_private_key,
)

PERSON = PersonClaims(
    person_id=uuid.uuid4(),
    login="zhang.wei",
    display_name="张伟",
    roles=frozenset({"agent"}),
    teams=frozenset({"tech_support"}),
    supervises=frozenset(),
)
SIGNER = TokenSigner(TOKEN_PRIVATE_KEY, timedelta(minutes=1))
VERIFIER = TokenVerifier(TOKEN_PUBLIC_KEY)


def _code(token: str) -> str:
    with pytest.raises(TokenRejected) as caught:
        VERIFIER.verify(token)
    return caught.value.code


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_signed_token_names_the_person() -> None:
    token, expires = SIGNER.issue(PERSON)
    claims = VERIFIER.verify(token)
    assert (claims.person_id, claims.display_name, claims.roles, claims.teams) == (
        PERSON.person_id,
        "张伟",
        frozenset({"agent"}),
        frozenset({"tech_support"}),
    )
    assert claims.expires_at == expires.replace(microsecond=0)
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"


def test_an_expired_token_is_refused() -> None:
    token, _ = SIGNER.issue(PERSON, now=datetime.now(UTC) - timedelta(minutes=2))
    assert _code(token) == "token_expired"


def test_a_tampered_token_is_refused() -> None:
    token, _ = SIGNER.issue(PERSON)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["admin"]
    assert _code(f"{header}.{_b64(claims)}.{signature}") == "token_invalid"


def test_a_token_signed_with_another_key_is_refused() -> None:
    other_private, _other_public = generate_keypair()
    token, _ = TokenSigner(other_private, timedelta(minutes=1)).issue(PERSON)
    assert _code(token) == "token_invalid"


def test_alg_none_is_refused() -> None:
    token, _ = SIGNER.issue(PERSON)
    payload = token.split(".")[1]
    assert _code(f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.") == "token_invalid"


def test_hmac_with_the_public_key_as_secret_is_refused() -> None:
    # The classic confusion attack: sign HS256 with the (public) verification key.
    token, _ = SIGNER.issue(PERSON)
    claims = jwt.decode(token, options={"verify_signature": False})
    header = _b64({"alg": "HS256", "typ": "JWT"})
    body = _b64(claims)
    mac = hmac.new(TOKEN_PUBLIC_KEY.encode(), f"{header}.{body}".encode(), hashlib.sha256)
    sig = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
    assert _code(f"{header}.{body}.{sig}") == "token_invalid"


def test_a_token_without_its_claims_or_for_another_audience_is_refused() -> None:
    key = load_private_key(TOKEN_PRIVATE_KEY)
    now = int(datetime.now(UTC).timestamp())
    base = {"iss": "sopdesk-dispatch", "aud": "sopdesk", "sub": str(uuid.uuid4()), "iat": now}
    assert _code(jwt.encode({**base, "exp": now + 60}, key, algorithm="EdDSA")) == "token_invalid"
    other = {**base, "aud": "elsewhere", "exp": now + 60, "login": "x", "name": "x"}
    assert _code(jwt.encode(other, key, algorithm="EdDSA")) == "token_invalid"
    assert _code("not.a.token") == "token_invalid"


def test_services_refuse_to_start_without_real_keys() -> None:
    assert "PUBLIC_KEY is missing" in (token_key_problem(ServiceSettings()) or "")
    with pytest.raises(ValueError, match="placeholder"):
        ServiceSettings(token_public_key="change-me")
    assert token_key_problem(ServiceSettings(token_public_key=TOKEN_PUBLIC_KEY)) is None
    only_public = DispatchSettings(token_public_key=TOKEN_PUBLIC_KEY)
    assert "PRIVATE_KEY is missing" in (token_key_problem(only_public) or "")
    other_private, _ = generate_keypair()
    mismatched = DispatchSettings(
        token_public_key=TOKEN_PUBLIC_KEY, token_private_key=other_private
    )
    assert "does not match" in (token_key_problem(mismatched) or "")
    matched = DispatchSettings(
        token_public_key=TOKEN_PUBLIC_KEY, token_private_key=TOKEN_PRIVATE_KEY
    )
    assert token_key_problem(matched) is None
    assert "not usable" in (token_key_problem(ServiceSettings(token_public_key="-----BEGIN")) or "")


def test_failed_sign_ins_lock_until_the_oldest_leaves_the_window() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    window = timedelta(minutes=15)
    failures = [now - timedelta(minutes=m) for m in (20, 10, 8, 6, 4, 2)]
    assert domain.retry_after(failures[:4], limit=5, window=window, now=now) is None
    # Five within the window: wait until the one 10 minutes ago is 15 minutes old.
    assert domain.retry_after(failures, limit=5, window=window, now=now) == 300
