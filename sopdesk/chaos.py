"""The fault run (issue 15): the system on PostgreSQL with replicas of every service,
clients working the whole time, faults injected, then every effect counted.

Faults: SIGKILL of replicas of every service (intake too: mid-request, mid-batch,
mid-relay, as they fall), broker restarts followed by what an operator does
(``sopdesk topics`` and ``sopdesk replay`` of every outbox), PostgreSQL backends
terminated, and a replica paused (SIGSTOP) past its consumer session timeout.
Loopback only; bounded by ``Plan`` in time and traffic. ``sopdesk chaos`` runs it.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.broker import AUTO_CREATED_PARTITIONS
from shared.events import Topics
from shared.kafka import make_producer
from shared.settings import ServiceSettings
from sopdesk.catalogue import SERVICE_NAMES
from sopdesk.chaos_audit import Check, audit
from sopdesk.chaos_traffic import Agents, Customers, Gateway, Ledger, NotificationReader
from sopdesk.operations import _metric_sum
from sopdesk.replicas import ReplicatedSystem, service_of

# Keys of this run alone (services refuse short or placeholder keys).
_RUN_SECRET = secrets.token_urlsafe(12)
GATEWAY_KEY, AGENT_KEY, ADMIN_KEY = (f"chaos-{role}-{_RUN_SECRET}" for role in ("gw", "ag", "ad"))
KEYS = {GATEWAY_KEY: "gateway", AGENT_KEY: "agent", ADMIN_KEY: "admin"}
SESSION_TIMEOUT_MS = 6000
# Consumers of the intake topic, which get the poison sent there on purpose.
POISONED = ("triage", "followup", "analytics")


@dataclass(frozen=True)
class Plan:
    kills_per_service: int
    broker_restarts: int
    database_cuts: int
    pauses: int
    max_tickets: int  # per gateway
    gateways: int
    interval: float  # seconds between one gateway's tickets
    poison: int
    drain_seconds: float
    resolve_within: float  # agents resolve 5 s to this long after accepting

    @classmethod
    def long(cls) -> Plan:
        return cls(20, 2, 4, 2, 1200, 2, 0.6, 3, 480, 150)

    @classmethod
    def short(cls) -> Plan:
        return cls(1, 1, 1, 1, 30, 2, 0.5, 2, 240, 30)


@dataclass
class Faults:
    kills: Counter[str]
    broker_restarts: int = 0
    database_cuts: int = 0
    pauses: int = 0


class FaultRun:
    def __init__(
        self,
        plan: Plan,
        *,
        data_dir: Path,
        base_port: int,
        broker_port: int,
        postgres: str,
        console: Console,
        seed: int = 15,
    ) -> None:
        self.plan = plan
        self.console = console
        self.run_id = f"c{uuid.uuid4().hex[:6]}"
        self.database_template = f"{postgres}/sopdesk_chaos_{self.run_id}_{{service}}"
        self.system = ReplicatedSystem(
            data_dir=data_dir,
            host="127.0.0.1",
            base_port=base_port,
            broker_port=broker_port,
            api_keys=KEYS,
            console=Console(quiet=True),
            database_url=self.database_template,
            replicas=2,
            extra_env={
                "SOPDESK_DEMO_AGENT_CAPACITY": "100000",
                "SOPDESK_CONSUMER_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS),
                "SOPDESK_LOG_LEVEL": "WARNING",
                # Every demo agent on duty at any hour: at the end of a demo shift work
                # not yet accepted is handed over (assigned again), which the audit
                # would count as a second assignment of the ticket.
                "SOPDESK_DEMO_SHIFTS": "false",
            },
        )
        self.random = random.Random(seed)
        self.ledger = Ledger()
        self.faults = Faults(kills=Counter())
        self.stop_traffic = threading.Event()
        self.stop_faults = threading.Event()
        self.locks = {name: threading.Lock() for name in SERVICE_NAMES}
        self.started_at = datetime.now(UTC)
        self.reader = NotificationReader(self.system.broker.bootstrap_servers, "sopdesk")
        self.poison = [f"not json {i} {self.run_id}".encode() for i in range(plan.poison)]

    # ----------------------------------------------------------------- setup

    def _say(self, text: str) -> None:
        self.console.print(f"[dim]{datetime.now(UTC):%H:%M:%S}[/] {text}")

    def _admin(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        return httpx.request(method, url, headers=headers, timeout=10, **kwargs)

    def _short_windows(self) -> None:
        """Every priority on a 24x7 calendar with one-minute response and two-minute
        resolution windows, so warnings and breaches fire during the run."""
        triage = self.system.url("triage#0")
        active = self._admin("GET", f"{triage}/v1/sla-policies").json()["active"]
        target = {"respond": "1m", "resolve": "2m", "calendar": "24x7"}
        body = {"description": "fault run", "targets": {p: target for p in ("P0", "P1", "P2")}}
        response = self._admin("PUT", f"{triage}/v1/sla-policies/{active}", json=body)
        response.raise_for_status()

    def _send_poison(self) -> None:
        async def send() -> None:
            producer = make_producer(ServiceSettings(kafka_bootstrap_servers=self._bootstrap))
            await producer.start()
            try:
                for value in self.poison:
                    await producer.send_and_wait(Topics().intake, value=value, key=b"poison")
            finally:
                await producer.stop()

        asyncio.run(send())

    @property
    def _bootstrap(self) -> str:
        return self.system.broker.bootstrap_servers

    # ----------------------------------------------------------------- faults

    def _restart(self, name: str) -> None:
        self.system.spawn(name)
        try:
            self.system.wait_ready([name], timeout=180)
        except RuntimeError as exc:  # a replica that cannot start again is a finding
            self._say(f"[red]{name} did not come back: {exc}[/]")
            raise

    def _killer(self, service: str) -> None:
        """SIGKILL the service's replicas in turn, one down at a time, and start them again."""
        names = self.system.names(service)
        for n in range(self.plan.kills_per_service):
            if self.stop_faults.wait(self.random.uniform(1.0, 4.0)):
                return
            name = names[n % len(names)]
            with self.locks[service]:
                self.system.kill(name)
                self.faults.kills[service] += 1
                time.sleep(self.random.uniform(0.2, 1.5))
                self._restart(name)

    def _pause(self) -> None:
        """Stop a replica past its consumer session timeout, then let it go on."""
        service = ("dispatch", "followup", "analytics", "triage", "intake")[self.faults.pauses % 5]
        name = self.system.names(service)[0]
        with self.locks[service]:
            process = self.system.processes[name]
            process.send_signal(signal.SIGSTOP)
            time.sleep(SESSION_TIMEOUT_MS / 1000 + 4)
            process.send_signal(signal.SIGCONT)
            self.faults.pauses += 1
        self._say(f"paused {name} for {SESSION_TIMEOUT_MS / 1000 + 4:.0f}s")

    def _cut_database(self) -> None:
        async def cut() -> int:
            admin = create_async_engine(
                self.database_template.replace("{service}", "intake").rsplit("/", 1)[0]
                + "/postgres",
                isolation_level="AUTOCOMMIT",
                poolclass=sa.pool.NullPool,
            )
            try:
                async with admin.connect() as conn:
                    rows = await conn.execute(
                        sa.text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname LIKE :pattern AND pid <> pg_backend_pid()"
                        ),
                        {"pattern": f"sopdesk_chaos_{self.run_id}_%"},
                    )
                    return len(rows.all())
            finally:
                await admin.dispose()

        cut_count = asyncio.run(cut())
        self.faults.database_cuts += 1
        self._say(f"terminated {cut_count} PostgreSQL backends")

    def _sopdesk(self, *args: str, service: str = "intake") -> None:
        env = {
            # The services' partition count (see shared.broker), for `topics`.
            "SOPDESK_TOPIC_PARTITIONS": str(AUTO_CREATED_PARTITIONS),
            **os.environ,
            "SOPDESK_KAFKA_BOOTSTRAP_SERVERS": self._bootstrap,
            "SOPDESK_DATABASE_URL": self.database_template.replace("{service}", service),
        }
        result = subprocess.run(
            [sys.executable, "-m", "sopdesk", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"sopdesk {' '.join(args)} failed:\n{result.stderr[-2000:]}")

    def _restart_broker(self) -> None:
        """What the runbook says after the broker lost its data: topics, then replay
        every outbox (since the run began: what consumers had not read yet is gone too),
        external topics included, since gateways drop repeats by id."""
        self.system.broker.stop()
        self.system.broker.start()
        self.reader.reconnect()
        self._sopdesk("topics")
        since = (self.started_at - timedelta(seconds=5)).isoformat()
        for service in ("intake", "triage", "dispatch", "followup"):
            self._sopdesk(
                "replay", service, "--since", since, "--include-external", service=service
            )
        self.faults.broker_restarts += 1
        self._say("broker restarted, topics recreated, outboxes replayed")

    def _conductor(self, duration: float) -> None:
        """Broker restarts, database cuts and pauses spread over the run."""
        events: list[tuple[float, str]] = []
        plan = self.plan
        for kind, count in (
            ("broker", plan.broker_restarts),
            ("database", plan.database_cuts),
            ("pause", plan.pauses),
        ):
            events += [(duration * (i + 1) / (count + 1), kind) for i in range(count)]
        started = time.monotonic()
        for at, kind in sorted(events):
            if self.stop_faults.wait(max(at - (time.monotonic() - started), 0)):
                return
            {"broker": self._restart_broker, "database": self._cut_database, "pause": self._pause}[
                kind
            ]()

    # ----------------------------------------------------------------- the run

    def run(self) -> list[Check]:
        plan = self.plan
        self._say(f"starting 2 replicas of each service on PostgreSQL ({self.run_id})")
        try:
            self.system.start()
            self._say("all replicas ready")
            return self._run_started(plan)
        finally:
            self.stop_traffic.set()
            self.stop_faults.set()
            self._clean_up()

    def _clean_up(self) -> None:
        """Stop what runs (also what a failed start left) and drop the run's databases;
        a failure here is reported, never hides the audit."""
        for step in (
            lambda: self.reader.stop() if self.reader.is_alive() else None,
            self.system.stop,
            lambda: asyncio.run(self._drop_databases()),
        ):
            try:
                step()
            except Exception as exc:
                self._say(f"[yellow]clean-up: {type(exc).__name__}: {exc}[/]")

    def _run_started(self, plan: Plan) -> list[Check]:
        self._short_windows()
        self.reader.start()
        self._send_poison()
        intake = self.system.service_urls("intake")
        dispatch = self.system.service_urls("dispatch")
        followup = self.system.service_urls("followup")
        actors: list[threading.Thread] = [
            Gateway(
                i,
                intake,
                GATEWAY_KEY,
                self.ledger,
                self.stop_faults,  # gateways post for as long as faults go on
                max_tickets=plan.max_tickets,
                interval=plan.interval,
                run_id=self.run_id,
            )
            for i in range(plan.gateways)
        ]
        actors += [
            Agents(
                dispatch,
                ADMIN_KEY,
                self.system.demo_password(),
                self.ledger,
                self.stop_traffic,
                resolve_within=plan.resolve_within,
            ),
            Customers(followup, self.reader, self.ledger, self.stop_traffic),
        ]
        for actor in actors:
            actor.start()
        killers = [
            threading.Thread(target=self._killer, args=(s,), daemon=True, name=f"kill-{s}")
            for s in SERVICE_NAMES
        ]
        for killer in killers:
            killer.start()
        # Spread over the time the kills take (restarts dominate), guessed from the plan.
        expected = plan.kills_per_service * 30.0
        conductor = threading.Thread(target=self._conductor, args=(expected,), daemon=True)
        conductor.start()
        self._say("traffic and faults running")
        for killer in killers:
            killer.join()
        conductor.join()
        self.stop_faults.set()
        self._say(f"faults done: {dict(self.faults.kills)}; letting the gateways finish")
        for actor in actors[: plan.gateways]:
            actor.join()
        self._say(f"{len(self.ledger.tickets)} tickets accepted; draining")
        self._drain(plan.drain_seconds)
        self.stop_traffic.set()
        for actor in actors[plan.gateways :]:
            actor.join(30)
        return asyncio.run(self._audit())

    def _pending(self) -> dict[str, float]:
        """Unpublished outbox rows and consumer lag of every replica (from /metrics)."""
        found: dict[str, float] = {}
        for name in self.system.names():
            try:
                text = httpx.get(f"{self.system.url(name)}/metrics", timeout=5).text
            except httpx.HTTPError:
                found[f"{name} metrics"] = 1
                continue
            found[f"{name} outbox"] = _metric_sum(text, "sopdesk_outbox_pending") or 0
            found[f"{name} lag"] = _metric_sum(text, "sopdesk_consumer_lag") or 0
        return found

    def _drain(self, seconds: float) -> None:
        """Wait until nothing is pending, every ticket is through, and agents and
        customers have done their part (resolved tickets surveyed), or time is up."""
        deadline = time.monotonic() + seconds
        settled = 0
        while time.monotonic() < deadline:
            idle = all(v == 0 for v in self._pending().values())
            with self.ledger.lock:
                waiting_surveys = len(self.ledger.resolved) - len(self.ledger.surveys)
            settled = settled + 1 if idle and waiting_surveys <= 0 else 0
            # Quiet for a while: clocks due meanwhile had their minute to fire.
            if settled >= 15:
                return
            time.sleep(2.0)
        self._say("[yellow]drain time is up; auditing what there is[/]")

    async def _audit(self) -> list[Check]:
        engines: dict[str, AsyncEngine] = {
            name: create_async_engine(self.database_template.replace("{service}", name))
            for name in SERVICE_NAMES
        }
        try:
            return await audit(
                engines,
                self.ledger,
                self.reader,
                poison=self.poison,
                poisoned_consumers=POISONED,
                pending=self._pending,
            )
        finally:
            for engine in engines.values():
                await engine.dispose()

    async def _drop_databases(self) -> None:
        server = self.database_template.rsplit("/", 1)[0]
        admin = create_async_engine(
            f"{server}/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        try:
            async with admin.connect() as conn:
                for name in SERVICE_NAMES:
                    db = self.database_template.rsplit("/", 1)[1].replace("{service}", name)
                    await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        finally:
            await admin.dispose()

    def summary(self, checks: list[Check]) -> dict[str, Any]:
        return {
            "faults": {
                "kills": dict(self.faults.kills),
                "broker_restarts": self.faults.broker_restarts,
                "database_cuts": self.faults.database_cuts,
                "pauses": self.faults.pauses,
            },
            "tickets": len(self.ledger.tickets),
            "gateway_gave_up": len(self.ledger.given_up),
            "client_retries": self.ledger.retries,
            "notification_deliveries": self.reader.deliveries,
            "checks": [
                {"check": c.name, "checked": c.checked, "lost": c.lost, "doubled": c.doubled}
                for c in checks
            ],
            "lost": sum(c.lost for c in checks),
            "doubled": sum(c.doubled for c in checks),
        }


def report(console: Console, run: FaultRun, checks: list[Check]) -> bool:
    """Print the table; True when nothing was lost or doubled."""
    from rich.table import Table

    summary = run.summary(checks)
    faults = summary["faults"]
    console.print(
        f"faults: SIGKILL {sum(faults['kills'].values())} ({faults['kills']}), "
        f"broker restarts {faults['broker_restarts']}, PostgreSQL cuts "
        f"{faults['database_cuts']}, pauses past the session timeout {faults['pauses']}"
    )
    console.print(
        f"tickets accepted {summary['tickets']} (gateway gave up on {summary['gateway_gave_up']}),"
        f" client retries {summary['client_retries']}, notifications delivered "
        f"{summary['notification_deliveries']} (repeats dropped by event id)"
    )
    table = Table(title="effects")
    for column in ("check", "checked", "lost", "doubled"):
        table.add_column(column, justify="left" if column == "check" else "right")
    for check in checks:
        table.add_row(check.name, str(check.checked), str(check.lost), str(check.doubled))
    table.add_row(
        "total",
        str(sum(c.checked for c in checks)),
        str(summary["lost"]),
        str(summary["doubled"]),
    )
    console.print(table)
    for check in checks:
        for example in check.examples:
            console.print(f"  [red]{check.name}[/]: {example}", markup=True)
    ok = summary["lost"] == 0 and summary["doubled"] == 0 and not summary["gateway_gave_up"]
    (run.system.data_dir / "chaos-summary.json").write_text(json.dumps(summary, indent=2))
    return ok


def service_names_of(names: list[str]) -> list[str]:
    return sorted({service_of(n) for n in names})
