"""Helpers of the service-logic tests: event builders (the stores and polling are in testkit)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.intake.schemas import TicketCreate
from shared.events import (
    Deadlines,
    Envelope,
    TicketAssigned,
    TicketAssignedData,
    TicketReceived,
    TicketReceivedData,
    TicketTriaged,
    TicketTriagedData,
    parse_event,
)

RAW_PHONE = "13812345678"


# --------------------------------------------------------------------------- event builders

T0 = datetime(2026, 11, 22, 1, 15, tzinfo=UTC)


def ticket_payload(phone: str = RAW_PHONE, **overrides: Any) -> TicketCreate:
    body: dict[str, Any] = {
        "channel": "phone",
        "customer": {"name": "张三", "phone": phone, "member_id": None},
        "subject": "账号无法登录",
        "description": "今天早上开始账号无法登录,提示密码错误。",
        "order_no": "SO20261122001",
        "preferred_contact": "phone",
    }
    body.update(overrides)
    return TicketCreate.model_validate(body)


def received_event(
    ticket_id: uuid.UUID,
    *,
    subject: str = "账号无法登录",
    description: str = "提示密码错误",
    customer_type: str = "new",
    received_at: datetime = T0,
) -> TicketReceived:
    return TicketReceived(
        ticket_id=ticket_id,
        occurred_at=received_at,
        producer="intake",
        data=TicketReceivedData(
            ticket_no="T20261122-000001",
            channel="web_chat",
            customer_id=uuid.uuid4(),
            customer_type=customer_type,
            masked_contact="138****5678",
            subject=subject,
            description=description,
            received_at=received_at,
        ),
    )


def triaged_event(
    ticket_id: uuid.UUID,
    *,
    ticket_no: str = "T20261122-000001",
    team: str = "tech_support",
    priority: str = "P0",
    category: str = "fault",
    at: datetime = T0 + timedelta(seconds=1),
    respond: timedelta = timedelta(minutes=30),
    resolve: timedelta = timedelta(hours=4),
) -> TicketTriaged:
    return TicketTriaged(
        ticket_id=ticket_id,
        occurred_at=at,
        producer="triage",
        data=TicketTriagedData(
            ticket_no=ticket_no,
            channel="web_chat",
            customer_type="new",
            subject="账号无法登录",
            category=category,
            scene="after_sale",
            priority=priority,
            team=team,
            deadlines=Deadlines(
                policy="cross-industry",
                calendar="24x7",
                respond_by=T0 + respond,
                resolve_by=T0 + resolve,
            ),
        ),
    )


def assigned_event(
    ticket_id: uuid.UUID, *, at: datetime = T0 + timedelta(seconds=2)
) -> TicketAssigned:
    return TicketAssigned(
        ticket_id=ticket_id,
        occurred_at=at,
        producer="dispatch",
        data=TicketAssignedData(
            assignment_id=uuid.uuid4(),
            ticket_no="T20261122-000001",
            team="tech_support",
            agent_id=uuid.uuid4(),
            agent_name="tech_support-agent-1",
            priority="P0",
            category="fault",
            supervisor_notified=True,
            assigned_at=at,
        ),
    )


def outbox_events(rows: list[Any]) -> list[Envelope]:
    return [parse_event(row.payload) for row in rows]
