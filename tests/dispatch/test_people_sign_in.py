"""Accounts and sign-in over HTTP on SQLite and PostgreSQL: first sign-in, wrong passwords,
limits, disabled accounts, refresh and sign-out, forged tokens. Each refusal has a stable
code, never a 500, and changes nothing."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

import httpx
from people_support import ADMIN_KEY, running_dispatch
from testkit import bearer, new_person, person_token, sign_in

from shared.tokens import PersonClaims, TokenSigner, generate_keypair


async def _create(client: httpx.AsyncClient, login: str, **extra: object) -> dict[str, object]:
    body = {"login": login, "display_name": "张伟", "roles": ["agent"], "teams": ["tech_support"]}
    response = await client.post("/v1/people", headers=ADMIN_KEY, json={**body, **extra})
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def _sign_in(client: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    return await client.post("/v1/auth/sign-in", json={"login": login, "password": password})


async def test_a_person_chooses_their_password_at_first_sign_in(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_dispatch(database_url, broker, topic_prefix) as client:
        created = await _create(client, "zhang.wei", temporary_password="temporary-2026")
        person = created["person"]
        assert isinstance(person, dict) and person["must_change_password"] is True
        first = await _sign_in(client, "zhang.wei", "temporary-2026")
        assert (first.status_code, first.json()["code"]) == (403, "password_change_required")
        weak = await client.post(
            "/v1/auth/password",
            json={"login": "zhang.wei", "current_password": "temporary-2026", "new_password": "x"},
        )
        assert (weak.status_code, weak.json()["code"]) == (422, "weak_password")
        changed = await client.post(
            "/v1/auth/password",
            json={
                "login": "zhang.wei",
                "current_password": "temporary-2026",
                "new_password": "my own passphrase",
            },
        )
        assert changed.status_code == 204
        assert (await _sign_in(client, "zhang.wei", "temporary-2026")).status_code == 401
        me = await client.get(
            "/v1/auth/me", headers=await sign_in(client, "zhang.wei", "my own passphrase")
        )
        assert (me.json()["display_name"], me.json()["must_change_password"]) == ("张伟", False)
        # The agent account is the dispatch agent: one id.
        agent = await client.get(f"/v1/agents/{person['id']}", headers=ADMIN_KEY)
        assert (agent.status_code, agent.json()["name"]) == (200, "zhang.wei")
        assert agent.json()["team_key"] == "tech_support"
        again = await client.post(
            "/v1/people",
            headers=ADMIN_KEY,
            json={"login": "zhang.wei", "display_name": "x", "roles": ["viewer"]},
        )
        assert (again.status_code, again.json()["code"]) == (409, "login_taken")


async def test_wrong_passwords_are_401_then_429_with_retry_after(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_dispatch(database_url, broker, topic_prefix) as client:
        await new_person(client, ADMIN_KEY, "li.na", roles=["viewer"])
        unknown = await _sign_in(client, "nobody", "whatever it is")
        assert (unknown.status_code, unknown.json()["code"]) == (401, "invalid_credentials")
        for _ in range(5):
            wrong = await _sign_in(client, "li.na", "not my passphrase")
            assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
        locked = await _sign_in(client, "li.na", "my own passphrase")
        assert (locked.status_code, locked.json()["code"]) == (429, "too_many_attempts")
        assert 1 <= int(locked.headers["Retry-After"]) <= 900


async def test_too_many_failures_from_one_address_are_429(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_dispatch(
        database_url, broker, topic_prefix, sign_in_limit_per_address=3
    ) as client:
        for n in range(3):
            assert (await _sign_in(client, f"guess{n}", "whatever it is")).status_code == 401
        locked = await _sign_in(client, "guess9", "whatever it is")
        assert (locked.status_code, locked.json()["code"]) == (429, "too_many_attempts")
        assert "Retry-After" in locked.headers


async def test_a_disabled_account_cannot_sign_in_or_refresh(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_dispatch(database_url, broker, topic_prefix) as client:
        person, headers = await new_person(client, ADMIN_KEY, "wang.fang", roles=["viewer"])
        signed = await _sign_in(client, "wang.fang", "my own passphrase")
        refresh_token = signed.json()["refresh_token"]
        admin, admin_headers = await new_person(client, ADMIN_KEY, "boss", roles=["admin"])
        not_admin = await client.post(f"/v1/people/{person['id']}/disable", headers=headers)
        assert (not_admin.status_code, not_admin.json()["code"]) == (403, "role_not_allowed")
        disabled = await client.post(f"/v1/people/{person['id']}/disable", headers=admin_headers)
        assert (disabled.status_code, disabled.json()["disabled"]) == (200, True)
        refused = await _sign_in(client, "wang.fang", "my own passphrase")
        assert (refused.status_code, refused.json()["code"]) == (403, "account_disabled")
        renewed = await client.post("/v1/auth/refresh", json={"refresh_token": refresh_token})
        assert (renewed.status_code, renewed.json()["code"]) == (401, "refresh_invalid")
        changes = await client.get(f"/v1/people/{person['id']}/changes", headers=ADMIN_KEY)
        assert [(c["action"], c["actor_name"]) for c in changes.json()] == [
            ("disabled", "boss"),
            ("created", "admin:ad"),
        ]
        assert admin["roles"] == ["admin"]


async def test_refresh_is_single_use_and_sign_out_ends_it(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_dispatch(database_url, broker, topic_prefix) as client:
        await new_person(client, ADMIN_KEY, "zhao.lei", roles=["viewer"])
        first = (await _sign_in(client, "zhao.lei", "my own passphrase")).json()
        renewed = await client.post(
            "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert renewed.status_code == 200 and renewed.json()["expires_in"] == 60
        reused = await client.post(
            "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert (reused.status_code, reused.json()["code"]) == (401, "refresh_invalid")
        second = renewed.json()["refresh_token"]
        out = await client.post("/v1/auth/sign-out", json={"refresh_token": second})
        assert out.status_code == 204
        after = await client.post("/v1/auth/refresh", json={"refresh_token": second})
        assert (after.status_code, after.json()["code"]) == (401, "refresh_invalid")


async def test_forged_tokens_are_401_and_change_nothing(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_dispatch(database_url, broker, topic_prefix) as client:
        other_private, _ = generate_keypair()
        forged = TokenSigner(other_private, timedelta(minutes=5)).issue(
            PersonClaims(
                person_id=uuid.uuid4(),
                login="mallory",
                display_name="mallory",
                roles=frozenset({"admin"}),
                teams=frozenset(),
                supervises=frozenset(),
            )
        )[0]
        good = person_token("mallory", roles=("admin",))["Authorization"].split()[1]
        header, payload, signature = good.split(".")
        none_header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=")
        expired = person_token("mallory", roles=("admin",), ttl=timedelta(seconds=-5))
        cases = {
            "token_invalid": [
                bearer(forged),
                bearer(f"{header}.{payload[:-2]}xy.{signature}"),
                bearer(f"{none_header.decode()}.{payload}."),
                bearer(f"{header}.{payload}.{signature[:-4]}AAAA"),
            ],
            "token_expired": [expired],
            "unauthorized": [bearer("no-such-key"), {}],
        }
        body = {"login": "evil", "display_name": "evil", "roles": ["admin"]}
        for code, headers_list in cases.items():
            for headers in headers_list:
                response = await client.post("/v1/people", headers=headers, json=body)
                assert (response.status_code, response.json()["code"]) == (401, code), headers
        people = (await client.get("/v1/people", headers=ADMIN_KEY)).json()
        assert "evil" not in [p["login"] for p in people]
