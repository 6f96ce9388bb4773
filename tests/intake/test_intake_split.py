"""Undoing a wrong merge, on SQLite and PostgreSQL: a customer message that one issue, one
ticket joined to the wrong ticket is split off into a new ticket through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from intake_support import GATEWAY, IntakeStore, intake_settings, running_intake
from testkit import person_token

from services.intake.handlers import build_handlers
from services.intake.models import Customer, TicketMessage, TimelineEntry
from shared.events import TicketAssigned, TicketAssignedData, TicketReceived

HANDLERS = build_handlers(intake_settings("sqlite+aiosqlite://"))
AGENT_ID = uuid.UUID("4d1c2b3a-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
TECH_AGENT = person_token(
    "wangfang", roles=("agent",), display_name="王芳", teams=("tech_support",)
)
FINANCE_AGENT = person_token("lina", roles=("agent",), teams=("finance",))
TECH_LEAD = person_token("lead", roles=("supervisor",), supervises=("tech_support",))
VIEWER = person_token("viewer", roles=("viewer",))
ADMIN_PERSON = person_token("root", roles=("admin",), display_name="管理员")

CUSTOMER = {"name": "李四", "phone": "13800001111"}


async def _open(client: httpx.AsyncClient, subject: str, description: str) -> dict[str, Any]:
    response = await client.post(
        "/v1/tickets",
        json={
            "channel": "web_chat",
            "customer": CUSTOMER,
            "subject": subject,
            "description": description,
        },
        headers=GATEWAY,
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def _assign(store: IntakeStore, ticket_id: uuid.UUID, team: str) -> None:
    now = datetime.now(UTC)
    event = TicketAssigned(
        ticket_id=ticket_id,
        occurred_at=now,
        data=TicketAssignedData(
            assignment_id=uuid.uuid4(),
            ticket_no="T",
            team=team,
            agent_id=AGENT_ID,
            agent_name="王芳",
            priority="P0",
            category="fault",
            assigned_at=now,
        ),
    )
    async with store.uow() as uow:
        await HANDLERS[event.type]([event], uow)
        await uow.commit()


async def test_a_wrongly_joined_message_becomes_a_ticket_of_its_own(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_intake(database_url, broker, topic_prefix) as (client, store):
        first = await _open(client, "付款失败", "下单付款一直失败")
        # Joined by one issue, one ticket; say it was wrong.
        joined = await _open(client, "支付问题", "支付一直不成功,订单SO20261202777")
        assert joined["deduplicated"] is True and joined["ticket_id"] == first["ticket_id"]
        ticket_id, message_id = uuid.UUID(first["ticket_id"]), joined["message_id"]
        await _assign(store, ticket_id, "tech_support")
        path = f"/v1/tickets/{ticket_id}/messages/{message_id}/split"

        for who in (FINANCE_AGENT, VIEWER):
            refused = await client.post(path, headers=who)
            assert refused.status_code == 403, refused.text
        assert (await client.post(path, headers=GATEWAY)).status_code == 403
        assert (await client.post(path)).status_code == 401

        split = await client.post(path, headers=TECH_AGENT)
        assert split.status_code == 201, split.text
        body = split.json()
        assert body["split_from_ticket_id"] == str(ticket_id)
        assert body["ticket_no"] != first["ticket_no"] and body["replayed"] is False
        assert body["match_reason"] == joined["match_reason"]
        new_id = uuid.UUID(body["ticket_id"])

        # Idempotent: the same new ticket, also for the team's supervisor.
        again = await client.post(path, headers=TECH_LEAD)
        assert again.status_code == 200, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert (again.json()["ticket_id"], again.json()["replayed"]) == (str(new_id), True)

        # Announced like any new ticket, so triage and dispatch take it from here.
        received = {
            e.ticket_id: e
            for e in await store.events("ticket.received")
            if isinstance(e, TicketReceived)
        }
        assert set(received) == {ticket_id, new_id}
        event = received[new_id]
        assert isinstance(event, TicketReceived)
        assert event.data.subject == "支付问题"
        assert event.data.description.startswith("支付一直不成功,订单")
        assert event.data.order_no == "SO20261202777"
        assert event.data.customer_id == received[ticket_id].data.customer_id
        assert event.data.masked_contact == "138****1111"
        assert event.data.ticket_no == body["ticket_no"]

        async with store.sessions() as session:
            message = await session.get(TicketMessage, uuid.UUID(message_id))
            assert message is not None and message.split_into_id == new_id
            lines = (
                await session.scalars(
                    sa.select(TimelineEntry).where(TimelineEntry.kind == "message_split")
                )
            ).all()
            assert [(e.ticket_id, e.customer_visible) for e in lines] == [(ticket_id, False)]
            assert "王芳" in lines[0].text and body["ticket_no"] in lines[0].text
            customer = await session.get(Customer, event.data.customer_id)
            assert customer is not None and customer.ticket_count == 2

        # The original's conversation no longer lists it; the new ticket reads as split.
        conversation = await client.get(f"/v1/tickets/{ticket_id}/messages", headers=TECH_AGENT)
        assert conversation.status_code == 200, conversation.text
        assert message_id not in conversation.text
        view = await client.get(f"/v1/tickets/{new_id}", headers=ADMIN_PERSON)
        assert view.status_code == 200, view.text
        assert view.json()["status"] == "received"


async def test_unknown_and_foreign_messages_are_404(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_intake(database_url, broker, topic_prefix) as (client, store):
        first = await _open(client, "耳机充不进电", "蓝牙耳机插上充电线没反应")
        other = await _open(client, "发票", "这单能开发票吗")
        assert other["ticket_id"] != first["ticket_id"]
        posted = await client.post(
            f"/v1/tickets/{other['ticket_id']}/messages",
            json={"body": "抬头写公司名", "channel": "web_chat"},
            headers=GATEWAY,
        )
        assert posted.status_code == 202, posted.text
        foreign = posted.json()["message_id"]
        missing = await client.post(
            f"/v1/tickets/{first['ticket_id']}/messages/{foreign}/split", headers=ADMIN_PERSON
        )
        assert (missing.status_code, missing.json()["code"]) == (404, "message_not_found")
        nowhere = await client.post(
            f"/v1/tickets/{uuid.uuid4()}/messages/{foreign}/split", headers=ADMIN_PERSON
        )
        assert (nowhere.status_code, nowhere.json()["code"]) == (404, "ticket_not_found")
        garbage = await client.post(
            f"/v1/tickets/{first['ticket_id']}/messages/not-a-uuid/split", headers=ADMIN_PERSON
        )
        assert garbage.status_code == 422
        # A posted message (not a merge) may be split too: the customer raised a new issue.
        split = await client.post(
            f"/v1/tickets/{other['ticket_id']}/messages/{foreign}/split", headers=ADMIN_PERSON
        )
        assert split.status_code == 201, split.text
        (event,) = [
            e
            for e in await store.events("ticket.received")
            if str(e.ticket_id) == split.json()["ticket_id"]
        ]
        assert isinstance(event, TicketReceived)
        assert event.data.description == "抬头写公司名"
