"""Analytics's app factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry

from services.analytics.api import router
from services.analytics.business_metrics import BusinessCollector, keep_fresh
from services.analytics.handlers import HANDLERS
from services.analytics.models import BUS
from services.analytics.settings import AnalyticsSettings
from shared.http import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"
STATIC = Path(__file__).parent / "static"


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()
    app = create_service_app(
        settings,
        description="Ledger, metrics, weekly and monthly reviews, and the dashboard.",
        bus=BUS,
        handlers=HANDLERS,
        router=router,
        migrations=MIGRATIONS,
    )
    # The dashboard is a static page without data: its script asks for a viewer key,
    # keeps it in the browser and reads the authenticated /v1/stream with it.
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # Business figures (volumes, CSAT, compensation) are kept behind the viewer key like
    # the API that shows them: their own registry, served at /v1/metrics/business;
    # the open /metrics carries only operational series.
    collector = BusinessCollector()
    app.state.business_registry = CollectorRegistry()
    app.state.business_registry.register(collector)
    app.state.business_metrics = collector
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with started(app):
            changed = asyncio.Event()
            app.state.runtime.on_commit(changed.set)
            task = asyncio.create_task(
                keep_fresh(
                    collector, app.state.runtime.sessions, settings.metrics_refresh_seconds, changed
                )
            )
            try:
                yield
            finally:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan

    @app.get("/", include_in_schema=False)
    async def dashboard() -> FileResponse:
        return FileResponse(STATIC / "dashboard.html", headers={"Cache-Control": "no-cache"})

    return app
