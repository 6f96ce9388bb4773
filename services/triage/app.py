"""Triage's app factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from prometheus_client import Gauge

from services.triage import holiday_schedules
from services.triage.api import router as triage_router
from services.triage.configuration import load_engine
from services.triage.handlers import build_handlers
from services.triage.holiday_api import router as holiday_router
from services.triage.learning_api import router as learning_router
from services.triage.models import BUS
from services.triage.rules.engine import load_dictionary
from services.triage.settings import TriageSettings
from services.triage.sla import SLA_POLICIES, UnknownSlaPolicy
from shared.events import utcnow
from shared.http import create_service_app
from shared.observability import get_logger
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"

log = get_logger(__name__)


@asynccontextmanager
async def started(runtime: ServiceRuntime) -> AsyncIterator[None]:
    """Ready only once jieba's dictionary is in memory, so the first ticket is as quick
    as the others; and never with an SLA policy setting that names no policy. Meanwhile,
    when the holiday schedule runs out goes on /metrics."""
    settings = runtime.settings
    assert isinstance(settings, TriageSettings)
    name = settings.effective_sla_policy
    if name not in SLA_POLICIES:  # perhaps one an admin stored: ask the store
        async with runtime.sessions() as session:
            try:
                await load_engine(session, settings)
            except UnknownSlaPolicy as exc:
                raise RuntimeError(f"SOPDESK_SLA_PRESET={name!r}: {exc}") from None
    await asyncio.to_thread(load_dictionary)
    watch = asyncio.create_task(_watch_holiday_schedule(runtime))
    try:
        yield
    finally:
        watch.cancel()


async def _watch_holiday_schedule(runtime: ServiceRuntime, every: float = 600.0) -> None:
    gauge = Gauge(
        "sopdesk_holiday_schedule_days_left",
        "Days until a year without China's official holiday schedule (shipped or loaded)",
        ["service", "year"],
        registry=runtime.metrics.registry,
    )
    while True:
        try:
            async with runtime.sessions() as session:
                gap = await holiday_schedules.current_gap(session, utcnow().date())
            gauge.clear()
            if gap is not None:
                gauge.labels(runtime.metrics.service, str(gap.year)).set(gap.days_left)
        except Exception as exc:  # the store is away: try again at the next round
            log.warning("holiday_schedule_check_failed", error=repr(exc))
        await asyncio.sleep(every)


def _routes() -> APIRouter:
    routes = APIRouter()
    routes.include_router(triage_router)
    routes.include_router(learning_router)
    routes.include_router(holiday_router)
    return routes


def create_app(settings: TriageSettings | None = None) -> FastAPI:
    settings = settings or TriageSettings()
    return create_service_app(
        settings,
        description="Classification, priority, SLA deadlines and the knowledge base.",
        bus=BUS,
        handlers=build_handlers(settings),
        router=_routes(),
        migrations=MIGRATIONS,
        running=started,
    )
