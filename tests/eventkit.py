"""Builders of the lifecycle events the services exchange, for the tests of every service
that consumes them (one builder per event; a folder's helpers only change its defaults),
and publishing events to the broker as their producer would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.events import (
    Deadlines,
    Envelope,
    KbSuggestion,
    TicketAssigned,
    TicketAssignedData,
    TicketReceived,
    TicketReceivedData,
    TicketRetriaged,
    TicketTriaged,
    TicketTriagedData,
)

# When the builders' tickets arrive, unless a test says otherwise.
T0 = datetime(2026, 11, 22, 1, 15, tzinfo=UTC)


def received(
    ticket_id: uuid.UUID | None = None,
    *,
    subject: str = "账号无法登录",
    description: str = "提示密码错误",
    customer_type: str = "new",
    at: datetime = T0,
) -> TicketReceived:
    return TicketReceived(
        ticket_id=ticket_id or uuid.uuid4(),
        occurred_at=at,
        producer="intake",
        data=TicketReceivedData(
            ticket_no="T20261122-000001",
            channel="web_chat",
            customer_id=uuid.uuid4(),
            customer_type=customer_type,
            masked_contact="138****5678",
            subject=subject,
            description=description,
            received_at=at,
        ),
    )


def triaged(
    ticket_id: uuid.UUID | None = None,
    *,
    ticket_no: str = "T20261122-000001",
    team: str = "tech_support",
    priority: str = "P2",
    category: str = "fault",
    customer_type: str = "new",
    channel: str = "web_chat",
    subject: str = "设备无法启动",
    skill: str | None = None,
    at: datetime | None = None,
    since: datetime | None = None,
    respond: timedelta = timedelta(hours=2),
    resolve: timedelta | None = None,
    calendar_spec: dict[str, Any] | None = None,
    retriaged: bool = False,
    kb: bool = False,
) -> TicketTriaged:
    """A triage decision; ``at`` is when it was made (now unless given), the deadlines run
    ``respond`` and ``resolve`` (``respond`` + 24 hours unless given) from ``since``
    (``at``, else ``T0``)."""
    start = since or at or T0
    event: Any = TicketRetriaged if retriaged else TicketTriaged  # same data, another type
    times: dict[str, Any] = {} if at is None else {"occurred_at": at}
    return event(
        ticket_id=ticket_id or uuid.uuid4(),
        producer="triage",
        **times,
        data=TicketTriagedData(
            ticket_no=ticket_no,
            channel=channel,
            customer_type=customer_type,
            subject=subject,
            category=category,
            scene="after_sale",
            priority=priority,
            team=team,
            skill=skill,
            keywords=["无法启动"],
            deadlines=Deadlines(
                policy="cross-industry",
                calendar="24x7" if calendar_spec is None else str(calendar_spec.get("name")),
                respond_by=start + respond,
                resolve_by=start + (respond + timedelta(hours=24) if resolve is None else resolve),
                calendar_spec=calendar_spec,
            ),
            kb_suggestions=(
                [
                    KbSuggestion(
                        article_id=uuid.uuid4(), title="设备无法启动", answer="请长按电源键10秒"
                    )
                ]
                if kb
                else []
            ),
            retriage_reason="分类错误" if retriaged else None,
            masked_contact="138****5678",
        ),
    )


def assigned(
    ticket_id: uuid.UUID | None = None, *, at: datetime = T0 + timedelta(seconds=2)
) -> TicketAssigned:
    return TicketAssigned(
        ticket_id=ticket_id or uuid.uuid4(),
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


async def publish(broker: str, topic: str, *events: Envelope) -> None:
    """Put ``events`` on ``topic``, keyed by ticket as the services key them."""
    producer = AIOKafkaProducer(bootstrap_servers=broker)
    await producer.start()
    try:
        for event in events:
            value, key = event.model_dump_json().encode(), event.key().encode()
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()
