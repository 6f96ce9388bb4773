"""Followup's app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.followup.api import router
from services.followup.handlers import build_handlers
from services.followup.models import BUS
from services.followup.settings import FollowupSettings
from shared.http import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: FollowupSettings | None = None) -> FastAPI:
    settings = settings or FollowupSettings()
    return create_service_app(
        settings,
        description="SLA clocks, warnings, customer confirmation, surveys and callbacks.",
        bus=BUS,
        handlers=build_handlers(settings),
        router=router,
    )
