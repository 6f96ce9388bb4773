"""The whole system on one machine: the local broker and five service processes on SQLite."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import httpx
from rich.console import Console
from rich.markup import escape

from shared.broker import AUTO_CREATED_PARTITIONS, LocalBroker
from shared.migrations import ensure_database, upgrade
from shared.tokens import generate_keypair
from sopdesk.catalogue import SERVICE_NAMES, WORKSPACE, entry
from sopdesk.private_files import write_private


class LocalSystem:
    def __init__(
        self,
        *,
        data_dir: Path,
        host: str,
        base_port: int,
        broker_port: int,
        api_keys: dict[str, str],
        demo: bool,
        console: Console,
        database_url: str | None = None,
        smtp_port: int | None = None,
        workspace: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self.ports = {name: base_port + i for i, name in enumerate(SERVICE_NAMES)}
        # The web workspace follows the five (base port + 5); it has no store to migrate.
        self.workspace = workspace
        if workspace:
            self.ports[WORKSPACE] = base_port + len(SERVICE_NAMES)
        self.api_keys = api_keys
        self.demo = demo
        self.database_url_template = database_url
        self.smtp_port = smtp_port
        self.console = console
        self.logs = data_dir / "logs"
        self.broker = LocalBroker(host, broker_port, log_file=self.logs / "broker.log")
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._log_files: list[IO[bytes]] = []
        self._stop = threading.Event()

    def database_url(self, service: str) -> str:
        if self.database_url_template:
            return self.database_url_template.replace("{service}", service)
        return f"sqlite+aiosqlite:///{self.data_dir / f'{service}.db'}"

    def urls(self) -> dict[str, str]:
        return {name: f"http://{self.host}:{port}" for name, port in self.ports.items()}

    def local_secret(self, name: str, size: int = 32) -> str:
        """A secret made once for this data directory and kept in secrets.json (mode 600)."""
        path = self.data_dir / "secrets.json"
        saved: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        if name not in saved:
            saved[name] = secrets.token_urlsafe(size)
            write_private(path, json.dumps(saved, indent=2))
        return saved[name]

    def token_keys(self) -> tuple[str, str]:
        """The Ed25519 pair that signs people's access tokens, made once for this data
        directory and kept in token-keys.json (mode 600): (private PEM, public PEM)."""
        path = self.data_dir / "token-keys.json"
        if path.exists():
            saved: dict[str, str] = json.loads(path.read_text())
            return saved["private"], saved["public"]
        private, public = generate_keypair()
        write_private(path, json.dumps({"private": private, "public": public}, indent=2))
        return private, public

    def demo_password(self) -> str:
        """The demo people's password, made once for this data directory."""
        return self.local_secret("demo_password", size=9)  # short enough to type

    def _env(self, service: str) -> dict[str, str]:
        env = dict(os.environ)
        # Secrets the services must share across restarts; the environment wins.
        env.setdefault("SOPDESK_VERIFICATION_SECRET", self.local_secret("verification"))
        env.setdefault("SOPDESK_SURVEY_SECRET", self.local_secret("survey"))
        private, public = self.token_keys()
        env.setdefault("SOPDESK_TOKEN_PUBLIC_KEY", public)
        if service == "dispatch":
            env.setdefault("SOPDESK_TOKEN_PRIVATE_KEY", private)
            if self.demo:
                env.setdefault("SOPDESK_DEMO_PASSWORD", self.demo_password())
                # The demo teams work in shifts (24×7: the demo assigns at any hour).
                env.setdefault("SOPDESK_DEMO_SHIFTS", "true")
        env.setdefault(
            "SOPDESK_SURVEY_BASE_URL", f"http://{self.host}:{self.ports['followup']}/v1/surveys/"
        )
        if service == WORKSPACE:
            env.update({f"SOPDESK_{name.upper()}_URL": self.urls()[name] for name in SERVICE_NAMES})
            env.setdefault("SOPDESK_WORKSPACE_SECRET", self.local_secret("workspace"))
            # `up` serves plain HTTP on this machine: a Secure cookie would never be sent.
            env.setdefault("SOPDESK_COOKIE_SECURE", "false")
        if service == "intake" and self.smtp_port:
            env.update({"SOPDESK_SMTP_ENABLED": "true", "SOPDESK_SMTP_PORT": str(self.smtp_port)})
        env.update(
            {
                "SOPDESK_DATABASE_URL": self.database_url(service),
                "SOPDESK_KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
                "SOPDESK_API_KEYS": json.dumps(self.api_keys),
                "SOPDESK_HOST": self.host,
                "SOPDESK_PORT": str(self.ports[service]),
                "SOPDESK_DEMO_AGENTS": "true" if self.demo else "false",
                # The local broker answers a group join after half the session
                # timeout; a shorter one makes a local start quicker.
                "SOPDESK_CONSUMER_SESSION_TIMEOUT_MS": "6000",
            }
        )
        # As many partitions as the broker gives a topic it recreates after losing its
        # data (shared.broker): writes to partitions it lacks would vanish.
        env.setdefault("SOPDESK_TOPIC_PARTITIONS", str(AUTO_CREATED_PARTITIONS))
        return env

    def start(self) -> None:
        # Stores, logs and secrets hold contacts and credentials: every file and
        # directory the system creates is private from the start (the broker and the
        # services inherit the mask; SQLite creates its files under it).
        previous = os.umask(0o077)
        try:
            self._start()
        finally:
            os.umask(previous)

    def _start(self) -> None:
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        self.logs.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self.console.status("starting the local broker …"):
            self.broker.start()
        self.console.print(f"[green]✓[/] broker on {self.broker.bootstrap_servers}")
        for index, name in enumerate(SERVICE_NAMES, 1):
            with self.console.status(f"[{index}/5] migrating {name} …"):
                url = self.database_url(name)
                asyncio.run(ensure_database(url))
                upgrade(entry(name).migrations, url)
        where = "PostgreSQL" if self.database_url_template else str(self.data_dir)
        self.console.print(f"[green]✓[/] stores migrated ({where})")
        started = (*SERVICE_NAMES, WORKSPACE) if self.workspace else SERVICE_NAMES
        for name in started:
            self._spawn(name)
        # A loaded machine (a 2-core CI running tests) can take minutes to import and start.
        self._wait_ready(started, timeout=180.0)

    def _spawn(self, name: str) -> None:
        # A replica is named "<service>-<n>" and differs from the first only in its port.
        service = name.split("-", 1)[0]
        env = {**self._env(service), "SOPDESK_PORT": str(self.ports[name])}
        log = os.fdopen(
            os.open(self.logs / f"{name}.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab"
        )
        self._log_files.append(log)
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "sopdesk", "serve", service],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def add_replica(self, service: str, port: int, timeout: float = 120.0) -> str:
        """One more process of ``service`` on ``port`` (same store, same consumer group);
        returns its name, which ``urls``, ``kill`` and ``restart`` take like a service's."""
        count = sum(1 for n in self.processes if n.split("-", 1)[0] == service)
        name = f"{service}-{count + 1}"
        self.ports[name] = port
        self._spawn(name)
        self._wait_ready((name,), timeout)
        return name

    def kill(self, name: str) -> None:
        """SIGKILL one service, as a crash would (used by the chaos tests)."""
        process = self.processes[name]
        process.kill()
        process.wait()

    def restart(self, name: str, timeout: float = 60.0) -> None:
        """Start a service again (after ``kill``) and wait until it is ready."""
        self._spawn(name)
        self._wait_ready((name,), timeout)

    def _wait_ready(self, names: Iterable[str], timeout: float = 60.0) -> None:
        pending = set(names)
        deadline = time.monotonic() + timeout
        with (
            httpx.Client(timeout=1.0) as client,
            self.console.status("waiting for services …") as status,
        ):
            while pending and time.monotonic() < deadline:
                for name in sorted(pending):
                    process = self.processes[name]
                    if process.poll() is not None:
                        log = self.logs / f"{name}.log"
                        raise RuntimeError(
                            f"{name} exited with code {process.returncode}; see {log}; "
                            f"it ends with:\n{_tail(log)}"
                        )
                    try:
                        if (
                            client.get(f"http://{self.host}:{self.ports[name]}/readyz").status_code
                            == 200
                        ):
                            pending.discard(name)
                            self.console.print(
                                f"[green]✓[/] {name} ready on port {self.ports[name]}"
                            )
                    except httpx.HTTPError:
                        pass
                status.update(f"waiting for {', '.join(sorted(pending))} …")
                time.sleep(0.2)
        if pending:
            raise RuntimeError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}")

    def wait(self) -> int:
        """Block until Ctrl-C, SIGTERM or a service dies; then stop everything."""

        def on_signal(_signum: int, _frame: object) -> None:
            self._stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        exit_code = 0
        offsets: dict[str, int] = {}
        while not self._stop.wait(0.5):
            self._show_problems(offsets)
            dead = [n for n, p in self.processes.items() if p.poll() is not None]
            if dead:
                self.console.print(
                    f"[red]{', '.join(dead)} stopped unexpectedly; see {self.logs}[/]"
                )
                exit_code = 1
                break
        self.console.print("stopping …")
        self.stop()
        self.console.print("[green]stopped[/]")
        return exit_code

    def _show_problems(self, offsets: dict[str, int]) -> None:
        """Print the warnings and errors the services logged since the last look (their
        full logs stay in the files): one line each, already masked by the services."""
        for name in self.processes:
            path = self.logs / f"{name}.log"
            try:
                with path.open("rb") as log:
                    log.seek(offsets.get(name, 0))
                    chunk = log.read()
            except OSError:
                continue
            complete = chunk[: chunk.rfind(b"\n") + 1]  # a half-written line waits
            offsets[name] = offsets.get(name, 0) + len(complete)
            for raw in complete.decode(errors="replace").splitlines():
                line = problem_line(raw)
                if line is not None:
                    self.console.print(f"[yellow]{name}[/] {line}", highlight=False)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.broker.stop()
        for log in self._log_files:
            log.close()
        self._log_files.clear()


_PROBLEM_LEVELS = frozenset({"warning", "error", "critical", "exception"})


def problem_line(raw: str) -> str | None:
    """A log line worth showing in the terminal (a warning or worse), shortened; None for
    the rest. Lines that are not JSON (a crash before logging started) are shown."""
    try:
        entry = json.loads(raw)
    except ValueError:
        return raw[:300] if raw.strip() else None
    if not isinstance(entry, dict) or entry.get("level") not in _PROBLEM_LEVELS:
        return None
    skip = {"level", "event", "timestamp", "service", "exception"}
    details = " ".join(f"{k}={v}" for k, v in entry.items() if k not in skip)
    text = f"{entry['level']}: {entry.get('event', '')} {details}".strip()
    return escape(text[:300])


def _tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log, for an error that would otherwise point at a deleted file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
