"""API keys and roles, JSON errors and correlation ids, on a tiny app with the shared plumbing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field

from shared.auth import Principal, require_roles
from shared.errors import ApiError, not_found
from shared.http import install_plumbing
from shared.observability import CORRELATION_HEADER, ServiceMetrics, correlation_id_var
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
