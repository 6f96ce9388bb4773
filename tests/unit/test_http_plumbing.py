"""API keys and roles, JSON errors and correlation ids, on a tiny app with the shared plumbing."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from shared.auth import Principal, require_roles
from shared.errors import ApiError, not_found
from shared.http import install_plumbing
from shared.observability import (
    CORRELATION_HEADER,
    ServiceMetrics,
    configure_logging,
    correlation_id_var,
)
from shared.settings import ServiceSettings

KEYS = {
    "key-agent-0001": "agent",
    "key-viewer-0002": "viewer",
    "key-admin-0003": "admin",
    "key-super-0004": "supervisor",
}


class Body(BaseModel):
    subject: str = Field(min_length=1)
    count: int


def build_app() -> FastAPI:
    app = FastAPI()
    install_plumbing(app, ServiceSettings(api_keys=KEYS), ServiceMetrics("unit"))

    @app.get("/agent-work")
    async def agent_work(who: Principal = Depends(require_roles("agent", "supervisor"))) -> dict:
        return {"role": who.role, "key_id": who.key_id}

    @app.post("/items")
    async def items(body: Body) -> dict:
        return {"ok": True}

    @app.get("/tickets/{ticket_id}")
    async def ticket(ticket_id: uuid.UUID) -> dict:
        raise not_found("ticket", ticket_id)

    @app.get("/conflict")
    async def conflict() -> dict:
        raise ApiError(409, "already_resolved", "The ticket is resolved.", {"status": "resolved"})

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("secret internals")

    @app.get("/page", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse("<!doctype html><p>hi</p>")

    @app.post("/page")
    async def post_page() -> dict:
        return {}

    @app.get("/cid")
    async def cid() -> dict:
        return {"cid": str(correlation_id_var.get())}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://unit") as http:
        yield http


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_no_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/agent-work")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/agent-work", headers=bearer("key-agent-0001x"))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_malformed_authorization_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/agent-work", headers={"Authorization": "Basic key-agent-0001"})
    assert response.status_code == 401


async def test_wrong_role_is_403(client: httpx.AsyncClient) -> None:
    response = await client.get("/agent-work", headers=bearer("key-viewer-0002"))
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "forbidden"
    assert "viewer" in body["message"]


@pytest.mark.parametrize(
    ("key", "role"),
    [("key-agent-0001", "agent"), ("key-super-0004", "supervisor"), ("key-admin-0003", "admin")],
)
async def test_allowed_roles_and_admin_pass(client: httpx.AsyncClient, key: str, role: str) -> None:
    response = await client.get("/agent-work", headers=bearer(key))
    assert response.status_code == 200
    assert response.json() == {"role": role, "key_id": key[-4:]}


async def test_validation_error_is_json_with_a_code(client: httpx.AsyncClient) -> None:
    response = await client.post("/items", json={"subject": "", "count": "many"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["message"]
    assert {tuple(d["loc"]) for d in body["details"]} == {
        ("body", "subject"),
        ("body", "count"),
    }

    response = await client.post(
        "/items", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_api_errors_and_http_errors_keep_their_code(client: httpx.AsyncClient) -> None:
    ticket_id = uuid.uuid4()
    response = await client.get(f"/tickets/{ticket_id}")
    assert response.status_code == 404
    assert response.json()["code"] == "ticket_not_found"
    assert str(ticket_id) in response.json()["message"]

    response = await client.get("/conflict")
    assert response.status_code == 409
    assert response.json() == {
        "code": "already_resolved",
        "message": "The ticket is resolved.",
        "details": {"status": "resolved"},
        "correlation_id": response.headers[CORRELATION_HEADER],
    }

    assert (await client.get("/no-such-route")).json()["code"] == "not_found"
    assert (await client.delete("/conflict")).json()["code"] == "method_not_allowed"


async def test_unexpected_error_is_a_json_500_without_internals(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "secret" not in response.text


async def test_correlation_id_is_taken_from_the_request_or_made_up(
    client: httpx.AsyncClient,
) -> None:
    cid = uuid.uuid4()
    response = await client.get("/cid", headers={CORRELATION_HEADER: str(cid)})
    assert response.headers[CORRELATION_HEADER] == str(cid)
    assert response.json() == {"cid": str(cid)}

    response = await client.get("/cid", headers={CORRELATION_HEADER: "not-a-uuid"})
    made_up = response.headers[CORRELATION_HEADER]
    assert made_up != "not-a-uuid"
    assert response.json() == {"cid": str(uuid.UUID(made_up))}


async def test_health_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "service": "service"}
    await client.get("/agent-work")
    metrics = (await client.get("/metrics")).text
    assert (
        'sopdesk_http_requests_total{method="GET",route="/agent-work",service="unit",status="401"}'
        in metrics
    )


async def test_an_unexpected_error_and_its_log_line_share_the_correlation_id(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("unit")
    cid = uuid.uuid4()
    response = await client.get("/boom", headers={CORRELATION_HEADER: str(cid)})
    assert response.status_code == 500
    assert response.headers[CORRELATION_HEADER] == str(cid)
    assert response.json()["correlation_id"] == str(cid)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    error = next(line for line in lines if line["event"] == "unhandled_error")
    assert error["correlation_id"] == str(cid)
    assert "secret internals" in error["exception"]  # the log has what the answer hides


async def test_one_log_line_per_request_names_route_status_duration_and_principal(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("unit")
    cid = uuid.uuid4()
    headers = {**bearer("key-agent-0001"), CORRELATION_HEADER: str(cid)}
    assert (await client.get("/agent-work", headers=headers)).status_code == 200
    await client.get("/healthz")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    requests = [line for line in lines if line["event"] == "request"]
    assert len(requests) == 1, requests  # probes log at DEBUG
    (line,) = requests
    assert line["method"] == "GET"
    assert line["route"] == "/agent-work"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["principal"] == "key:agent:0001"
    assert line["correlation_id"] == str(cid)
    assert "key-agent" not in json.dumps(lines)


async def test_pages_carry_browser_protections(client: httpx.AsyncClient) -> None:
    page = await client.get("/page")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    answer = await client.get("/cid")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in answer.headers


async def test_405_names_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    response = await client.delete("/page")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
