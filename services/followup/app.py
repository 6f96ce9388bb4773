"""Followup's app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.followup.api import router
from services.followup.handlers import build_handlers
from services.followup.models import BUS
from services.followup.settings import FollowupSettings
from services.followup.timer import SlaTimer
from shared.http import create_service_app
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: FollowupSettings | None = None) -> FastAPI:
    settings = settings or FollowupSettings()
    timer = SlaTimer(settings)

    @asynccontextmanager
    async def ticking(runtime: ServiceRuntime) -> AsyncIterator[None]:
        """The SLA timer runs inside the runtime and stops before its database closes."""
        await timer.start(runtime)
        try:
            yield
        finally:
            await timer.stop()

    app = create_service_app(
        settings,
        description="SLA clocks, warnings, customer confirmation, surveys and callbacks.",
        bus=BUS,
        handlers=build_handlers(settings),
        router=router,
        migrations=MIGRATIONS,
        running=ticking,
    )
    app.state.sla_timer = timer
    return app
