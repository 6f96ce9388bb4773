"""Dispatch's app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from sqlalchemy import exc as sa_exc

from services.dispatch import activity, domain, repository, roster, team_announcements
from services.dispatch.api import router
from services.dispatch.handlers import build_handlers
from services.dispatch.models import BUS
from services.dispatch.people.api import router as people_router
from services.dispatch.people.demo import add_demo_people
from services.dispatch.settings import DispatchSettings
from services.dispatch.shifts.api import router as shifts_router
from services.dispatch.shifts.exceptions_api import router as shift_exceptions_router
from services.dispatch.shifts.service import add_demo_shifts
from services.dispatch.shifts.timer import ShiftTimer
from shared.errors import ApiError
from shared.events import Topics, utcnow
from shared.http import create_service_app
from shared.kafka import ensure_topics
from shared.observability import get_logger
from shared.outbox import UnitOfWork
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"

log = get_logger(__name__)


async def _demo_agents(uow: UnitOfWork, settings: DispatchSettings) -> int:
    return await roster.add_demo_agents(uow, settings.demo_agent_capacity)


async def _demo_people(uow: UnitOfWork, settings: DispatchSettings) -> int:
    return len(await add_demo_people(uow.session, settings.demo_password, utcnow()))


async def _seeded(runtime: ServiceRuntime, seed: Callable[[UnitOfWork], Awaitable[int]]) -> int:
    """Seed what is missing; when replicas start together and another one committed the
    same rows first (a unique name taken: by the store, or by the account check, which
    refuses a login that appeared after the seed looked), look again: they are there now."""
    for attempt in range(1, 4):
        try:
            async with runtime.unit_of_work() as uow:
                added = await seed(uow)
                await uow.commit()
                return added
        except (sa_exc.IntegrityError, ApiError) as error:
            if attempt == 3 or (isinstance(error, ApiError) and error.status != 409):
                raise
            log.info("demo_seed_raced_another_replica", attempt=attempt)
    return 0


def create_app(settings: DispatchSettings | None = None) -> FastAPI:
    settings = settings or DispatchSettings()
    topics = Topics(settings.topic_prefix)
    shift_timer = ShiftTimer(settings)

    @asynccontextmanager
    async def prepared(runtime: ServiceRuntime) -> AsyncIterator[None]:
        # Teams added over the API get their work-order topic too.
        async with runtime.sessions() as session:
            keys = [team.key for team in await repository.list_teams(session)]
        await ensure_topics(settings, [topics.assignments(key) for key in keys])
        # Teams whose latest change the other services have not heard of (all of them
        # after the upgrade that introduced announcements).
        async with runtime.unit_of_work() as uow:
            announced = await team_announcements.announce_unannounced(uow)
            await uow.commit()
        if announced:
            log.info("teams_announced", teams=announced)
        if settings.demo_agents:
            added = await _seeded(runtime, lambda uow: _demo_agents(uow, settings))
            log.info("demo_agents_ready", added=added)
        if settings.demo_password:
            added = await _seeded(runtime, lambda uow: _demo_people(uow, settings))
            log.info("demo_people_ready", added=added)
        if settings.demo_shifts:
            added = await _seeded(runtime, lambda uow: add_demo_shifts(uow, utcnow()))
            log.info("demo_shifts_ready", added=added)
        await shift_timer.start(runtime)
        try:
            yield
        finally:
            await shift_timer.stop()

    routes = APIRouter()
    routes.include_router(router)
    routes.include_router(people_router)
    routes.include_router(shifts_router)
    routes.include_router(shift_exceptions_router)
    app = create_service_app(
        settings,
        description="Teams, agents, skills, assignment, agent work and approvals.",
        bus=BUS,
        handlers=build_handlers(settings),
        router=routes,
        migrations=MIGRATIONS,
        # Work orders go to one topic per team; teams read them from the start.
        extra_topics=[topics.assignments(key) for key in domain.DEFAULT_TEAM_KEYS],
        running=prepared,
        # Each event dispatch emits makes its line in the ticket's activity (same transaction).
        on_emit=activity.record_emitted,
    )
    app.state.shift_timer = shift_timer
    return app
