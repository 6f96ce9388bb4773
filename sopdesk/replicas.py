"""The whole system with several replicas of every service, for the fault run.

Like :class:`sopdesk.local.LocalSystem` (one broker, every service's store migrated),
but each service runs ``replicas`` processes, each on its own port: replica ``r`` of
the ``i``-th service listens on ``base_port + r * 5 + i``. Processes are named
``intake#0``, ``intake#1``, ….
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console

from shared.migrations import ensure_database, upgrade
from sopdesk.catalogue import SERVICE_NAMES, entry
from sopdesk.local import LocalSystem


def replica_name(service: str, replica: int) -> str:
    return f"{service}#{replica}"


def service_of(name: str) -> str:
    return name.partition("#")[0]


class ReplicatedSystem(LocalSystem):
    def __init__(
        self,
        *,
        data_dir: Path,
        host: str,
        base_port: int,
        broker_port: int,
        api_keys: dict[str, str],
        console: Console,
        database_url: str | None,
        replicas: int = 2,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            data_dir=data_dir,
            host=host,
            base_port=base_port,
            broker_port=broker_port,
            api_keys=api_keys,
            demo=True,
            console=console,
            database_url=database_url,
        )
        self.replicas = replicas
        self.extra_env = dict(extra_env or {})
        self.replica_ports = {
            replica_name(name, r): base_port + r * len(SERVICE_NAMES) + i
            for r in range(replicas)
            for i, name in enumerate(SERVICE_NAMES)
        }
        # LocalSystem's ports are per service (the first replica's); add the replicas'.
        self.ports.update(self.replica_ports)

    def names(self, service: str | None = None) -> list[str]:
        """Every replica's name, or those of one service."""
        return [n for n in self.replica_ports if service is None or service_of(n) == service]

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    def service_urls(self, service: str) -> list[str]:
        return [self.url(n) for n in self.names(service)]

    def _env(self, service: str) -> dict[str, str]:
        name = service  # a replica's name
        env = super()._env(service_of(name))
        env["SOPDESK_PORT"] = str(self.ports[name])
        # Every replica points survey links at the first follow-up replica.
        env["SOPDESK_SURVEY_BASE_URL"] = (
            f"http://{self.host}:{self.ports[replica_name('followup', 0)]}/v1/surveys/"
        )
        env.update(self.extra_env)
        return env

    def migrate(self) -> None:
        for name in SERVICE_NAMES:
            url = self.database_url(name)
            asyncio.run(ensure_database(url))
            upgrade(entry(name).migrations, url)

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.broker.start()
        self.migrate()
        for name in self.replica_ports:
            self._spawn(name)
        self._wait_ready(self.replica_ports, timeout=180)

    def _spawn(self, name: str) -> None:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self._log_files.append(log)
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "sopdesk", "serve", service_of(name)],
            env=self._env(name),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def spawn(self, name: str) -> None:
        """Start a replica again after a kill, without waiting for it."""
        self._spawn(name)

    def wait_ready(self, names: Iterable[str], timeout: float = 120.0) -> None:
        self._wait_ready(names, timeout)
