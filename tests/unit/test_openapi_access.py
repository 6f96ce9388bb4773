"""Every service's OpenAPI document declares the bearer scheme and says, per route, which
person roles and key scopes may call it (``x-sopdesk-access`` and the description)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from sopdesk.catalogue import SERVICE_NAMES, entry


async def _document(service: str, tmp_path: Path) -> dict[str, Any]:
    svc = entry(service)
    settings = svc.settings_class(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        kafka_bootstrap_servers="127.0.0.1:1",
        log_json=False,
    )
    transport = httpx.ASGITransport(app=svc.create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_each_route_says_who_may_call_it(service: str, tmp_path: Path) -> None:
    document = await _document(service, tmp_path)
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            access = operation["x-sopdesk-access"]
            if access.get("public"):
                assert "security" not in operation, (method, path)
                continue
            assert "admin" in access["roles"], (method, path)
            assert {"bearer": []} in operation["security"], (method, path)
            assert "**Who may call:** People: " in operation["description"], (method, path)


async def test_dispatch_documents_people_and_scopes(tmp_path: Path) -> None:
    paths = (await _document("dispatch", tmp_path))["paths"]
    assert paths["/v1/auth/sign-in"]["post"]["x-sopdesk-access"] == {"public": True}
    assert paths["/v1/people"]["post"]["x-sopdesk-access"] == {"roles": ["admin"], "scopes": []}
    intake = (await _document("intake", tmp_path))["paths"]
    lookup = intake["/v1/customers"]["get"]["x-sopdesk-access"]
    assert "viewer" not in lookup["roles"] and lookup["scopes"] == ["customers:read"]
