"""Helpers shared by test modules (a module of its own: several folders have a conftest.py,
so ``from conftest import ...`` would pick whichever was imported first)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from sopdesk.local import LocalSystem

T = TypeVar("T")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_port_block(size: int, host: str = "127.0.0.1") -> int:
    """A base port with ``size`` consecutive free ports from it."""
    for _ in range(50):
        base = free_port(host)
        if base + size >= 65535:
            continue
        try:
            for port in range(base, base + size):
                with socket.socket() as sock:
                    sock.bind((host, port))
        except OSError:
            continue
        return base
    raise RuntimeError("no block of free ports")


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
