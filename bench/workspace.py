"""Benchmark of the web workspace's agent pages with 10,000 open tickets (issue 13: "my work"
and the ticket page p95 ≤ 300 ms on the 2-core machine, the workspace under 150 MB).

Workload (stated so anyone can repeat it; ``--json`` prints the same figures as JSON):

1. ``sopdesk up`` (broker, five services, workspace) on free ports, a data directory under
   /tmp, SQLite stores or, with ``--postgres``, PostgreSQL databases of its own
   (``sopdesk_wsbench_<tag>_<service>``, dropped at the end).
2. ``--tickets`` open tickets (10,000) written straight into intake's and dispatch's stores
   (customers, identifiers, tickets, a customer message each; assignments, 12 activity
   lines each where dispatch has them), as bench/intake_search.py and bench/my_work.py
   fill theirs: the pipeline posts 11-17 tickets/s, too slow to make 10,000 here. The
   tickets are spread over the demo agents of every team; the measured agent (the first
   demo agent of ``--team``) holds ``--mine`` of them (40: a busy shift), in the states
   assigned / accepted / waiting on the customer, deadlines from 2 h ago to 3 days ahead.
3. That agent signs in through the workspace's sign-in form (its cookie and CSRF token),
   then ``--requests`` (200) GETs of "my work" (``/``) and as many of the ticket page
   (``/tickets/<ticket no>``, one of the agent's tickets at random), one at a time, over
   HTTP: the HTML the browser gets, each checked (200, names the ticket). p50/p95/p99/max
   in ms per page.
4. The workspace process's resident and peak resident memory (``/proc/PID/status``) after
   the run, and the CPU ms per page of the workspace and of each service it called
   (``/proc/PID/stat``, so they hold on a shared machine; latencies do not: the load
   average is printed with them).

    .venv/bin/python bench/workspace.py                 # SQLite stores
    .venv/bin/python bench/workspace.py --postgres      # PostgreSQL at 127.0.0.1:5432
    .venv/bin/python bench/workspace.py --postgres --profile /tmp/ws-profile   # + py-spy
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_rows import IntakeRows
from procstat import SystemProcesses, cpu_seconds, listening_pid, memory_kib

from services.dispatch import models as dispatch_models
from shared.database import create_engine
from sopdesk.up_process import up_process

# Dispatch's activity lines (the ticket page's thread) where this checkout has them.
ACTIVITY: Any = getattr(dispatch_models, "ActivityEntry", None)
SERVICES = ("intake", "triage", "dispatch", "followup", "analytics", "workspace")
SERVER = os.environ.get("SOPDESK_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432")
WORDS = ["账号无法登录", "退款未到账", "物流延迟", "包裹破损", "发票开错", "设备无法开机"]
STATES = ["assigned"] * 3 + ["accepted"] * 5 + ["waiting_on_customer"] * 2
ACTIVITY_KINDS = ["assigned", "accepted", "internal_note", "public_reply", "customer_replied"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def _columns(model: Any, row: dict[str, Any]) -> dict[str, Any]:
    """The row with only the model's columns: the script runs against older and newer stores."""
    names = set(model.__table__.columns.keys())
    return {k: v for k, v in row.items() if k in names}


async def _insert(url: str, batches: list[tuple[Any, list[dict[str, Any]]]]) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        for model, rows in batches:
            for start in range(0, len(rows), 1000):
                await conn.execute(sa.insert(model), rows[start : start + 1000])
        if engine.dialect.name == "postgresql":
            await conn.execute(sa.text("ANALYZE"))
    await engine.dispose()


async def _agents(dispatch_url: str) -> list[tuple[uuid.UUID, str, str]]:
    engine = create_engine(dispatch_url)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(
                    dispatch_models.Agent.id,
                    dispatch_models.Agent.name,
                    dispatch_models.Agent.team_key,
                ).order_by(dispatch_models.Agent.team_key, dispatch_models.Agent.name)
            )
        ).all()
    await engine.dispose()
    return [(r[0], r[1], r[2]) for r in rows]


async def fill(urls: dict[str, str], tickets: int, mine: int, team: str) -> tuple[str, list[str]]:
    """Writes the open tickets; returns the measured agent's login and ticket numbers."""
    agents = await _agents(urls["dispatch"])
    ours = [a for a in agents if a[2] == team] or agents
    me, others = ours[0], [a for a in agents if a != ours[0]]
    now = datetime.now(UTC)
    start = now - timedelta(days=3)
    tag = uuid.uuid4().hex[:4]
    intake = IntakeRows()
    assignments, activity, my_numbers = [], [], []
    rng = random.Random(13)
    for i in range(tickets):
        agent = me if i < mine else rng.choice(others)
        at = start + timedelta(seconds=20 * i)
        phone, email = f"+86139{rng.randrange(10**8):08d}", f"ws{tag}{i}@example.com"
        words = WORDS[i % len(WORDS)]
        number = f"T{at:%Y%m%d}-{900000 + i:06d}"
        ticket_id = intake.add(
            i,
            at,
            phone,
            email,
            ticket_no=number,
            subject=f"{words}{i}",
            description=f"{words},订单SO{i:08d}已经三天了,请尽快处理,电话{phone}。",
            order_no=f"SO{i:08d}",
            team=agent[2],
        )["id"]
        respond = now + timedelta(minutes=rng.randint(-120, 600))
        assignment_id = uuid.uuid4()
        assignments.append(
            _columns(
                dispatch_models.Assignment,
                {
                    "id": assignment_id,
                    "ticket_id": ticket_id,
                    "ticket_no": number,
                    "team_key": agent[2],
                    "agent_id": agent[0],
                    "last_agent_id": agent[0],
                    "state": rng.choice(STATES),
                    "priority": rng.choice(["P0", "P1", "P2", "P2", "P3"]),
                    "category": "fault",
                    "customer_type": "new",
                    "subject": f"{words}{i}",
                    "respond_by": respond,
                    "resolve_by": respond + timedelta(hours=rng.randint(2, 60)),
                    "created_at": at,
                    "assigned_at": at,
                    "updated_at": at,
                    "keywords": [words],
                    "kb_suggestions": [],
                    "escalated": False,
                    "version": 1,
                },
            )
        )
        if ACTIVITY is not None:
            activity += [
                _columns(
                    ACTIVITY,
                    {
                        "id": uuid.uuid4(),
                        "ticket_id": ticket_id,
                        "assignment_id": assignment_id,
                        "kind": ACTIVITY_KINDS[k % len(ACTIVITY_KINDS)],
                        "actor_id": f"person:{agent[0]}",
                        "actor_name": agent[1],
                        "at": at + timedelta(minutes=k),
                        "text": "已联系客户 138****5678,等待回复",
                        "data": {},
                    },
                )
                for k in range(12)
            ]
        if i < mine:
            my_numbers.append(number)
    await _insert(urls["intake"], intake.batches())
    batches: list[tuple[Any, list[dict[str, Any]]]] = [(dispatch_models.Assignment, assignments)]
    if activity:
        batches.append((ACTIVITY, activity))
    await _insert(urls["dispatch"], batches)
    return me[1], my_numbers


def sign_in(client: httpx.Client, login: str, password: str) -> None:
    form = client.get("/sign-in")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if not found:
        raise SystemExit("the sign-in page has no CSRF token")
    answer = client.post(
        "/sign-in",
        data={"login": login, "password": password, "csrf_token": found.group(1)},
    )
    if answer.status_code != 303:
        raise SystemExit(f"sign-in refused: {answer.status_code} {answer.text[:300]}")


def timed_pages(
    client: httpx.Client,
    paths: list[str],
    expect: list[str],
    pids: dict[str, int],
    system: SystemProcesses,
) -> dict[str, Any]:
    before = {name: cpu_seconds(pid) or 0.0 for name, pid in pids.items()}
    backends = {pid: cpu_seconds(pid) or 0.0 for pid in system.postgres_backends()}
    times: list[float] = []
    for path, text in zip(paths, expect, strict=True):
        began = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        if answer.status_code != 200 or text not in answer.text:
            raise SystemExit(f"GET {path}: {answer.status_code}, {text!r} not in the page")
    spent = {
        name: round(((cpu_seconds(pid) or 0.0) - before[name]) * 1000 / len(paths), 1)
        for name, pid in pids.items()
    }
    if system.database_prefix:  # the backends serving the run's databases, pooled
        after = {pid: cpu_seconds(pid) or 0.0 for pid in system.postgres_backends()}
        used = sum(cpu - backends.get(pid, 0.0) for pid, cpu in after.items())
        spent["postgresql"] = round(used * 1000 / len(paths), 1)
    return {
        "requests": len(paths),
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "p99_ms": round(percentile(times, 99), 1),
        "max_ms": round(max(times), 1),
        "cpu_ms_per_page": spent,
    }


def _profile(folder: Path, pids: dict[str, int]) -> list[subprocess.Popen[bytes]]:
    """py-spy sampling the workspace, intake and dispatch during the ticket pages (raw stacks)."""
    folder.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    return [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--pid",
                str(pids[name]),
                "--format",
                "raw",
                "--rate",
                "200",
                "--output",
                str(folder / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in ("workspace", "intake", "dispatch")
    ]


async def _drop(names: list[str]) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(
        f"{SERVER}/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    async with admin.connect() as conn:
        for name in names:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="ws-bench-"))
    prefix = f"sopdesk_wsbench_{uuid.uuid4().hex[:6]}"
    options: list[str] = []
    stores = {s: f"sqlite+aiosqlite:///{data_dir / f'{s}.db'}" for s in SERVICES}
    if args.postgres:
        options = ["--database-url", f"{SERVER}/{prefix}_{{service}}"]
        stores = {s: f"{SERVER}/{prefix}_{s}" for s in SERVICES}
    try:
        with up_process(data_dir, SERVICES, *options, ready_within=240) as up:
            return measure(args, data_dir, up.base_port, up.urls, stores, prefix)
    finally:
        if args.postgres:
            asyncio.run(_drop([f"{prefix}_{s}" for s in SERVICES]))


def measure(
    args: argparse.Namespace,
    data_dir: Path,
    base: int,
    urls: dict[str, str],
    stores: dict[str, str],
    prefix: str,
) -> dict[str, Any]:
    """The figures of one run against the started system."""
    password = json.loads((data_dir / "secrets.json").read_text())["demo_password"]
    began = time.perf_counter()
    login, numbers = asyncio.run(fill(stores, args.tickets, args.mine, args.team))
    fill_seconds = time.perf_counter() - began
    system = SystemProcesses.find(base, prefix if args.postgres else None)
    workspace_pid = listening_pid(base + 5)
    if workspace_pid is None:
        raise SystemExit("the workspace is not listening")
    pids = {"workspace": workspace_pid, **{s: p for s, p in system.services.items()}}
    pids = {name: pid for name, pid in pids.items() if name in SERVICES}
    rng = random.Random(7)
    with httpx.Client(base_url=urls["workspace"], timeout=30) as client:
        sign_in(client, login, password)
        for _ in range(args.warmup):  # templates compiled, pools open
            client.get("/")
            client.get(f"/tickets/{rng.choice(numbers)}")
        memory_before = memory_kib(workspace_pid)
        work = timed_pages(client, ["/"] * args.requests, [""] * args.requests, pids, system)
        chosen = [rng.choice(numbers) for _ in range(args.requests)]
        profilers = _profile(args.profile, pids) if args.profile else []
        ticket = timed_pages(client, [f"/tickets/{n}" for n in chosen], chosen, pids, system)
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            profiler.wait(60)
        # "my work" names the agent's tickets: the most urgent ones are on it.
        page = client.get("/").text
        listed = sum(1 for n in numbers if n in page)
    memory = memory_kib(workspace_pid)
    with open("/proc/loadavg") as loadavg:
        load = loadavg.read().split()[:3]
    return {
        "store": "postgresql" if args.postgres else "sqlite",
        "open_tickets": args.tickets,
        "agent": login,
        "agent_open_tickets": len(numbers),
        "agent_tickets_on_my_work": listed,
        "fill_seconds": round(fill_seconds, 1),
        "my_work": work,
        "ticket_page": ticket,
        "workspace_rss_mib": round(memory.get("VmRSS", 0) / 1024, 1),
        "workspace_peak_rss_mib": round(memory.get("VmHWM", 0) / 1024, 1),
        "workspace_rss_before_mib": round(memory_before.get("VmRSS", 0) / 1024, 1),
        "load_average": load,
        "cores": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL stores")
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--mine", type=int, default=40, help="the measured agent's tickets")
    parser.add_argument("--team", default="tech_support")
    parser.add_argument("--requests", type=int, default=200, help="per page")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--profile", type=Path, help="folder for py-spy's stacks of the ticket pages (dev extra)"
    )
    args = parser.parse_args()
    figures = run(args)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    print(
        f"{figures['store']}: {figures['open_tickets']} open tickets (written in "
        f"{figures['fill_seconds']} s), agent {figures['agent']} with "
        f"{figures['agent_open_tickets']} ({figures['agent_tickets_on_my_work']} on my work); "
        f"load average {' '.join(figures['load_average'])} on {figures['cores']} cores"
    )
    for name in ("my_work", "ticket_page"):
        page = figures[name]
        cpu = ", ".join(f"{k} {v}" for k, v in page["cpu_ms_per_page"].items() if v)
        print(
            f"  {name:12} n={page['requests']} p50 {page['p50_ms']} ms, p95 {page['p95_ms']} ms,"
            f" p99 {page['p99_ms']} ms, max {page['max_ms']} ms; CPU ms/page: {cpu}"
        )
    print(
        f"  workspace resident {figures['workspace_rss_mib']} MiB "
        f"(peak {figures['workspace_peak_rss_mib']} MiB)"
    )


if __name__ == "__main__":
    main()
