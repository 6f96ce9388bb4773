"""Intake's app factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.intake.api import router
from services.intake.handlers import build_handlers
from services.intake.models import BUS
from services.intake.numbering import TicketNumbers
from services.intake.settings import IntakeSettings
from services.intake.smtp import smtp_factory
from services.intake.ticket_batches import TicketBatches
from services.intake.webhooks import WebhookDeliverer
from shared.database import supports_skip_locked
from shared.heap import settle_heap
from shared.http import create_service_app
from shared.observability import get_logger
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"
log = get_logger(__name__)


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()

    @asynccontextmanager
    async def channels(runtime: ServiceRuntime) -> AsyncIterator[None]:
        """Inside the runtime: the webhook deliverer and, when enabled, the SMTP listener."""
        deliverer = WebhookDeliverer(
            runtime.sessions,
            runtime.unit_of_work,
            settings,
            skip_locked=supports_skip_locked(runtime.engine),
        )
        task = asyncio.create_task(deliverer.run(), name="intake.webhooks")
        app.state.webhooks = deliverer
        numbers = TicketNumbers(settings.resolved_database_url, settings.ticket_number_block)
        app.state.ticket_numbers = numbers
        batches = TicketBatches(runtime.unit_of_work, settings, numbers)
        app.state.ticket_batches = batches
        smtp_server: asyncio.Server | None = None
        if settings.smtp_enabled:
            smtp_server = await asyncio.get_running_loop().create_server(
                smtp_factory(runtime.unit_of_work, settings),
                settings.smtp_host,
                settings.smtp_port,
            )
            log.info("smtp_listening", host=settings.smtp_host, port=settings.smtp_port)
        # Everything loaded: the collector's cost was a sixth of intake's CPU (shared.heap).
        settle_heap()
        try:
            yield
        finally:
            if smtp_server is not None:
                smtp_server.close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(smtp_server.wait_closed(), timeout=5)
            await batches.close()
            deliverer.stop()
            try:
                await asyncio.wait_for(task, timeout=5)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await deliverer.close()
            await numbers.close()

    app = create_service_app(
        settings,
        description="Channels in and out: tickets, customers, identity, notifications.",
        bus=BUS,
        handlers=build_handlers(settings),
        router=router,
        migrations=MIGRATIONS,
        running=channels,
    )
    return app
