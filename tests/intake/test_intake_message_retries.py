"""A gateway retrying a customer message with its Idempotency-Key adds it once (a double
the fault run of issue 15 found: a retry after a timeout added the message again)."""

from __future__ import annotations

from pathlib import Path

from intake_support import GATEWAY, running_intake

from services.intake.models import Ticket, TicketMessage

# The ticket both tests post.
TICKET = {
    "channel": "app",
    "customer": {"phone": "13812345678"},
    "subject": "物流延迟",
    "description": "三天没有物流信息",
}


async def test_a_retried_message_is_added_once(
    tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with running_intake(url, broker, topic_prefix) as (client, store):
        created = await client.post("/v1/tickets", json=TICKET, headers=GATEWAY)
        assert created.status_code == 201, created.text
        ticket_id = created.json()["ticket_id"]
        path = f"/v1/tickets/{ticket_id}/messages"
        retry = {**GATEWAY, "Idempotency-Key": "gw-msg-1"}
        first = await client.post(path, json={"body": "请问进度?"}, headers=retry)
        again = await client.post(path, json={"body": "请问进度?"}, headers=retry)
        assert first.status_code == again.status_code == 202
        assert again.json()["message_id"] == first.json()["message_id"]
        assert await store.count(TicketMessage) == 1
        added = [e for e in await store.events("ticket.message_added")]
        assert len(added) == 1

        # Without a key, or with another, it is a new message.
        other = await client.post(
            path, json={"body": "请问进度?"}, headers={**GATEWAY, "Idempotency-Key": "gw-msg-2"}
        )
        assert other.json()["message_id"] != first.json()["message_id"]
        assert await store.count(TicketMessage) == 2

        # The key of a message of one ticket cannot name a message of another.
        second = await client.post(
            "/v1/tickets", json={**TICKET, "customer": {"phone": "13912345678"}}, headers=GATEWAY
        )
        reused = await client.post(
            f"/v1/tickets/{second.json()['ticket_id']}/messages",
            json={"body": "x"},
            headers=retry,
        )
        assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"


async def test_a_blank_idempotency_key_is_refused_and_nothing_is_stored(
    tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    """A blank key was stored as the key "": the second blank request was a 500 (a unique
    violation) on both stores; schemathesis found it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with running_intake(url, broker, topic_prefix) as (client, store):
        blank = {**GATEWAY, "Idempotency-Key": ""}
        refused = await client.post("/v1/tickets", json=TICKET, headers=blank)
        assert refused.status_code == 422, refused.text
        assert await store.count(Ticket) == 0
        created = await client.post("/v1/tickets", json=TICKET, headers=GATEWAY)
        path = f"/v1/tickets/{created.json()['ticket_id']}/messages"
        for _ in range(2):
            again = await client.post(path, json={"body": "请问进度?"}, headers=blank)
            assert again.status_code == 422, again.text
            assert again.json()["code"] == "validation_error"
        assert await store.count(TicketMessage) == 0
