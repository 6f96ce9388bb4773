"""Helpers shared by test modules (a module of its own: several folders have a conftest.py,
so ``from conftest import ...`` would pick whichever was imported first)."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from sopdesk.local import LocalSystem

T = TypeVar("T")


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


def eventually(probe: Callable[[], T | None], timeout: float = 20.0, interval: float = 0.05) -> T:
    """Call ``probe`` until it returns something truthy or the deadline passes."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


@contextmanager
def local_system(data_dir: Path, api_keys: dict[str, str]) -> Iterator[LocalSystem]:
    """The whole system as `sopdesk up` runs it, on free ports, stopped afterwards."""
    system = LocalSystem(
        data_dir=data_dir,
        host="127.0.0.1",
        base_port=free_port_block(5),
        broker_port=free_port(),
        api_keys=api_keys,
        demo=True,
        console=Console(quiet=True),
    )
    try:
        system.start()
        yield system
    finally:
        system.stop()
