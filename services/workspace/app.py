"""The workspace's app factory: pages composed from the five services' APIs, no store.

The lifespan opens one HTTP client pool (``ServiceClients``), the session reader
(``Sessions``) and the live-update reader (``LiveHub``), and closes them in reverse.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from services.workspace import (
    admin,
    admin_config,
    admin_content,
    callbacks,
    supervisor_inbox,
    supervisor_shifts,
    supervisor_team,
    supervisor_ticket,
)
from services.workspace.clients import SERVICES, ServiceClients, ServiceProblem
from services.workspace.live import LiveHub
from services.workspace.pages import STATIC, render
from services.workspace.routes import agent, auth, live
from services.workspace.session import (
    CsrfFailed,
    NotSignedIn,
    SessionCookieWriter,
    Sessions,
    sessions_of,
    sign_in_url,
)
from services.workspace.settings import WorkspaceSettings
from shared import __version__
from shared.errors import install_error_handlers
from shared.http import METRICS_ROUTE, Health, Readiness, RequestSizeLimit, metrics_text, readiness
from shared.observability import RequestContextMiddleware, ServiceMetrics
from shared.web_security import SecurityHeaders

# Modules that add screens register here (ws-super: supervisor and admin).
ROUTERS: list[APIRouter] = [
    auth.router,
    live.router,
    agent.router,
    supervisor_inbox.router,
    supervisor_team.router,
    supervisor_shifts.router,
    supervisor_ticket.router,
    admin.router,
    admin_config.router,
    admin_content.router,
    callbacks.router,
]


def _operations(hub_of: type[LiveHub] | None = None) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", response_model=Health, summary="Liveness: the process answers")
    async def healthz() -> Health:
        return Health(status="ok", service="workspace")

    @router.get(
        "/readyz",
        response_model=Readiness,
        summary="Readiness: dispatch answers (sign-in) and the live reader runs",
        responses={503: {"model": Readiness, "description": "a dependency is unreachable"}},
    )
    async def readyz(request: Request) -> Response:
        clients: ServiceClients = request.app.state.clients
        hub: LiveHub = request.app.state.live
        checks = {"dispatch": "ok" if await clients.ready("dispatch") else "not ready"}
        if hub.settings.live_updates:
            checks["live"] = "ok" if hub.running else "not ready"
        return readiness(checks)

    @router.get("/metrics", **METRICS_ROUTE)
    async def metrics(request: Request) -> Response:
        return metrics_text(request)

    return router


def _install_page_errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        target = sign_in_url(request)
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        if request.url.path.startswith("/live"):
            return Response(status_code=401)
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        person = await sessions_of(request).person(request)
        return render(
            request,
            "error.html",
            person,
            status_code=403,
            code="csrf_failed",
            message_key="error.csrf_failed",
        )

    @app.exception_handler(ServiceProblem)
    async def _service(request: Request, exc: ServiceProblem) -> Response:
        if exc.status == 401:
            sessions_of(request).end(request)
            return await _not_signed_in(request, NotSignedIn())
        person = await sessions_of(request).person(request)
        key = f"error.{exc.code}"
        return render(
            request,
            "error.html",
            person,
            status_code=exc.status if exc.status < 500 else 502,
            code=exc.code,
            message_key=key,
            message=exc.message,
            service=exc.service,
        )


def create_app(
    settings: WorkspaceSettings | None = None, routers: Iterable[APIRouter] | None = None
) -> FastAPI:
    settings = settings or WorkspaceSettings()
    metrics = ServiceMetrics(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        clients = ServiceClients(settings)
        app.state.clients = clients
        app.state.sessions = Sessions(settings, clients)
        hub = LiveHub(settings)
        app.state.live = hub
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()
            await clients.close()

    app = FastAPIOffline(
        title="sopdesk workspace",
        version=__version__,
        description="The agents' and supervisors' web workspace: pages composed from the five "
        "services' APIs (it keeps no data of its own).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.services = SERVICES
    install_error_handlers(app)
    _install_page_errors(app)
    app.add_middleware(SessionCookieWriter)
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.include_router(_operations())
    app.mount("/static", StaticFiles(directory=STATIC, follow_symlink=False), name="static")
    for router in routers if routers is not None else ROUTERS:
        app.include_router(router)
    return app
