"""Intake's HTTP surface through its app factory, with its lifespan running against the
session's local broker: a ticket created and replayed, read back, refused input, keys and
roles, health, readiness, metrics, and the relay publishing the outbox."""

from __future__ import annotations

import uuid
from pathlib import Path

from intake_support import GATEWAY, RAW_PHONE, SUPERVISOR, running_intake, ticket_body
from testkit import poll, ready_checks

from services.intake.models import Ticket


async def test_intake_http(tmp_path: Path, broker: str, topic_prefix: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    # The local broker answers a group join after half of the session timeout: keep it quick.
    running = running_intake(url, broker, topic_prefix, consumer_session_timeout_ms=1500)
    async with running as (client, store):
        created = await client.post(
            "/v1/tickets", json=ticket_body(), headers={**GATEWAY, "Idempotency-Key": "k1"}
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["status"] == "received"
        assert body["customer_type"] == "new"
        assert body["ticket_no"] in body["acknowledgement"]
        assert "Idempotent-Replayed" not in created.headers
        assert created.headers.get("x-correlation-id")

        replay = await client.post(
            "/v1/tickets", json=ticket_body(), headers={**GATEWAY, "Idempotency-Key": "k1"}
        )
        assert replay.status_code == 201
        assert replay.headers.get("Idempotent-Replayed") == "true"
        assert replay.json()["ticket_id"] == body["ticket_id"]

        view = await client.get(f"/v1/tickets/{body['ticket_id']}", headers=SUPERVISOR)
        assert view.status_code == 200, view.text
        ticket = view.json()
        assert ticket["status"] == "received"
        assert ticket["ticket_no"] == body["ticket_no"]
        assert [item["kind"] for item in ticket["timeline"]] == ["received"]
        assert ticket["timeline"][0]["text"]

        customer = await client.get(f"/v1/customers/{body['customer_id']}", headers=SUPERVISOR)
        assert customer.status_code == 200, customer.text
        assert customer.json()["masked_phone"] == "138****5678"
        assert [t["ticket_id"] for t in customer.json()["tickets"]] == [body["ticket_id"]]
        for raw in (RAW_PHONE, "+8613812345678", "12345678"):
            assert raw not in customer.text

        missing = await client.get(f"/v1/tickets/{uuid.uuid4()}", headers=SUPERVISOR)
        assert missing.status_code == 404
        assert missing.json()["code"] == "ticket_not_found"

        unknown_channel = await client.post(
            "/v1/tickets", json=ticket_body(channel="pigeon"), headers=GATEWAY
        )
        assert unknown_channel.status_code == 422
        assert unknown_channel.json()["code"] == "validation_error"

        no_identity = await client.post(
            "/v1/tickets", json=ticket_body(customer={"name": "x"}), headers=GATEWAY
        )
        assert no_identity.status_code == 422
        assert no_identity.json()["code"] == "validation_error"

        bad_phone = await client.post(
            "/v1/tickets", json=ticket_body(customer={"phone": "12345"}), headers=GATEWAY
        )
        assert bad_phone.status_code == 422
        assert bad_phone.json()["code"] == "invalid_phone"

        anonymous = await client.post("/v1/tickets", json=ticket_body())
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "unauthorized"
        wrong_key = await client.post(
            "/v1/tickets", json=ticket_body(), headers={"Authorization": "Bearer nope"}
        )
        assert wrong_key.status_code == 401
        assert wrong_key.json()["code"] == "unauthorized"

        wrong_role = await client.post("/v1/tickets", json=ticket_body(), headers=SUPERVISOR)
        assert wrong_role.status_code == 403
        assert wrong_role.json()["code"] == "forbidden"

        # Only the two good requests wrote anything: one ticket, one event.
        assert await store.count(Ticket) == 1

        health = await client.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "service": "intake"}

        assert await ready_checks(client) == {
            "database": "ok",
            "schema": "ok",
            "broker": "ok",
            "consumer": "ok",
        }

        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert "sopdesk_http_requests_total" in metrics.text
        assert 'route="/v1/tickets"' in metrics.text

        # The relay publishes the outbox rows after the commit (the acknowledgement's row,
        # a notification with the customer's contact, stays for the replay window only).
        async def published() -> bool:
            rows = await store.outbox()
            return sorted(r.type for r in rows) == [
                "notification.outgoing",
                "ticket.received",
            ] and all(r.published_at is not None for r in rows)

        await poll(published)
