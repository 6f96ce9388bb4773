"""Helpers for intake's tests: a migrated intake store, the running intake app, a new ticket."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from testkit import TOKEN_PUBLIC_KEY, migrated_store, serving
from testkit import ServiceStore as IntakeStore

from services.intake import reception
from services.intake.app import MIGRATIONS, create_app
from services.intake.models import BUS, Ticket
from services.intake.schemas import TicketCreate
from services.intake.settings import IntakeSettings
from shared.events import (
    Deadlines,
    Envelope,
    TicketTriaged,
    TicketTriagedData,
    Topics,
    parse_event,
)

TOPICS = Topics("test")
KEYS = {"gw": "gateway", "sv": "supervisor", "ag": "agent", "vw": "viewer", "ad": "admin"}
GATEWAY = {"Authorization": "Bearer gw"}
SUPERVISOR = {"Authorization": "Bearer sv"}
ADMIN = {"Authorization": "Bearer ad"}
RAW_PHONE = "13812345678"


def ticket_body(phone: str = RAW_PHONE, **overrides: Any) -> dict[str, Any]:
    """A gateway's new ticket as ``POST /v1/tickets`` takes it; ``overrides`` replace
    whole fields."""
    body: dict[str, Any] = {
        "channel": "phone",
        "customer": {"name": "张三", "phone": phone},
        "subject": "账号无法登录",
        "description": "今天早上开始账号无法登录,提示密码错误。",
    }
    body.update(overrides)
    return body


def ticket_payload(phone: str = RAW_PHONE, **overrides: Any) -> TicketCreate:
    """A gateway's new ticket (with an order number) as the reception use case takes it."""
    fields: dict[str, Any] = {
        "customer": {"name": "张三", "phone": phone, "member_id": None},
        "order_no": "SO20261122001",
        "preferred_contact": "phone",
        **overrides,
    }
    return TicketCreate.model_validate(ticket_body(phone, **fields))


async def received_ticket(store: IntakeStore, settings: IntakeSettings, **overrides: Any) -> Ticket:
    """A new web chat ticket (unless ``overrides`` say otherwise) from a customer with a
    phone and an e-mail address, received and committed."""
    body: dict[str, Any] = {
        "channel": "web_chat",
        "customer": {"phone": "13812345678", "email": "li@example.com"},
        "subject": "无法开机",
        "description": "设备昨天起无法开机。",
    }
    body.update(overrides)
    async with store.uow() as uow:
        result = await reception.receive_ticket(
            uow, TicketCreate.model_validate(body), None, settings
        )
        await uow.commit()
    return result.ticket


def fault_triaged(
    ticket: Ticket, respond_by: datetime, at: datetime, priority: str
) -> TicketTriaged:
    """Triage's verdict on a web chat ticket: a fault for tech support, to be answered and
    resolved by ``respond_by``."""
    return TicketTriaged(
        ticket_id=ticket.id,
        occurred_at=at,
        data=TicketTriagedData(
            ticket_no=ticket.ticket_no,
            channel="web_chat",
            customer_type="new",
            subject=ticket.subject,
            category="fault",
            scene="after_sale",
            priority=priority,
            team="tech_support",
            deadlines=Deadlines(
                policy="p", calendar="c", respond_by=respond_by, resolve_by=respond_by
            ),
        ),
    )


@asynccontextmanager
async def migrated_intake(url: str) -> AsyncIterator[IntakeStore]:
    async with migrated_store(url, MIGRATIONS, BUS, "intake") as store:
        yield store


def intake_settings(
    url: str, broker: str = "127.0.0.1:1", prefix: str = "t", **extra: Any
) -> IntakeSettings:
    return IntakeSettings(
        database_url=url,
        kafka_bootstrap_servers=broker,
        topic_prefix=prefix,
        api_keys=KEYS,
        log_json=False,
        token_public_key=TOKEN_PUBLIC_KEY,
        **extra,
    )


@asynccontextmanager
async def running_intake(
    url: str, broker: str, prefix: str, **extra: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, IntakeStore]]:
    """Intake with its lifespan running (producer, relay, consumer) over a migrated store."""
    async with migrated_intake(url) as store:
        app = create_app(intake_settings(url, broker, prefix, **extra))
        async with serving(app) as client:
            yield client, store


async def published_notifications(
    broker: str, prefix: str, count: int, *, within: float = 20.0
) -> list[Envelope]:
    """The first ``count`` events on the notifications topic, read from the broker (what
    a gateway gets; their outbox rows go after the replay window)."""
    consumer = AIOKafkaConsumer(
        Topics(prefix).notifications,
        bootstrap_servers=broker,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Envelope] = []
    try:
        deadline = time.monotonic() + within
        while len(found) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            found.extend(parse_event(r.value) for records in batch.values() for r in records)
    finally:
        await consumer.stop()
    assert len(found) >= count, f"{len(found)} of {count} notifications within {within}s"
    return found
