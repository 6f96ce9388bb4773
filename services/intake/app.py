"""Intake's app factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.intake.api import router
from services.intake.handlers import HANDLERS
from services.intake.models import BUS
from services.intake.settings import IntakeSettings
from shared.http import install_plumbing
from shared.observability import ServiceMetrics
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    metrics = ServiceMetrics(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with ServiceRuntime(settings, BUS, HANDLERS, metrics) as runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(
        title="sopdesk intake",
        version="0.1.0",
        description="Channels in and out: tickets, customers, identity, notifications.",
        lifespan=lifespan,
    )
    install_plumbing(app, settings, metrics)
    app.include_router(router)
    return app
