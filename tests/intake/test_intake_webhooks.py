"""Notifications out: notification.requested is rendered and sent to the customer's
contact; channels with a gateway webhook get a signed POST, retried with backoff from the
deliveries table, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from intake_support import (
    GATEWAY,
    IntakeStore,
    migrated_intake,
    received_ticket,
    running_intake,
)
from testkit import poll

from services.intake import webhooks
from services.intake.handlers import build_handlers
from services.intake.models import NotificationDelivery, Ticket
from services.intake.settings import IntakeSettings
from shared.database import supports_skip_locked
from shared.events import (
    NotificationDelivered,
    NotificationOutgoing,
    NotificationRequested,
    NotificationRequestedData,
    parse_event,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Gateway:
    """A channel gateway's webhook: records requests, answers from a list of statuses."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                gateway.requests.append((dict(self.headers.items()), body))
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    try:
        yield server
    finally:
        server.close()


def settings_for(url: str, **extra: Any) -> IntakeSettings:
    values: dict[str, Any] = {
        "notification_webhooks": {"sms": {"url": url, "secret": SECRET}},
        "webhook_backoff_seconds": 0.05,
        "webhook_max_attempts": 3,
        "webhook_timeout_seconds": 2,
    }
    values.update(extra)
    return IntakeSettings(**values)


async def new_ticket(store: IntakeStore, settings: IntakeSettings, **overrides: Any) -> Ticket:
    return await received_ticket(store, settings, **{"channel": "app", **overrides})


def deliverer(store: IntakeStore, settings: IntakeSettings) -> webhooks.WebhookDeliverer:
    return webhooks.WebhookDeliverer(
        store.sessions, store.uow, settings, skip_locked=supports_skip_locked(store.engine)
    )


async def deliveries(store: IntakeStore) -> list[NotificationDelivery]:
    async with store.sessions() as session:
        return list((await session.scalars(sa.select(NotificationDelivery))).all())


def test_signature_is_standard_webhooks() -> None:
    # The example of the Standard Webhooks specification.
    body = b'{"test": 2432232314}'
    signature = webhooks.sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": signature,
    }
    assert not webhooks.verify(SECRET, headers, body)  # too old
    assert webhooks.verify(SECRET, headers, body, tolerance=10**10)
    assert not webhooks.verify(SECRET, headers, body + b" ", tolerance=10**10)
    assert webhooks.backoff(1, 2, 600) == 2 and webhooks.backoff(4, 2, 600) == 16
    assert webhooks.backoff(20, 2, 600) == 600


class RelayClock:
    """The deliverer's clock, moved by the test: when a retry is due is decided by the
    recorded back-off, not by how fast a loaded machine runs the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def test_delivery_retries_then_succeeds_and_is_recorded(
    intake_db: IntakeStore, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(gateway.url, webhook_backoff_seconds=30)
    ticket = await new_ticket(intake_db, settings)
    (row,) = await deliveries(intake_db)
    assert (row.status, row.channel, row.template, row.target) == (
        "pending",
        "sms",
        "acknowledgement",
        "sms",
    )
    clock = RelayClock()  # starts after the row was queued: the first attempt is due
    monkeypatch.setattr(webhooks, "utcnow", clock)
    gateway.statuses = [503, 503]
    worker = deliverer(intake_db, settings)
    try:
        assert await worker.run_once() == 1
        (row,) = await deliveries(intake_db)
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 503")
        assert row.next_attempt_at == clock.now + timedelta(seconds=30)  # base back-off
        clock.advance(29.999)
        assert await worker.run_once() == 0  # not due before its back-off
        clock.advance(0.001)
        assert await worker.run_once() == 1  # due exactly when its back-off ends
        (row,) = await deliveries(intake_db)
        assert (row.status, row.attempts) == ("pending", 2)
        assert row.next_attempt_at == clock.now + timedelta(seconds=60)  # doubled
        clock.advance(59.999)
        assert await worker.run_once() == 0
        clock.advance(0.001)
        assert await worker.run_once() == 1
    finally:
        await worker.close()
    (row,) = await deliveries(intake_db)
    assert (row.status, row.attempts) == ("delivered", 3)
    assert row.delivered_at == clock.now
    assert row.payload == ""  # no raw contact kept once delivered
    assert len(gateway.requests) == 3
    ids = {headers["webhook-id"] for headers, _ in gateway.requests}
    assert ids == {str(row.id)}  # the same id on every retry: receivers drop duplicates
    for headers, body in gateway.requests:
        assert webhooks.verify(SECRET, headers, body)
        sent = parse_event(body)
        assert isinstance(sent, NotificationOutgoing)
        assert sent.data.to == "+8613812345678" and sent.ticket_id == ticket.id
    (delivered,) = await intake_db.events("notification.delivered")
    assert isinstance(delivered, NotificationDelivered)
    assert delivered.data.notification_id == row.id
    assert delivered.data.template == "acknowledgement"
    assert "13812345678" not in delivered.model_dump_json()


async def test_delivery_gives_up_after_the_last_attempt(intake_db: IntakeStore) -> None:
    settings = settings_for("http://127.0.0.1:9/closed", webhook_backoff_seconds=0)
    await new_ticket(intake_db, settings)
    worker = deliverer(intake_db, settings)
    try:
        for _ in range(3):
            assert await worker.run_once() == 1
        assert await worker.run_once() == 0
    finally:
        await worker.close()
    (row,) = await deliveries(intake_db)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error and "Error" in row.last_error
    assert await intake_db.events("notification.delivered") == []


async def test_no_webhook_no_delivery_row(intake_db: IntakeStore) -> None:
    await new_ticket(intake_db, IntakeSettings())
    assert await deliveries(intake_db) == []
    assert len(await intake_db.events("notification.outgoing")) == 1


async def test_replicas_post_each_delivery_once(database_url: str, gateway: Gateway) -> None:
    settings = settings_for(gateway.url)
    async with migrated_intake(database_url) as one, migrated_intake(database_url) as two:
        for i in range(6):
            await new_ticket(
                one,
                settings,
                customer={"phone": f"1381234560{i}"},
                subject=f"s{i}",
                description="d" * (i + 1),
            )
        workers = [deliverer(one, settings), deliverer(two, settings)]
        try:
            await asyncio.gather(*(w.run_once() for w in workers))
            await asyncio.gather(*(w.run_once() for w in workers))
        finally:
            for worker in workers:
                await worker.close()
        assert len(gateway.requests) == 6
        assert len({h["webhook-id"] for h, _ in gateway.requests}) == 6
        assert {r.status for r in await deliveries(one)} == {"delivered"}
        assert len(await one.events("notification.delivered")) == 6


async def test_notification_requested_is_rendered_and_sent(intake_db: IntakeStore) -> None:
    settings = IntakeSettings()
    ticket = await new_ticket(intake_db, settings)
    handle = build_handlers(settings)["notification.requested"]

    def requested(template: str, **params: Any) -> NotificationRequested:
        return NotificationRequested(
            ticket_id=ticket.id,
            producer="followup",
            data=NotificationRequestedData(
                template=template, channel=params.pop("channel", None), params=params
            ),
        )

    batch = [
        requested("resolution", reply="已为您重置密码。"),
        requested("survey", url="https://sopdesk.example/s/abc", channel="email"),
        # Free text is no template since every customer text is one (issue 17): skipped.
        requested("custom_text", body="自定义内容"),
        requested("never_heard_of"),  # skipped: nothing to say
        NotificationRequested(
            ticket_id=uuid.uuid4(), data=NotificationRequestedData(template="resolution")
        ),  # not ours: skipped
    ]
    async with intake_db.uow() as uow:
        await handle(batch, uow)
        await uow.commit()
    sent = [
        e
        for e in await intake_db.events("notification.outgoing")
        if isinstance(e, NotificationOutgoing) and e.data.template != "acknowledgement"
    ]
    assert [e.data.template for e in sent] == ["resolution", "survey"]
    resolution, survey = sent
    assert "已为您重置密码。" in resolution.data.body and ticket.ticket_no in resolution.data.body
    assert (resolution.data.channel, resolution.data.to) == ("sms", "+8613812345678")
    assert (survey.data.channel, survey.data.to) == ("email", "li@example.com")
    assert survey.data.subject == f"[{ticket.ticket_no}] {ticket.subject}"
    assert "https://sopdesk.example/s/abc" in survey.data.body
    assert resolution.correlation_id == batch[0].correlation_id


async def test_webhook_through_the_running_service(
    tmp_path: Path, broker: str, topic_prefix: str, gateway: Gateway
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    extra = {
        "notification_webhooks": {"sms": {"url": gateway.url, "secret": SECRET}},
        "webhook_poll_seconds": 0.05,
    }
    async with running_intake(url, broker, topic_prefix, **extra) as (client, store):
        created = await client.post(
            "/v1/tickets",
            json={
                "channel": "phone",
                "customer": {"phone": "13812345678"},
                "subject": "账号无法登录",
                "description": "提示密码错误",
            },
            headers=GATEWAY,
        )
        assert created.status_code == 201

        async def delivered() -> bool:
            return any(r.status == "delivered" for r in await deliveries(store))

        await poll(delivered)
        (headers, body) = gateway.requests[0]
        assert webhooks.verify(SECRET, headers, body)
        assert json.loads(body)["data"]["template"] == "acknowledgement"
        assert json.loads(body)["ticket_id"] == created.json()["ticket_id"]
        row = (await deliveries(store))[0]
        assert row.delivered_at is not None and row.delivered_at - row.created_at < timedelta(
            seconds=30
        )
