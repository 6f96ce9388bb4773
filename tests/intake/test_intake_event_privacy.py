"""Contacts typed into free text leave intake masked; the raw text stays in its store.
Notifications (raw contact, codes) are published, kept for the replay window only, then
dropped from the outbox."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from intake_support import GATEWAY, published_notifications, running_intake
from testkit import poll

from services.intake.models import BUS, Ticket
from shared.database import prune_bus_tables
from shared.events import NotificationOutgoing, TicketReceived, Topics, utcnow


async def test_free_text_is_masked_in_events_and_notifications_leave_the_outbox_in_time(
    tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    typed = "请回电 139.8765.4321 或座机 010-66554433,邮箱 li.si@example.com"
    async with running_intake(url, broker, topic_prefix) as (client, store):
        response = await client.post(
            "/v1/tickets",
            json={
                "channel": "web_chat",
                "customer": {"name": "李四", "phone": "13812345678"},
                "subject": "回电 13912345678",
                "description": typed,
            },
            headers=GATEWAY,
        )
        assert response.status_code == 201, response.text
        ticket_id = uuid.UUID(response.json()["ticket_id"])
        (received,) = [e for e in await store.events("ticket.received")]
        assert isinstance(received, TicketReceived)
        text = received.data.subject + received.data.description
        for raw in ("8765", "6655", "li.si@", "1234"):
            assert raw not in text, text
        assert "139****4321" in received.data.description
        async with store.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            assert ticket is not None and ticket.description == typed  # intake keeps it

        # The acknowledgement goes out raw on sopdesk.notifications; its row stays for the
        # replay window (a broker that lost it before the gateway read it can be replayed).
        (notice,) = await published_notifications(broker, topic_prefix, 1)
        assert isinstance(notice, NotificationOutgoing)
        assert notice.data.to == "+8613812345678"

        async def published_topics() -> list[str]:
            async with store.sessions() as session:
                rows = await session.execute(
                    sa.select(BUS.outbox.c.topic).where(BUS.outbox.c.published_at.is_not(None))
                )
                return sorted(row.topic for row in rows)

        async def notification_published() -> bool:
            return any(t.endswith(".notifications") for t in await published_topics())

        await poll(notification_published)

        # Past the window the notification row goes; the week-long retention keeps the rest.
        now = utcnow()
        async with store.sessions() as session, session.begin():
            await prune_bus_tables(
                session,
                BUS,
                now - timedelta(days=7),
                short_lived=[Topics(topic_prefix).notifications],
                short_lived_older_than=now + timedelta(seconds=1),
            )
        left = await published_topics()
        assert left and not any(t.endswith(".notifications") for t in left), left
