"""Analytics' app factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.analytics.api import router
from services.analytics.handlers import HANDLERS
from services.analytics.models import BUS
from services.analytics.settings import AnalyticsSettings
from shared.http import install_plumbing
from shared.observability import ServiceMetrics
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()
    metrics = ServiceMetrics(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with ServiceRuntime(settings, BUS, HANDLERS, metrics) as runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(
        title="sopdesk analytics",
        version="0.1.0",
        description="Ledger, metrics, weekly and monthly reviews, and the dashboard.",
        lifespan=lifespan,
    )
    install_plumbing(app, settings, metrics)
    app.include_router(router)
    return app
