"""`sopdesk up` as a subprocess on free ports, for the end-to-end tests and the benchmarks:
started, waited for until its servers are ready, its URLs and API keys read, stopped as
Ctrl-C stops it."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

# The servers of `sopdesk up`, in port order from its base port.
SERVERS = ("intake", "triage", "dispatch", "followup", "analytics", "workspace")


class UpFailed(RuntimeError):
    """`sopdesk up` exited, or was not ready in time."""


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


# Ports handed out in this process, so that two calls never return the same one
# before either is bound.
_handed_out: set[int] = set()


def free_port_block(size: int, host: str = "127.0.0.1") -> int:
    """A base port with ``size`` consecutive free ports from it.

    Taken below the kernel's ephemeral range: a port the kernel gave out for a
    listening test socket is free again, but the kernel also hands ports in that
    range to outgoing connections, and the services open dozens of those to the
    broker before the last of them binds its own port (a start that lost that race
    exited with uvicorn's startup failure, code 3).
    """
    low, _high = _ephemeral_range()
    floor = max(1024, min(20000, low - 10000))
    for _ in range(200):
        base = random.randrange(floor, low - size)
        ports = range(base, base + size)
        if _handed_out.intersection(ports):
            continue
        try:
            for port in ports:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.bind((host, port))
        except OSError:
            continue
        _handed_out.update(ports)
        return base
    raise RuntimeError("no block of free ports")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now, outside the ephemeral range."""
    return free_port_block(1, host)


def up_command(data_dir: Path, base_port: int, broker_port: int, smtp_port: int = 0) -> list[str]:
    """`sopdesk up` on these ports (the services and the workspace from ``base_port``), as a
    subprocess's command line; ``smtp_port`` 0: no mail server."""
    return [
        *(sys.executable, "-m", "sopdesk", "up", "--data-dir", str(data_dir)),
        *("--base-port", str(base_port), "--broker-port", str(broker_port)),
        *("--smtp-port", str(smtp_port)),
    ]


def _output_tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def wait_until_up(
    process: subprocess.Popen[str], urls: Iterable[str], log: Path, within: float
) -> None:
    """Wait for ``sopdesk up`` (``process``) until every server at ``urls`` is ready;
    ``UpFailed`` with the end of its output (``log``) if it exits first or takes longer."""
    bases = list(urls)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise UpFailed(f"sopdesk up exited early ({process.returncode}):\n{_output_tail(log)}")
        try:
            if all(httpx.get(f"{u}/readyz", timeout=2).status_code == 200 for u in bases):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise UpFailed(f"sopdesk up was not ready in {within:.0f} s:\n{_output_tail(log)}")


def stop(process: subprocess.Popen[str], within: float = 60) -> None:
    """Stop ``sopdesk up`` as Ctrl-C does; killed if it has not stopped ``within`` s."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(within)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class UpProcess:
    """`sopdesk up` as a subprocess: the servers' base URLs by name, its broker, and the
    API keys it wrote (role → key)."""

    process: subprocess.Popen[str]
    base_port: int
    urls: dict[str, str]
    broker: str
    keys: dict[str, str]


@contextmanager
def up_process(
    data_dir: Path,
    names: Sequence[str],
    *options: str,
    smtp_port: int = 0,
    base_port: int | None = None,
    broker_port: int | None = None,
    environment: Mapping[str, str] | None = None,
    ready_within: float = 180,
) -> Iterator[UpProcess]:
    """`sopdesk up` (and ``options``) on free ports, or those given, until the servers
    ``names`` (in port order: the five services, then the workspace) are ready; stopped
    as Ctrl-C stops it after. Its output goes to ``data_dir``/up.log; ``environment``
    adds to the variables it inherits."""
    base = base_port or free_port_block(len(SERVERS))
    broker = broker_port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "up.log"
    # Private like everything `up` writes there: its output names keys and addresses.
    with os.fdopen(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as output:
        process = subprocess.Popen(
            [*up_command(data_dir, base, broker, smtp_port), *options],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(environment or {})},
            text=True,
        )
    urls = {name: f"http://127.0.0.1:{base + i}" for i, name in enumerate(names)}
    try:
        wait_until_up(process, urls.values(), log, ready_within)
        saved = json.loads((data_dir / "api-keys.json").read_text())
        keys = {role: key for key, role in saved.items()}
        yield UpProcess(process, base, urls, f"127.0.0.1:{broker}", keys)
    finally:
        stop(process)
