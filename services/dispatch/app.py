"""Dispatch's app factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.dispatch import domain, service
from services.dispatch.api import router
from services.dispatch.handlers import HANDLERS
from services.dispatch.models import BUS
from services.dispatch.settings import DispatchSettings
from shared.events import Topics
from shared.http import install_plumbing
from shared.observability import ServiceMetrics, get_logger
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"

log = get_logger(__name__)


def create_app(settings: DispatchSettings | None = None) -> FastAPI:
    settings = settings or DispatchSettings()
    metrics = ServiceMetrics(settings.service_name)
    topics = Topics(settings.topic_prefix)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        work_order_topics = [topics.assignments(key) for key in domain.DEFAULT_TEAM_KEYS]
        async with ServiceRuntime(
            settings, BUS, HANDLERS, metrics, extra_topics=work_order_topics
        ) as runtime:
            app.state.runtime = runtime
            if settings.demo_agents:
                async with runtime.unit_of_work() as uow:
                    added = await service.add_demo_agents(uow, settings.demo_agent_capacity)
                    await uow.commit()
                log.info("demo_agents_ready", added=added)
            yield

    app = FastAPI(
        title="sopdesk dispatch",
        version="0.1.0",
        description="Teams, agents, skills, assignment, agent work and approvals.",
        lifespan=lifespan,
    )
    install_plumbing(app, settings, metrics)
    app.include_router(router)
    return app
