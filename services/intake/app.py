"""Intake's app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.intake.api import router
from services.intake.handlers import HANDLERS
from services.intake.models import BUS
from services.intake.settings import IntakeSettings
from shared.http import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    return create_service_app(
        settings,
        description="Channels in and out: tickets, customers, identity, notifications.",
        bus=BUS,
        handlers=HANDLERS,
        router=router,
    )
