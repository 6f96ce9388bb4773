"""Analytics's app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.analytics.api import router
from services.analytics.handlers import HANDLERS
from services.analytics.models import BUS
from services.analytics.settings import AnalyticsSettings
from shared.http import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()
    return create_service_app(
        settings,
        description="Ledger, metrics, weekly and monthly reviews, and the dashboard.",
        bus=BUS,
        handlers=HANDLERS,
        router=router,
    )
