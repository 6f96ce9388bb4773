"""HTTP plumbing every service mounts: errors, correlation ids, health, readiness, metrics,
and the request-scoped unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import __version__
from shared.auth import document_access
from shared.consumer import Handler
from shared.database import BusTables
from shared.errors import ErrorBody, install_error_handlers
from shared.events import Envelope
from shared.input_guard import InputGuard
from shared.observability import RequestContextMiddleware, ServiceMetrics, scope_header
from shared.outbox import UnitOfWork
from shared.runtime import SchemaNotAtHead, ServiceRuntime
from shared.settings import ServiceSettings
from shared.tracing import configure_tracing
from shared.web_security import SecurityHeaders


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    service: str = Field(examples=["intake"])
    detail: str | None = Field(default=None, examples=[None])


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    checks: dict[str, str] = Field(
        examples=[{"database": "ok", "schema": "ok", "broker": "ok", "consumer": "ok"}]
    )


# OpenAPI content of a route that can also answer a page (with ``Accept: text/html``).
HTML_PAGE: dict[str, Any] = {
    "content": {"text/html": {"example": "<!doctype html><html lang=zh-CN>…</html>"}}
}


def accepts_html(request: Request) -> bool:
    """The client asked for a page (a browser opening a link), not JSON."""
    return "text/html" in request.headers.get("accept", "")


def runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """Request-scoped unit of work; the route commits it, nothing else does."""
    async with runtime_of(request).unit_of_work() as uow:
        yield uow


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for read-only routes."""
    async with runtime_of(request).sessions() as session:
        yield session


# The /metrics route as every process documents it (the services and the workspace).
METRICS_ROUTE: dict[str, Any] = {
    "summary": "Prometheus metrics",
    "response_class": Response,
    "responses": {200: {"content": {"text/plain": {"example": "sopdesk_http_requests_total 1"}}}},
}


def readiness(checks: dict[str, str]) -> JSONResponse:
    """200 when every check says ok, else 503; the checks in the body either way."""
    ready = all(v == "ok" for v in checks.values())
    body = Readiness(status="ready" if ready else "not_ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def metrics_text(request: Request) -> Response:
    """The app's Prometheus registry in the text format."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _operations_router(service: str) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get(
        "/healthz",
        response_model=Health,
        summary="Liveness: the process answers and its consumer is not stuck",
        responses={503: {"model": Health, "description": "the consumer is stuck: restart me"}},
    )
    async def healthz(request: Request) -> Response:
        runtime: ServiceRuntime | None = getattr(request.app.state, "runtime", None)
        problem = await runtime.stalled() if runtime is not None else None
        if problem:
            body = Health(status="stalled", service=service, detail=problem)
            return JSONResponse(body.model_dump(exclude_none=True), status_code=503)
        return JSONResponse(Health(status="ok", service=service).model_dump(exclude_none=True))

    @router.get(
        "/readyz",
        response_model=Readiness,
        summary="Readiness: database reachable and at its migration head, broker reachable, "
        "consumer joined its group",
        responses={503: {"model": Readiness, "description": "a dependency is unreachable"}},
    )
    async def readyz(request: Request) -> Response:
        runtime = runtime_of(request)
        checks: dict[str, str] = {}
        for name, check in (
            ("database", runtime.check_database),
            ("schema", runtime.check_schema),
            ("broker", runtime.check_broker),
            ("consumer", runtime.check_consumer),
        ):
            try:
                await asyncio.wait_for(check(), timeout=2.0)
                checks[name] = "ok"
            except SchemaNotAtHead as exc:
                checks[name] = f"not ready: {exc} (run `sopdesk migrate`)"
            except Exception as exc:
                checks[name] = f"not ready: {type(exc).__name__}"
        return readiness(checks)

    @router.get("/metrics", **METRICS_ROUTE)
    async def metrics(request: Request) -> Response:
        runtime: ServiceRuntime | None = getattr(request.app.state, "runtime", None)
        if runtime is not None:
            await runtime.refresh_gauges()
        return metrics_text(request)

    return router


class RequestSizeLimit:
    """Pure ASGI middleware: a body over ``max_bytes`` gets 413 ``payload_too_large``,
    before it is read when it says its length, or as soon as a streamed one passes it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = scope_header(scope, "content-length") or ""
        if declared.isdigit() and int(declared) > self.max_bytes:
            body = ErrorBody(code="payload_too_large", message=self._refusal())
            response = JSONResponse(body.model_dump(exclude_none=True), status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # The error handlers turn this into the same 413 body.
                    raise StarletteHTTPException(413, self._refusal())
            return message

        await self.app(scope, limited, send)


def install_plumbing(app: FastAPI, settings: ServiceSettings, metrics: ServiceMetrics) -> None:
    app.state.settings = settings
    app.state.metrics = metrics
    install_error_handlers(app)
    app.add_middleware(InputGuard)  # inside the size limit: it reads bodies already bounded
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.include_router(_operations_router(settings.service_name))


def create_service_app(
    settings: ServiceSettings,
    *,
    description: str,
    bus: BusTables,
    handlers: Mapping[str, Handler],
    router: APIRouter,
    extra_topics: Iterable[str] = (),
    migrations: Path | None = None,
    running: Callable[[ServiceRuntime], AbstractAsyncContextManager[None]] | None = None,
    on_emit: Callable[[UnitOfWork, Envelope], None] | None = None,
) -> FastAPI:
    """The app of one service: its routes, the plumbing, and a lifespan that runs
    the service's runtime (store, producer, relay, consumer) and, inside it, what
    ``running`` adds (seeding, timers, listeners), stopped before the runtime."""
    metrics = ServiceMetrics(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with ServiceRuntime(
            settings,
            bus,
            handlers,
            metrics,
            extra_topics=extra_topics,
            migrations=migrations,
            on_emit=on_emit,
        ) as runtime:
            app.state.runtime = runtime
            if running is None:
                yield
            else:
                async with running(runtime):
                    yield

    # FastAPIOffline serves Swagger UI and ReDoc from the package, so /docs works offline.
    app = FastAPIOffline(
        title=f"sopdesk {settings.service_name}",
        version=__version__,
        description=description,
        lifespan=lifespan,
    )
    install_plumbing(app, settings, metrics)
    app.include_router(router)
    document_access(app)
    if settings.tracing_endpoint:
        configure_tracing(settings.service_name, app, settings.tracing_endpoint)
    return app
