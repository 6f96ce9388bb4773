"""Triage's app factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.triage.api import router
from services.triage.handlers import build_handlers
from services.triage.models import BUS
from services.triage.settings import TriageSettings
from shared.http import install_plumbing
from shared.observability import ServiceMetrics
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: TriageSettings | None = None) -> FastAPI:
    settings = settings or TriageSettings()
    metrics = ServiceMetrics(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with ServiceRuntime(settings, BUS, build_handlers(settings), metrics) as runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(
        title="sopdesk triage",
        version="0.1.0",
        description="Classification, priority, SLA deadlines and the knowledge base.",
        lifespan=lifespan,
    )
    install_plumbing(app, settings, metrics)
    app.include_router(router)
    return app
