"""Delivery of customer notifications to channel gateways' webhooks.

Every ``notification.outgoing`` whose channel has a configured webhook gets a row in
``notification_deliveries`` in the same transaction as the event. A background task
claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, plus a lease, so replicas
never post the same row at the same time), POSTs them signed the Standard Webhooks
way, and records the outcome: delivered (``notification.delivered`` is emitted), or a
retry with exponential backoff, or failed after the last attempt.

Signature (https://www.standardwebhooks.com): headers ``webhook-id`` (the notification
id, stable across retries, so receivers can drop duplicates), ``webhook-timestamp``
(Unix seconds) and ``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(key,
"<id>.<timestamp>.<body>")); a ``whsec_`` secret's key is the base64 after the prefix.

E-mail notifications go through the configured SMTP relay instead when there is one and
no ``email`` webhook; they are retried and recorded the same way.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import smtplib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.intake import repository
from services.intake.notices import SMTP_RELAY
from services.intake.settings import IntakeSettings
from shared.events import (
    NotificationDelivered,
    NotificationDeliveredData,
    NotificationOutgoing,
    parse_event,
    utcnow,
)
from shared.observability import get_logger
from shared.outbox import UnitOfWork

log = get_logger(__name__)


def signing_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiving gateway does (and the tests): check signature and freshness."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lowered["webhook-timestamp"])
        expected = sign(secret, lowered["webhook-id"], timestamp, body)
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    given = lowered.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, candidate) for candidate in given)


def send_mail(settings: IntakeSettings, payload: str) -> None:
    """Send one e-mail notification through the SMTP relay (blocking; run in a thread)."""
    event = parse_event(payload)
    assert isinstance(event, NotificationOutgoing)
    data = event.data
    _, sender = parseaddr(settings.smtp_from)
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = data.to
    message["Subject"] = data.subject or "sopdesk"
    message["Message-ID"] = f"<{data.notification_id}@{sender.rpartition('@')[2] or 'sopdesk'}>"
    message.set_content(data.body)
    assert settings.smtp_relay_host is not None
    with smtplib.SMTP(
        settings.smtp_relay_host,
        settings.smtp_relay_port,
        timeout=settings.webhook_timeout_seconds,
    ) as smtp:
        if settings.smtp_relay_starttls:
            smtp.starttls()
        if settings.smtp_relay_username and settings.smtp_relay_password:
            smtp.login(
                settings.smtp_relay_username, settings.smtp_relay_password.get_secret_value()
            )
        smtp.send_message(message)


def backoff(attempts: int, base: float, cap: float) -> float:
    return float(min(base * 2 ** max(attempts - 1, 0), cap))


@dataclass(frozen=True)
class _Claimed:
    id: uuid.UUID
    target: str
    payload: str


class WebhookDeliverer:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        unit_of_work: Callable[[], UnitOfWork],
        settings: IntakeSettings,
        *,
        skip_locked: bool,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._sessions = sessions
        self._unit_of_work = unit_of_work
        self._settings = settings
        self._skip_locked = skip_locked
        self._client = client or httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        await self._client.aclose()

    async def run(self) -> None:
        # With no gateway webhook and no SMTP relay configured no delivery is ever
        # queued: a slow poll still delivers what an earlier configuration left.
        configured = bool(self._settings.notification_webhooks or self._settings.smtp_relay_host)
        poll = self._settings.webhook_poll_seconds if configured else 30.0
        while not self._stopping.is_set():
            try:
                done = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("webhook_round_failed", error=type(exc).__name__)
                done = 0
            if done >= self._settings.webhook_batch_size:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=poll)

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many deliveries were tried."""
        claimed = await self._claim()
        if not claimed:
            return 0
        errors = await asyncio.gather(*(self._post(item) for item in claimed))
        await self._record(claimed, errors)
        return len(claimed)

    async def _claim(self) -> list[_Claimed]:
        now = utcnow()
        lease = now + timedelta(seconds=self._settings.webhook_timeout_seconds + 30)
        async with self._sessions() as session, session.begin():
            rows = await repository.due_deliveries(
                session,
                now,
                self._settings.webhook_batch_size,
                skip_locked=self._skip_locked,
            )
            for row in rows:
                row.next_attempt_at = lease  # others skip it until the lease ends
            return [_Claimed(row.id, row.target, row.payload) for row in rows]

    async def _post(self, item: _Claimed) -> str | None:
        if item.target == SMTP_RELAY and item.target not in self._settings.notification_webhooks:
            try:
                await asyncio.to_thread(send_mail, self._settings, item.payload)
            except (OSError, smtplib.SMTPException) as exc:
                return f"SMTP {type(exc).__name__}"
            return None
        target = self._settings.notification_webhooks.get(item.target)
        if target is None:
            return f"no webhook configured for {item.target}"
        body = item.payload.encode()
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": str(item.id),
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(
                target.secret.get_secret_value(), str(item.id), timestamp, body
            ),
        }
        try:
            response = await self._client.post(target.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    async def _record(self, claimed: list[_Claimed], errors: list[str | None]) -> None:
        outcome = {item.id: error for item, error in zip(claimed, errors, strict=True)}
        settings = self._settings
        async with self._unit_of_work() as uow:
            rows = await repository.deliveries_for_update(uow.session, list(outcome))
            now = utcnow()
            for row in rows:
                if row.status != "pending":
                    continue
                row.attempts += 1
                error = outcome[row.id]
                if error is None:
                    row.status = "delivered"
                    row.delivered_at = now
                    row.last_error = None
                    row.payload = ""  # it held the raw contact (and maybe a code): gone now
                    uow.emit(
                        NotificationDelivered(
                            ticket_id=row.ticket_id,
                            data=NotificationDeliveredData(
                                notification_id=row.id, channel=row.channel, template=row.template
                            ),
                        )
                    )
                    log.info("webhook_delivered", notification_id=str(row.id), target=row.target)
                    continue
                row.last_error = error[:500]
                if row.attempts >= settings.webhook_max_attempts:
                    row.status = "failed"
                    row.payload = ""
                    log.warning(
                        "webhook_failed",
                        notification_id=str(row.id),
                        error=error,
                        attempts=row.attempts,
                    )
                else:
                    delay = backoff(
                        row.attempts,
                        settings.webhook_backoff_seconds,
                        settings.webhook_backoff_max_seconds,
                    )
                    row.next_attempt_at = now + timedelta(seconds=delay)
                    log.info(
                        "webhook_retry", notification_id=str(row.id), error=error, retry_in=delay
                    )
            await uow.commit()
