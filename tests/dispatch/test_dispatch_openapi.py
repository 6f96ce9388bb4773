"""Dispatch's OpenAPI document: every body has examples, actions document who acts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from services.dispatch.app import create_app
from services.dispatch.settings import DispatchSettings


async def _document(tmp_path: Path) -> dict[str, Any]:
    settings = DispatchSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        kafka_bootstrap_servers="127.0.0.1:1",
        log_json=False,
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


async def test_routes_document_examples_and_the_acting_party(tmp_path: Path) -> None:
    document = await _document(tmp_path)
    schemas = document["components"]["schemas"]
    paths = document["paths"]
    actions = [
        "accept",
        "progress",
        "waiting_on_customer",
        "resume",
        "transfer",
        "escalate",
        "resolve",
        "visit",
        "compensations",
    ]
    for action in actions:
        operation = paths[f"/v1/assignments/{{assignment_id}}/{action}"]["post"]
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        # The signed-in agent acts; only a key an admin allowed names a person.
        assert headers == {"X-On-Behalf-Of"}, action
        assert {"401", "403", "404", "409", "422"} <= set(operation["responses"]), action
        assert operation["x-sopdesk-access"]["scopes"] == ["people:act-for"], action
        assert "signed-in agent" in operation["description"], action
    for path in ("/v1/compensations/{compensation_id}/approve", "/v1/agents"):
        operation = paths[path]["post"]
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "X-Supervisor" not in headers, path
        assert operation["x-sopdesk-access"]["roles"] == ["admin", "supervisor"], path
    assert "/v1/supervisor/inbox" in paths and "/v1/queue" in paths
    for path, operations in paths.items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if not body:
                continue
            schema = body["content"]["application/json"]["schema"]
            ref = schema.get("$ref") or next(
                (s["$ref"] for s in schema.get("anyOf", []) if "$ref" in s), None
            )
            assert ref, (method, path)
            model = schemas[ref.rsplit("/", 1)[1]]
            assert model.get("examples"), f"{method} {path}: body has no examples"
