"""CPU and memory of the processes of one running system, read from ``/proc``.

The system is found from the port intake listens on: the process holding that
socket is a service started by ``sopdesk up`` (or ``serve``); its parent's
children are the other services and the broker. PostgreSQL backends are the
``postgres:`` processes connected to the run's databases (named by a prefix).

CPU is the kernel's account of user and system time per process (``utime`` and
``stime`` in ``/proc/PID/stat``), so a figure per ticket holds when other work
shares the cores; only the wall-clock figures (tickets/s, latencies) suffer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of one process, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: fields start after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (a gunicorn master's workers, for one)."""
    return sorted(p for p in _pids() if _parent(p) == pid)


def listening_pid(port: int) -> int | None:
    """The process holding a TCP socket listening on ``port`` (IPv4, any address)."""
    inodes: set[str] = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        local, state, inode = parts[1], parts[3], parts[9]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            inodes.add(f"socket:[{inode}]")
    if not inodes:
        return None
    for pid in _pids():
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
        except OSError:
            continue
    return None


def memory_kib(pid: int) -> dict[str, int]:
    """Resident (VmRSS) and peak resident (VmHWM) memory in KiB."""
    figures: dict[str, int] = {}
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return figures
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0])
    return figures


@dataclass
class SystemProcesses:
    """The processes of one system, by role: each service, ``broker``, ``postgresql``."""

    services: dict[str, int] = field(default_factory=dict)
    broker: int | None = None
    database_prefix: str | None = None

    @classmethod
    def find(cls, intake_port: int, database_prefix: str | None) -> SystemProcesses:
        found = cls(database_prefix=database_prefix)
        intake = listening_pid(intake_port)
        if intake is None:
            raise SystemExit(f"nothing listens on port {intake_port}")
        parent = _parent(intake)
        for pid in _pids():
            if _parent(pid) != parent:
                continue
            args = _cmdline(pid)
            if "serve" in args and args.index("serve") + 1 < len(args):
                found.services[args[args.index("serve") + 1]] = pid
            elif args and "tansu" in Path(args[0]).name:
                found.broker = pid
        return found

    def postgres_backends(self) -> list[int]:
        """Backends serving the run's databases (the shared WAL writer and checkpointer are not)."""
        prefix = self.database_prefix
        if not prefix:
            return []
        backends = []
        for pid in _pids():
            args = _cmdline(pid)
            words = args[0].split() if len(args) == 1 else args
            # "postgres: [CLUSTER:] USER DATABASE HOST(PORT) STATE"
            if words[:1] == ["postgres:"] and any(w.startswith(prefix) for w in words[2:5]):
                backends.append(pid)
        return backends


class CpuMeter:
    """CPU seconds per role between two snapshots.

    A PostgreSQL backend that ends between snapshots takes its CPU with it (the
    services keep their pooled connections open, so this is rare in a run).
    """

    def __init__(self, system: SystemProcesses) -> None:
        self.system = system

    def snapshot(self) -> dict[str, float]:
        roles: dict[str, float] = {}
        for name, pid in self.system.services.items():
            roles[name] = cpu_seconds(pid) or 0.0
        if self.system.broker is not None:
            roles["broker"] = cpu_seconds(self.system.broker) or 0.0
        self._backends = {pid: cpu_seconds(pid) or 0.0 for pid in self.system.postgres_backends()}
        roles["postgresql"] = sum(self._backends.values())
        return roles

    def since(
        self, before: dict[str, float], before_backends: dict[int, float]
    ) -> dict[str, float]:
        """CPU seconds per role spent since ``before`` (backends born since count from zero)."""
        now = self.snapshot()
        spent = {role: now[role] - before.get(role, 0.0) for role in now if role != "postgresql"}
        spent["postgresql"] = sum(
            cpu - before_backends.get(pid, 0.0) for pid, cpu in self._backends.items()
        )
        return spent

    def mark(self) -> tuple[dict[str, float], dict[int, float]]:
        roles = self.snapshot()
        return roles, dict(self._backends)
