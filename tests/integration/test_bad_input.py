"""Bad input is a 4xx with a stable code on every service and on both stores (issue 16):
NUL characters, non-UTF-8 bodies, NaN and overflowing numbers, dates at the edge of the
calendar, numbers given as date-times, booleans as amounts; a bad body without a key is
a 401; a 405 names every method of the path; the survey form's errors are pages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from testkit import TOKEN_PUBLIC_KEY, person_token, serving

from shared.migrations import upgrade
from sopdesk.catalogue import entry

KEYS = {"admin-key-for-tests-0001": "admin"}
ADMIN = {"Authorization": "Bearer admin-key-for-tests-0001"}


@asynccontextmanager
async def service_client(
    name: str, database_url: str, broker: str, prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    """One service on a migrated store and the real broker, called in process."""
    service = entry(name)
    await asyncio.to_thread(upgrade, service.migrations, database_url)
    settings = service.settings_class(
        database_url=database_url,
        kafka_bootstrap_servers=broker,
        topic_prefix=prefix,
        api_keys=KEYS,
        log_json=False,
        token_public_key=TOKEN_PUBLIC_KEY,
    )
    app = service.create_app(settings)
    async with serving(app) as client:
        yield client


TICKET: dict[str, Any] = {
    "channel": "web_chat",
    "customer": {"name": "张三", "phone": "13812345678"},
    "subject": "账号无法登录",
    "description": "提示密码错误",
}


def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def test_intake_refuses_what_no_store_keeps(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with service_client("intake", database_url, broker, topic_prefix) as client:
        post = client.post
        nul = {**TICKET, "subject": "账号\x00无法登录"}
        assert _code(await post("/v1/tickets", json=nul, headers=ADMIN)) == (422, "invalid_text")
        nested = {**TICKET, "customer": {"name": "张\x00三", "phone": "13812345678"}}
        refused = await post("/v1/tickets", json=nested, headers=ADMIN)
        assert _code(refused) == (422, "invalid_text")
        for number in ("NaN", "Infinity", "1e400"):
            raw = f'{{"channel":"web","subject":"s","metadata":{{"n":{number}}}}}'
            response = await post(
                "/v1/tickets",
                content=raw.encode(),
                headers={**ADMIN, "Content-Type": "application/json"},
            )
            assert _code(response) == (422, "invalid_number"), number
        latin1 = '{"channel":"web","subject":"caf\xe9"}'.encode("latin-1")
        response = await post(
            "/v1/tickets", content=latin1, headers={**ADMIN, "Content-Type": "application/json"}
        )
        assert _code(response) == (422, "invalid_encoding")
        # Without a key, the same bad bodies are a 401: authentication comes first.
        for content in (latin1, b'{"channel": ', b'{"subject": "a\\u0000b"}'):
            response = await post(
                "/v1/tickets", content=content, headers={"Content-Type": "application/json"}
            )
            assert _code(response) == (401, "unauthorized")
        wrong_key = {"Authorization": "Bearer not-a-key", "Content-Type": "application/json"}
        assert _code(await post("/v1/tickets", content=latin1, headers=wrong_key))[0] == 401
        # A number is not a date-time.
        phone = {**TICKET, "channel": "phone", "phone_call": {"call_started_at": 0}}
        response = await post("/v1/tickets", json=phone, headers=ADMIN)
        assert _code(response) == (422, "validation_error")
        response = await client.get("/v1/customers", params={"member_id": "m\x00"}, headers=ADMIN)
        assert _code(response) == (422, "invalid_text")
        # An escaped backslash before u0000 is text, not a NUL: it is stored.
        escaped = (
            rb'{"channel":"web_chat","subject":"C:\\u0000x","description":"d",'
            rb'"customer":{"name":"a","phone":"13812345679"}}'
        )
        response = await post(
            "/v1/tickets",
            content=escaped,
            headers={**ADMIN, "Content-Type": "application/json", "Idempotency-Key": "e1"},
        )
        assert response.status_code == 201, response.text


async def test_dispatch_refuses_nul_in_paths_and_queries_and_booleans_as_amounts(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with service_client("dispatch", database_url, broker, topic_prefix) as client:
        response = await client.get("/v1/teams/a%00b", headers=ADMIN)
        assert _code(response) == (422, "invalid_text")
        response = await client.get("/v1/assignments", params={"team": "a\x00"}, headers=ADMIN)
        assert _code(response) == (422, "invalid_text")
        team = {"id": "night_shift", "name": "夜班\x00", "supervisor": "s"}
        assert _code(await client.post("/v1/teams", json=team, headers=ADMIN))[1] == "invalid_text"
        response = await client.post(
            "/v1/assignments/00000000-0000-0000-0000-000000000001/compensations",
            json={"kind": "refund", "amount": False},
            headers=person_token("zhang", roles=("agent",), teams=("tech_support",)),
        )
        assert _code(response) == (422, "validation_error")
        # A path served by GET and POST names both in Allow.
        response = await client.delete("/v1/teams", headers=ADMIN)
        assert response.status_code == 405
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert {"GET", "POST"} <= allowed


async def test_analytics_refuses_dates_at_the_edge_of_the_calendar(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with service_client("analytics", database_url, broker, topic_prefix) as client:
        for params in (
            {"since": "0001-01-01T00:00:00+14:00"},
            {"until": "9999-12-31T23:59:59-01:00"},
            {"since": "0001-01-01T00:00:00+14:00", "format": "csv"},
        ):
            response = await client.get("/v1/ledger", params=params, headers=ADMIN)
            assert _code(response) == (422, "validation_error"), params
        response = await client.get("/v1/ledger", params={"team": "a\x00"}, headers=ADMIN)
        assert _code(response) == (422, "invalid_text")
        response = await client.get(
            "/v1/metrics/summary", params={"since": "0001-01-01"}, headers=ADMIN
        )
        assert _code(response) == (422, "validation_error")
        weekly = await client.get("/v1/reports/weekly", params={"week": "9999-W52"}, headers=ADMIN)
        assert _code(weekly) == (400, "invalid_week")
        for month in ("0001-01", "9999-12", "1969-12"):
            monthly = await client.get(
                "/v1/reports/monthly", params={"month": month}, headers=ADMIN
            )
            assert _code(monthly) == (400, "invalid_month"), month


async def test_followup_refuses_edge_dates_and_answers_the_survey_form_in_html(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with service_client("followup", database_url, broker, topic_prefix) as client:
        response = await client.get(
            "/v1/callbacks", params={"due_before": "9999-12-31T23:59:59-01:00"}, headers=ADMIN
        )
        assert _code(response) == (422, "validation_error")
        response = await client.get("/v1/callbacks", params={"owner": "a\x00"}, headers=ADMIN)
        assert _code(response) == (422, "invalid_text")
        for form in ({"resolved": "yes", "score": "5", "comment": "好\x00"}, {"score": "x"}):
            page = await client.post("/v1/surveys/not-a-token/form", data=form)
            assert 400 <= page.status_code < 500
            assert page.headers["content-type"].startswith("text/html"), page.text


async def test_triage_refuses_nul_and_edge_dates(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with service_client("triage", database_url, broker, topic_prefix) as client:
        ticket = {"subject": "无法登录", "received_at": "9999-12-31T23:00:00+00:00"}
        response = await client.post("/v1/classify", json=ticket, headers=ADMIN)
        assert _code(response) == (422, "validation_error")
        article = {"title": "退货\x00政策", "answer": "七天无理由"}
        response = await client.post("/v1/kb/articles", json=article, headers=ADMIN)
        assert _code(response) == (422, "invalid_text")
