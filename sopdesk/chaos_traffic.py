"""What keeps the system busy during the fault run: gateways, agents, customers
answering surveys, and a gateway's reader of the notifications topic.

Every actor behaves as a real client does under faults: on an error or a timeout it
tries again (another replica, the same ``Idempotency-Key``) until it gets an answer,
and it records what the system acknowledged, for the audit afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

# Subjects that reach every team and both kinds of callback (after-sales, suggestion).
SUBJECTS = (
    ("账号无法登录", "提示密码错误,无法进入系统"),
    ("物流延迟", "订单三天没有更新物流信息"),
    ("申请退款", "商品有质量问题,申请退款"),
    ("投诉客服态度", "客服态度很差,投诉"),
    ("建议增加夜间模式", "希望应用增加夜间模式"),
    ("请问发票怎么开", "咨询一下发票的开具方式"),
)
_SURVEY_TOKEN = re.compile(r"/v1/surveys/([A-Za-z0-9._~-]+)")
RETRY_FOR_SECONDS = 180.0


def left_alone(ticket_id: str) -> bool:
    """One ticket in five is never worked, so its clocks warn and breach."""
    return uuid.UUID(ticket_id).int % 5 == 0


@dataclass
class Ledger:
    """What the clients were told, shared by the actor threads (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tickets: dict[str, str] = field(default_factory=dict)  # idempotency key → ticket id
    answers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    given_up: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)  # message key → ticket id
    accepted: set[str] = field(default_factory=set)  # assignment ids
    resolved: dict[str, str] = field(default_factory=dict)  # assignment id → ticket id
    surveys: dict[str, str] = field(default_factory=dict)  # token → ticket id (answered)
    retries: int = 0


def _retrying(
    attempt: Callable[[httpx.Client, str], httpx.Response | None],
    urls: list[str],
    client: httpx.Client,
    ledger: Ledger,
    stop: threading.Event,
) -> httpx.Response | None:
    """Call ``attempt`` on the replicas in turn until one gives a final answer.

    ``attempt`` returns None to ask for another try (a 5xx, a 429 or a refusal that
    a restart explains); an exception of the connection or a timeout also retries.
    """
    deadline = time.monotonic() + RETRY_FOR_SECONDS
    for n in itertools.count():
        url = urls[n % len(urls)]
        try:
            response = attempt(client, url)
            if response is not None:
                return response
        except httpx.HTTPError:
            pass
        with ledger.lock:
            ledger.retries += 1
        if time.monotonic() > deadline or (stop.is_set() and n > 50):
            return None
        time.sleep(min(0.2 * (n + 1), 2.0))
    return None


class Gateway(threading.Thread):
    """Posts tickets (and now and then a customer message) at a steady pace."""

    def __init__(
        self,
        number: int,
        urls: list[str],
        key: str,
        ledger: Ledger,
        stop: threading.Event,
        *,
        max_tickets: int,
        interval: float,
        run_id: str,
    ) -> None:
        super().__init__(daemon=True, name=f"gateway-{number}")
        self.number, self.urls, self.key, self.ledger = number, urls, key, ledger
        self.stop_event, self.max_tickets, self.interval = stop, max_tickets, interval
        self.run_id = run_id
        self.random = random.Random(number)

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(timeout=5.0, headers=headers) as client:
            for n in range(self.max_tickets):
                if self.stop_event.is_set():
                    return
                self._post_ticket(client, n)
                if n % 3 == 1:
                    self._post_message(client)
                time.sleep(self.interval)

    def _post_ticket(self, client: httpx.Client, n: int) -> None:
        key = f"{self.run_id}-g{self.number}-{n}"
        subject, description = SUBJECTS[(n + self.number) % len(SUBJECTS)]
        body = {
            "channel": "app",
            "customer": {"phone": f"+86139{self.number:02d}{n:06d}"},
            "subject": subject,
            "description": f"{description} ({key})",
        }

        def attempt(c: httpx.Client, url: str) -> httpx.Response | None:
            response = c.post(f"{url}/v1/tickets", json=body, headers={"Idempotency-Key": key})
            if response.status_code in (200, 201):
                with self.ledger.lock:
                    self.ledger.answers[key].add(response.json()["ticket_id"])
                return response
            if response.status_code >= 500 or response.status_code == 429:
                return None
            raise RuntimeError(f"ticket {key} refused: {response.status_code} {response.text}")

        response = _retrying(attempt, self.urls, client, self.ledger, self.stop_event)
        with self.ledger.lock:
            if response is None:
                self.ledger.given_up.append(key)
            else:
                self.ledger.tickets[key] = response.json()["ticket_id"]

    def _post_message(self, client: httpx.Client) -> None:
        with self.ledger.lock:
            # Only tickets agents leave alone: a message after closure would reopen one.
            open_tickets = sorted((k, t) for k, t in self.ledger.tickets.items() if left_alone(t))
            if not open_tickets:
                return
            key, ticket_id = self.random.choice(open_tickets)
            message_key = f"{key}-m{len(self.ledger.messages)}"
        body = {"body": f"请问处理进度如何? ({message_key})"}

        def attempt(c: httpx.Client, url: str) -> httpx.Response | None:
            response = c.post(
                f"{url}/v1/tickets/{ticket_id}/messages",
                json=body,
                headers={"Idempotency-Key": message_key},
            )
            if response.status_code in (200, 201, 202):
                return response
            if response.status_code >= 500 or response.status_code in (404, 429):
                return None  # 404: the ticket is not visible on that replica's read yet
            raise RuntimeError(f"message {message_key} refused: {response.status_code}")

        if _retrying(attempt, self.urls, client, self.ledger, self.stop_event) is not None:
            with self.ledger.lock:
                self.ledger.messages[message_key] = ticket_id


class Agents(threading.Thread):
    """Accepts assigned work and resolves it a little later, as the assigned agent.

    One ticket in five is left alone, so its clocks warn and breach.
    """

    def __init__(
        self,
        urls: list[str],
        admin_key: str,
        password: str,
        ledger: Ledger,
        stop: threading.Event,
        *,
        resolve_within: float = 150.0,
    ) -> None:
        super().__init__(daemon=True, name="agents")
        self.urls, self.admin_key, self.password = urls, admin_key, password
        self.ledger, self.stop_event = ledger, stop
        self.resolve_within = resolve_within
        self.random = random.Random(7)
        self.resolve_after: dict[str, float] = {}
        # Each agent acts signed in as themselves (the demo people share one password);
        # access tokens live 60 s, so one is kept for 40 s at most.
        self.logins: dict[str, str] = {}
        self.tokens: dict[str, tuple[str, float]] = {}

    def run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while not self.stop_event.is_set():
                # A replica that went away mid-listing: the next round sees the rest.
                with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                    self._round(client)
                time.sleep(1.0)

    def _headers(self, client: httpx.Client, url: str, agent_id: str) -> dict[str, str]:
        token, taken_at = self.tokens.get(agent_id, ("", 0.0))
        if time.monotonic() - taken_at > 40:
            if agent_id not in self.logins:
                people = client.get(
                    f"{url}/v1/people",
                    params={"role": "agent", "limit": 1000},
                    headers={"Authorization": f"Bearer {self.admin_key}"},
                )
                people.raise_for_status()
                self.logins.update({p["id"]: p["login"] for p in people.json()})
            signed = client.post(
                f"{url}/v1/auth/sign-in",
                json={"login": self.logins[agent_id], "password": self.password},
            )
            signed.raise_for_status()
            token = signed.json()["access_token"]
            self.tokens[agent_id] = (token, time.monotonic())
        return {"Authorization": f"Bearer {token}"}

    def _round(self, client: httpx.Client) -> None:
        url = self.random.choice(self.urls)
        for state in ("assigned", "accepted"):
            listed = client.get(
                f"{url}/v1/assignments",
                params={"state": state, "limit": 1000},
                headers={"Authorization": f"Bearer {self.admin_key}"},
            )
            listed.raise_for_status()
            for row in listed.json():
                if self.stop_event.is_set():
                    return
                if left_alone(row["ticket_id"]):
                    continue
                if state == "assigned":
                    self._act(client, row, "accept", {})
                    later = self.random.uniform(5, self.resolve_within)
                    self.resolve_after[row["id"]] = time.monotonic() + later
                elif time.monotonic() >= self.resolve_after.get(row["id"], 0):
                    body = {"resolution_code": "fixed", "public_reply": "您好,问题已处理。"}
                    if self._act(client, row, "resolve", body):
                        with self.ledger.lock:
                            self.ledger.resolved[row["id"]] = row["ticket_id"]

    def _act(self, client: httpx.Client, row: dict[str, Any], action: str, body: Any) -> bool:
        def attempt(c: httpx.Client, url: str) -> httpx.Response | None:
            response = c.post(
                f"{url}/v1/assignments/{row['id']}/{action}",
                json=body,
                headers=self._headers(c, url, row["agent_id"]),
            )
            if response.status_code in (200, 409):  # 409: done by our previous try
                return response
            if response.status_code >= 500 or response.status_code == 429:
                return None
            raise RuntimeError(f"{action} {row['id']}: {response.status_code} {response.text}")

        response = _retrying(attempt, self.urls, client, self.ledger, self.stop_event)
        if response is not None and action == "accept":
            with self.ledger.lock:
                self.ledger.accepted.add(row["id"])
        return response is not None


class Customers(threading.Thread):
    """Answers every survey link the gateway reader has seen, once (satisfied)."""

    def __init__(
        self, urls: list[str], reader: NotificationReader, ledger: Ledger, stop: threading.Event
    ) -> None:
        super().__init__(daemon=True, name="customers")
        self.urls, self.reader, self.ledger, self.stop_event = urls, reader, ledger, stop

    def run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while not self.stop_event.is_set():
                for token, ticket_id in self.reader.survey_links():
                    with self.ledger.lock:
                        if token in self.ledger.surveys:
                            continue
                    self._answer(client, token, ticket_id)
                time.sleep(1.0)

    def _answer(self, client: httpx.Client, token: str, ticket_id: str) -> None:
        body = {"resolved": True, "score": 5, "comment": "谢谢"}

        def attempt(c: httpx.Client, url: str) -> httpx.Response | None:
            response = c.post(f"{url}/v1/surveys/{token}", json=body)
            if response.status_code in (200, 201, 409):  # 409: our previous try counted
                return response
            if response.status_code >= 500 or response.status_code in (404, 429):
                return None
            raise RuntimeError(f"survey of {ticket_id}: {response.status_code} {response.text}")

        if _retrying(attempt, self.urls, client, self.ledger, self.stop_event) is not None:
            with self.ledger.lock:
                self.ledger.surveys[token] = ticket_id


class NotificationReader(threading.Thread):
    """A gateway's reader of ``<prefix>.notifications`` and of the dead-letter topics.

    It keeps every message it was given by event id, as a gateway that drops repeats
    does. The local broker forgets everything when it restarts: ``reconnect`` starts
    a fresh reader from the beginning of the recreated topics.
    """

    def __init__(self, bootstrap: str, prefix: str) -> None:
        super().__init__(daemon=True, name="notification-reader")
        self.bootstrap, self.prefix = bootstrap, prefix
        self.lock = threading.Lock()
        self.notifications: dict[str, dict[str, Any]] = {}  # event id → envelope
        self.deliveries = 0
        self.dead_letters: list[tuple[str, bytes]] = []  # (topic, value)
        self._seen_dead: set[tuple[str, int, int, int]] = set()
        self._generation = 0
        self._stopping = threading.Event()

    def reconnect(self) -> None:
        with self.lock:
            self._generation += 1

    def stop(self) -> None:
        self._stopping.set()
        self.join(20)

    def survey_links(self) -> list[tuple[str, str]]:
        with self.lock:
            found = []
            for event in self.notifications.values():
                if event["data"].get("template") != "survey":
                    continue
                match = _SURVEY_TOKEN.search(event["data"].get("body", ""))
                if match:
                    found.append((match.group(1), event["ticket_id"]))
            return found

    def run(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        while not self._stopping.is_set():
            generation = self._generation
            reader = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                group_id=None,
                auto_offset_reset="earliest",
                enable_auto_commit=False,
                metadata_max_age_ms=2000,
                fetch_max_wait_ms=100,
            )
            try:
                await reader.start()
                reader.subscribe(pattern=rf"^{re.escape(self.prefix)}\.(notifications|dlq\..+)$")
                while not self._stopping.is_set() and generation == self._generation:
                    batch = await reader.getmany(timeout_ms=300)
                    for tp, records in batch.items():
                        for record in records:
                            self._keep(tp.topic, tp.partition, record, generation)
            except Exception:  # the broker restarts under us: read again, from the start
                await asyncio.sleep(1.0)
            finally:
                # Stopping a reader whose broker went away may raise even CancelledError.
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await reader.stop()

    def _keep(self, topic: str, partition: int, record: Any, generation: int) -> None:
        with self.lock:
            if topic.endswith(".notifications"):
                self.deliveries += 1
                try:
                    event = json.loads(record.value)
                except ValueError:
                    return
                self.notifications.setdefault(event["event_id"], event)
                return
            seen = (topic, partition, record.offset, generation)
            if seen not in self._seen_dead:  # re-read after a reconnect is not a new one
                self._seen_dead.add(seen)
                self.dead_letters.append((topic, bytes(record.value or b"")))
