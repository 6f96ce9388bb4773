"""Triage's app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.triage.api import router
from services.triage.handlers import build_handlers
from services.triage.models import BUS
from services.triage.settings import TriageSettings
from shared.http import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: TriageSettings | None = None) -> FastAPI:
    settings = settings or TriageSettings()
    return create_service_app(
        settings,
        description="Classification, priority, SLA deadlines and the knowledge base.",
        bus=BUS,
        handlers=build_handlers(settings),
        router=router,
    )
