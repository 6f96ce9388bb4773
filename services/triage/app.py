"""Triage's app factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI

from services.triage.api import router as triage_router
from services.triage.handlers import build_handlers
from services.triage.learning_api import router as learning_router
from services.triage.models import BUS
from services.triage.rules.engine import load_dictionary
from services.triage.settings import TriageSettings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


@asynccontextmanager
async def dictionary_loaded(_runtime: ServiceRuntime) -> AsyncIterator[None]:
    """Ready only once jieba's dictionary is in memory, so the first ticket is as quick
    as the others."""
    await asyncio.to_thread(load_dictionary)
    yield


def _routes() -> APIRouter:
    routes = APIRouter()
    routes.include_router(triage_router)
    routes.include_router(learning_router)
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
        running=dictionary_loaded,
    )
