"""People signed in at dispatch read intake's tickets within their scope: the tokens
dispatch issues (an agent's team is its agent row's) meet intake's ticket copy of team and
assignee. Another team's agent gets 403 ``not_your_ticket``; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from testkit import POSTGRES_SERVER, TOKEN_KEYS, drop_database, new_person, serving

from services.dispatch.app import MIGRATIONS as DISPATCH_MIGRATIONS
from services.dispatch.app import create_app as create_dispatch
from services.dispatch.settings import DispatchSettings
from services.intake.app import MIGRATIONS as INTAKE_MIGRATIONS
from services.intake.app import create_app as create_intake
from services.intake.handlers import build_handlers
from services.intake.models import BUS
from services.intake.settings import IntakeSettings
from shared.database import create_engine, session_factory
from shared.events import TicketAssigned, TicketAssignedData, Topics
from shared.migrations import ensure_database, upgrade
from shared.outbox import UnitOfWork

KEYS = {"ad": "admin", "gw": "gateway"}
ADMIN = {"Authorization": "Bearer ad"}
GATEWAY = {"Authorization": "Bearer gw"}


@asynccontextmanager
async def client_of(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app, ready_within=20) as client:
        yield client


async def test_dispatch_tokens_read_intake_tickets_within_scope(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    # Each service its own store: a second SQLite file, or a second PostgreSQL database.
    intake_url = database_url
    sqlite = database_url.startswith("sqlite")
    dispatch_url = (
        database_url.replace(".db", "-dispatch.db") if sqlite else f"{database_url}_dispatch"
    )
    await asyncio.to_thread(upgrade, INTAKE_MIGRATIONS, intake_url)
    common: dict[str, Any] = {
        "kafka_bootstrap_servers": broker,
        "topic_prefix": topic_prefix,
        "api_keys": KEYS,
        "log_json": False,
    }
    intake_settings = IntakeSettings(
        database_url=intake_url, token_public_key=TOKEN_KEYS["token_public_key"], **common
    )
    try:
        if not sqlite:
            assert await ensure_database(dispatch_url)
        await asyncio.to_thread(upgrade, DISPATCH_MIGRATIONS, dispatch_url)
        dispatch_settings = DispatchSettings(
            database_url=dispatch_url,
            consumer_session_timeout_ms=6000,
            **{**common, **TOKEN_KEYS},
        )
        async with (
            client_of(create_dispatch(dispatch_settings)) as dispatch,
            client_of(create_intake(intake_settings)) as intake,
        ):
            tech, tech_headers = await new_person(
                dispatch, ADMIN, "zhang", roles=["agent"], teams=["tech_support"]
            )
            _fin, fin_headers = await new_person(
                dispatch, ADMIN, "qian", roles=["agent"], teams=["finance"]
            )
            _lead, lead_headers = await new_person(
                dispatch, ADMIN, "lead", roles=["supervisor"], supervises=["tech_support"]
            )
            created = await intake.post(
                "/v1/tickets",
                json={
                    "channel": "web_chat",
                    "customer": {"phone": "13912345678"},
                    "subject": "无法开机",
                    "description": "设备昨天起无法开机。",
                },
                headers=GATEWAY,
            )
            assert created.status_code == 201, created.text
            ticket_id, ticket_no = (
                uuid.UUID(created.json()["ticket_id"]),
                created.json()["ticket_no"],
            )
            engine = create_engine(intake_url)
            try:
                uow = UnitOfWork(
                    session_factory(engine), BUS.outbox, Topics(topic_prefix), "intake"
                )
                async with uow:
                    now = datetime.now(UTC)
                    await build_handlers(intake_settings)["ticket.assigned"](
                        [
                            TicketAssigned(
                                ticket_id=ticket_id,
                                occurred_at=now,
                                data=TicketAssignedData(
                                    assignment_id=uuid.uuid4(),
                                    ticket_no=ticket_no,
                                    team="tech_support",
                                    agent_id=uuid.UUID(tech["id"]),
                                    agent_name="zhang",
                                    priority="P2",
                                    category="fault",
                                    assigned_at=now,
                                ),
                            )
                        ],
                        uow,
                    )
                    await uow.commit()
            finally:
                await engine.dispose()

            for headers in (tech_headers, lead_headers):
                seen = await intake.get(f"/v1/tickets/{ticket_no}", headers=headers)
                assert seen.status_code == 200, seen.text
                assert seen.json()["assignee"]["agent_id"] == tech["id"]
            refused = await intake.get(f"/v1/tickets/{ticket_no}", headers=fin_headers)
            assert (refused.status_code, refused.json()["code"]) == (403, "not_your_ticket")
            search = await intake.get("/v1/search", params={"q": ticket_no}, headers=fin_headers)
            assert search.status_code == 200 and search.json()["items"] == []
    finally:
        if not sqlite:
            await drop_database(POSTGRES_SERVER, dispatch_url.rsplit("/", 1)[1])
