"""Benchmark of people's credentials: what checking an access token costs per request,
and what a sign-in's password check costs.

Workload (stated so anyone can repeat it):

1. ``--verifications`` (default 20000) checks of one access token with the public
   key (``TokenVerifier.verify``: EdDSA signature, expiry, issuer, audience,
   claims), once checking the signature every time and once as services do,
   remembering a token whose signature checked out and checking only its expiry
   again; CPU time per check.
2. the same number of requests through a FastAPI route guarded by
   ``require_roles`` (in-process ASGI, no network), once with an access token and
   once with an API key: CPU per request, and the difference, which is what a
   token adds to a request.
3. ``--hashes`` (default 20) argon2id password checks at dispatch's cost; CPU each.

    python bench/tokens.py
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import httpx
from fastapi import Depends, FastAPI

from services.dispatch.people.passwords import _hasher
from shared.auth import Principal, require_roles
from shared.tokens import PersonClaims, TokenSigner, TokenVerifier, generate_keypair

PERSON = PersonClaims(
    person_id=uuid.uuid4(),
    login="tech_support-agent-1",
    display_name="技术支持1号",
    roles=frozenset({"agent"}),
    teams=frozenset({"tech_support"}),
    supervises=frozenset(),
)


def verification_cpu(count: int, public: str, token: str, *, remembered: int) -> float:
    verifier = TokenVerifier(public, remembered=remembered)
    verifier.verify(token)
    start = time.process_time()
    for _ in range(count):
        verifier.verify(token)
    return (time.process_time() - start) / count


async def request_cpu(count: int, public: str, token: str) -> tuple[float, float]:
    app = FastAPI()
    app.state.settings = SimpleNamespace(
        api_keys={"bench-agent-key": "agent"}, token_public_key=public, token_leeway_seconds=0.0
    )

    @app.get("/work")
    async def work(principal: Principal = Depends(require_roles("agent"))) -> dict[str, str]:
        return {"who": principal.actor_name}

    transport = httpx.ASGITransport(app=app)
    results = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for credential in (token, "bench-agent-key"):
            headers = {"Authorization": f"Bearer {credential}"}
            assert (await client.get("/work", headers=headers)).status_code == 200
            start = time.process_time()
            for _ in range(count):
                await client.get("/work", headers=headers)
            results.append((time.process_time() - start) / count)
    return results[0], results[1]


def password_cpu(count: int) -> float:
    stored = _hasher.hash("a long passphrase")
    start = time.process_time()
    for _ in range(count):
        _hasher.verify(stored, "a long passphrase")
    return (time.process_time() - start) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verifications", type=int, default=20_000)
    parser.add_argument("--hashes", type=int, default=20)
    args = parser.parse_args()
    private, public = generate_keypair()
    token, _ = TokenSigner(private, timedelta(hours=1)).issue(PERSON)
    cold = verification_cpu(args.verifications, public, token, remembered=0)
    warm = verification_cpu(args.verifications, public, token, remembered=4096)
    requests = max(1, args.verifications // 10)
    with_token, with_key = asyncio.run(request_cpu(requests, public, token))
    password = password_cpu(args.hashes)
    print(f"token check, signature each time: {cold * 1e3:.3f} ms CPU per request")
    print(f"token check, signature remembered: {warm * 1e3:.4f} ms CPU per request")
    print(f"request with a token:             {with_token * 1e3:.3f} ms CPU ({requests} requests)")
    print(f"request with an API key:          {with_key * 1e3:.3f} ms CPU")
    print(f"what the token adds to a request: {(with_token - with_key) * 1e3:.3f} ms CPU")
    print(f"sign-in password check (argon2id): {password * 1e3:.1f} ms CPU")


if __name__ == "__main__":
    main()
