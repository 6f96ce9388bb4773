"""Each service's HTTP surface through its app factory: health, readiness, who may call
every route, and an OpenAPI document that lists every route with its errors. The
lifespan starts one service runtime (producer, relay, consumer) against the session's
local broker. (Intake's own requests are in tests/intake/test_intake_http.py.)
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from testkit import ServiceStore as Store
from testkit import migrated_store as migrated
from testkit import on_test_broker, ready_checks, serving

from services.analytics.app import MIGRATIONS as ANALYTICS_MIGRATIONS
from services.analytics.app import create_app as create_analytics
from services.analytics.models import BUS as ANALYTICS_BUS
from services.analytics.settings import AnalyticsSettings
from services.dispatch.app import MIGRATIONS as DISPATCH_MIGRATIONS
from services.dispatch.app import create_app as create_dispatch
from services.dispatch.models import BUS as DISPATCH_BUS
from services.dispatch.settings import DispatchSettings
from services.followup.app import MIGRATIONS as FOLLOWUP_MIGRATIONS
from services.followup.app import create_app as create_followup
from services.followup.models import BUS as FOLLOWUP_BUS
from services.followup.settings import FollowupSettings
from services.intake.app import MIGRATIONS as INTAKE_MIGRATIONS
from services.intake.app import create_app as create_intake
from services.intake.models import BUS as INTAKE_BUS
from services.intake.settings import IntakeSettings
from services.triage.app import MIGRATIONS as TRIAGE_MIGRATIONS
from services.triage.app import create_app as create_triage
from services.triage.models import BUS as TRIAGE_BUS
from services.triage.settings import TriageSettings
from shared.auth import require_roles
from shared.settings import ROLES, ServiceSettings

# --------------------------------------------------------------------------- HTTP

KEYS = {"gw": "gateway", "sv": "supervisor", "ag": "agent", "vw": "viewer"}
GATEWAY = {"Authorization": "Bearer gw"}
SUPERVISOR = {"Authorization": "Bearer sv"}

# Each service's routers: every /v1 route it serves.
APPS: dict[str, tuple[Callable[[Any], FastAPI], type[ServiceSettings], Path]] = {
    "intake": (create_intake, IntakeSettings, INTAKE_MIGRATIONS),
    "triage": (create_triage, TriageSettings, TRIAGE_MIGRATIONS),
    "dispatch": (create_dispatch, DispatchSettings, DISPATCH_MIGRATIONS),
    "followup": (create_followup, FollowupSettings, FOLLOWUP_MIGRATIONS),
    "analytics": (create_analytics, AnalyticsSettings, ANALYTICS_MIGRATIONS),
}
BUSES = {
    "intake": INTAKE_BUS,
    "triage": TRIAGE_BUS,
    "dispatch": DISPATCH_BUS,
    "followup": FOLLOWUP_BUS,
    "analytics": ANALYTICS_BUS,
}
OPERATIONS = {("/healthz", "GET"), ("/readyz", "GET"), ("/metrics", "GET")}
# Routes reached without a key: the survey link's signed token is the credential; signing
# in, changing a password, refreshing and signing out carry theirs in the body.
PUBLIC = {
    "/v1/surveys/{token}",
    "/v1/surveys/{token}/form",
    "/v1/auth/sign-in",
    "/v1/auth/password",
    "/v1/auth/refresh",
    "/v1/auth/sign-out",
}


def _settings(service: str, url: str, broker: str = "127.0.0.1:1", prefix: str = "t") -> Any:
    return on_test_broker(APPS[service][1], url, broker, prefix, api_keys=KEYS)


@asynccontextmanager
async def running(
    service: str, tmp_path: Path, broker: str, prefix: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Store]]:
    """The service's app with its lifespan running, over a fresh migrated SQLite store."""
    factory, _, migrations = APPS[service]
    url = f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}"
    async with migrated(url, migrations, BUSES[service], service) as store:
        app = factory(_settings(service, url, broker, prefix))
        async with serving(app) as client:
            yield client, store


@pytest.mark.parametrize("service", [s for s in APPS if s != "intake"])
async def test_service_runs_and_answers(
    service: str, tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    async with running(service, tmp_path, broker, topic_prefix) as (client, _):
        assert (await client.get("/healthz")).json() == {"status": "ok", "service": service}

        assert await ready_checks(client) == {
            "database": "ok",
            "schema": "ok",
            "broker": "ok",
            "consumer": "ok",
        }
        v1 = _v1_routes(service)
        assert v1
        for route_path, route in v1:
            if route_path in PUBLIC:
                continue
            path = route_path.replace("{ticket_id}", str(uuid.uuid4()))
            method = sorted(route.methods or ())[0]
            anonymous = await client.request(method, path)
            assert anonymous.status_code == 401, (route_path, anonymous.text)
            assert anonymous.json()["code"] == "unauthorized"
            allowed = _allowed_roles(route)
            assert allowed is not None
            refused = [key for key, role in KEYS.items() if role not in allowed]
            for key in refused:
                forbidden = await client.request(
                    method, path, headers={"Authorization": f"Bearer {key}"}
                )
                assert forbidden.status_code == 403, (route_path, key, forbidden.text)
                assert forbidden.json()["code"] == "forbidden"
            if method == "GET" and "supervisor" in allowed:
                answer = await client.get(path, headers=SUPERVISOR)
                if answer.status_code == 403:  # a key may not stand in for a signed-in person
                    assert answer.json()["code"] == "person_required", route_path
                    continue
                assert answer.status_code in (200, 404), (route_path, answer.text)
                if answer.status_code == 404:
                    assert answer.json()["code"].endswith("_not_found")
        metrics = await client.get("/metrics")
        assert "sopdesk_http_requests_total" in metrics.text


def _v1_routes(service: str) -> list[tuple[str, APIRoute]]:
    """Every documented /v1 route the service's app serves, with its full path (routers
    included in routers are read through FastAPI's route contexts)."""
    app = APPS[service][0](_settings(service, "sqlite+aiosqlite:///unused.db"))
    return [
        (ctx.path, ctx.original_route)
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute)
        and ctx.original_route.include_in_schema
        and ctx.path
        and ctx.path.startswith("/v1/")
    ]


def _allowed_roles(route: APIRoute) -> frozenset[str] | None:
    """The roles a route admits, read from its ``require_roles`` dependency (or one of its
    dependencies', as dispatch's acting agent)."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop(0)
        call = dependency.call
        if call is not None and call.__qualname__ == require_roles("x").__qualname__:
            allowed = inspect.getclosurevars(call).nonlocals["allowed"]
            return frozenset(allowed)
        stack.extend(dependency.dependencies)
    return None


@pytest.mark.parametrize("service", list(APPS))
async def test_openapi_documents_every_route_and_its_errors(service: str, tmp_path: Path) -> None:
    factory = APPS[service][0]
    app = factory(_settings(service, f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    error_ref = "#/components/schemas/ErrorBody"
    served = OPERATIONS | {(p, m) for p, r in _v1_routes(service) for m in r.methods or ()}
    documented = {(p, m.upper()) for p, ops in paths.items() for m in ops}
    assert documented == served
    for route_path, route in _v1_routes(service):
        for method in route.methods or ():
            operation = paths[route_path][method.lower()]
            assert operation.get("summary"), f"{method} {route_path} has no summary"
            errors = {
                status: spec
                for status, spec in operation["responses"].items()
                if status.startswith(("4", "5"))
                and spec.get("content", {})
                .get("application/json", {})
                .get("schema", {})
                .get("$ref")
                == error_ref
            }
            assert errors, f"{method} {route_path} documents no error response"
            if route_path in PUBLIC:
                assert _allowed_roles(route) is None, f"{route_path} is public"
                continue
            assert "401" in errors, f"{method} {route_path} needs a key but documents no 401"
            allowed = _allowed_roles(route)
            assert allowed is not None, f"{method} {route_path} has no role check"
            if not set(ROLES) <= allowed:
                assert "403" in errors, (
                    f"{method} {route_path} admits only {sorted(allowed)} but documents no 403"
                )
