"""Benchmark of the running pipeline: intake throughput, intake→assigned latency, memory.

Workload (stated so anyone can repeat it):

1. throughput: ``--tickets`` tickets (default 2000) posted to intake with
   ``--concurrency`` requests in flight (default 32), as fast as intake answers;
   reports requests per second and the HTTP latency percentiles.
2. latency: tickets posted at a fixed ``--rate`` (default 100/s) for
   ``--seconds`` (default 20); for each, the time from the POST to the moment
   its ``ticket.assigned`` event is read from the dispatch topic; p50/p95/p99.
3. memory: peak resident memory (VmHWM) of each ``sopdesk serve`` process.

Run it against a system you started (``sopdesk up``), or let it start one:

    python bench/pipeline.py --start                       # SQLite stores
    python bench/pipeline.py --start --postgres            # PostgreSQL stores

The texts rotate through the SOP's examples, so every team gets work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

SERVICES = ("intake", "triage", "dispatch", "followup", "analytics")
SAMPLES = (
    ("账号无法登录", "今天早上开始账号无法登录,提示密码错误。"),
    ("物流延迟", "订单已经五天了还没有收到,物流延迟严重。"),
    ("申请退款", "商品不想要了,申请退款。"),
    ("请问保修政策", "请问这个产品的保修政策是什么?"),
    ("功能建议", "建议增加夜间模式。"),
    ("服务态度差", "客服服务态度太差,我要投诉。"),
    ("产品无法启动", "新买的扫地机器人无法启动。"),
)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def ticket_body(i: int) -> dict[str, Any]:
    subject, description = SAMPLES[i % len(SAMPLES)]
    return {
        "channel": "web_chat",
        "customer": {"name": f"bench-{i}", "phone": f"+86139{i % 100_000_000:08d}"},
        "subject": subject,
        "description": description,
    }


class AssignedWatcher:
    """Reads ticket.assigned events from the dispatch topic and stamps their arrival."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=5
        )
        self.topic = topic
        self.seen: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        await self.consumer.topics()  # loads the metadata partitions_for_topic reads
        partitions = self.consumer.partitions_for_topic(self.topic) or set()
        tps = [TopicPartition(self.topic, p) for p in partitions]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=50)
            now = time.perf_counter()
            for records in batch.values():
                for record in records:
                    event = json.loads(record.value)
                    if event.get("type") == "ticket.assigned":
                        self.seen.setdefault(event["ticket_id"], now)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()


async def throughput(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    n: int,
    concurrency: int,
    first: int = 0,
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(first, first + n))

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            started = time.perf_counter()
            response = await client.post(url, json=ticket_body(i), headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "tickets": n,
        "seconds": elapsed,
        "requests_per_second": n / elapsed,
        "http_p50_ms": percentile(latencies, 50) * 1000,
        "http_p99_ms": percentile(latencies, 99) * 1000,
        "errors": errors,
    }


async def latency(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    watcher: AssignedWatcher,
    rate: float,
    seconds: float,
) -> dict[str, float]:
    posted: dict[str, float] = {}
    total = int(rate * seconds)
    started = time.perf_counter()
    pending: set[asyncio.Task[None]] = set()

    async def post(i: int) -> None:
        t0 = time.perf_counter()
        response = await client.post(url, json=ticket_body(1_000_000 + i), headers=headers)
        if response.status_code == 201:
            posted[response.json()["ticket_id"]] = t0

    for i in range(total):
        target = started + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(post(i))
        pending.add(task)
        task.add_done_callback(pending.discard)
        if i % int(rate) == 0:
            print(f"  latency run: {i}/{total} posted", file=sys.stderr)
    await asyncio.gather(*pending)
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and not all(t in watcher.seen for t in posted):  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    values = [watcher.seen[t] - t0 for t, t0 in posted.items() if t in watcher.seen]
    return {
        "rate_per_second": rate,
        "tickets": len(posted),
        "assigned": len(values),
        "p50_ms": percentile(values, 50) * 1000,
        "p95_ms": percentile(values, 95) * 1000,
        "p99_ms": percentile(values, 99) * 1000,
        "max_ms": max(values) * 1000 if values else float("nan"),
        "mean_ms": statistics.fmean(values) * 1000 if values else float("nan"),
    }


def service_memory() -> dict[str, float]:
    """Peak resident memory (MiB) of each `sopdesk serve NAME` process on this machine."""
    peaks: dict[str, float] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in cmdline]
        if "serve" not in args:
            continue
        name = args[args.index("serve") + 1] if args.index("serve") + 1 < len(args) else "?"
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks[name] = max(peaks.get(name, 0.0), int(line.split()[1]) / 1024)
    return peaks


def start_system(
    data_dir: Path, base_port: int, broker_port: int, postgres: bool
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "sopdesk",
        "up",
        "--data-dir",
        str(data_dir),
        "--base-port",
        str(base_port),
        "--broker-port",
        str(broker_port),
        "--smtp-port",
        "0",
    ]
    if postgres:
        run = uuid.uuid4().hex[:6]
        command += [
            "--database-url",
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/sopdesk_bench_{run}_{{service}}",
        ]
    # Agents never resolve during the run: give them room for every ticket, so
    # the latency measured is the pipeline's, not the wait for a free agent.
    env = {**os.environ, "SOPDESK_DEMO_AGENT_CAPACITY": "1000000"}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"sopdesk up exited with {process.returncode}; see {data_dir / 'logs'}"
            )
        try:
            if all(
                httpx.get(f"http://127.0.0.1:{base_port + i}/readyz", timeout=1).status_code == 200
                for i in range(len(SERVICES))
            ):
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("the system did not become ready in 120 s")


async def run(args: argparse.Namespace, gateway: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {gateway}"}
    url = f"{args.intake}/v1/tickets"
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    watcher = AssignedWatcher(args.broker, f"{args.topic_prefix}.dispatch")
    await watcher.start()
    results: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        print("warming up …", file=sys.stderr)
        await throughput(client, url, headers, 50, 8, first=5_000_000)
        print(
            f"throughput: {args.tickets} tickets, {args.concurrency} in flight …", file=sys.stderr
        )
        results["throughput"] = await throughput(
            client, url, headers, args.tickets, args.concurrency
        )
        print("letting the pipeline drain …", file=sys.stderr)
        await asyncio.sleep(args.drain)
        print(f"latency: {args.rate}/s for {args.seconds}s …", file=sys.stderr)
        results["latency"] = await latency(client, url, headers, watcher, args.rate, args.seconds)
    await watcher.stop()
    results["peak_memory_mib"] = service_memory()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--start", action="store_true", help="start a system with `sopdesk up` for the run"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="with --start: PostgreSQL stores instead of SQLite"
    )
    parser.add_argument("--intake", default="http://127.0.0.1:8001")
    parser.add_argument("--broker", default="127.0.0.1:9092")
    parser.add_argument(
        "--keys", default=".sopdesk/api-keys.json", help="the api-keys.json that `sopdesk up` wrote"
    )
    parser.add_argument("--topic-prefix", default="sopdesk")
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--drain", type=float, default=10.0, help="pause between the two phases")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    process = None
    if args.start:
        data_dir = Path(tempfile.mkdtemp(prefix="sopdesk-bench-"))
        base, broker_port = 28001, 29092
        print(f"starting the system in {data_dir} …", file=sys.stderr)
        process = start_system(data_dir, base, broker_port, args.postgres)
        args.intake, args.broker, args.keys = (
            f"http://127.0.0.1:{base}",
            f"127.0.0.1:{broker_port}",
            str(data_dir / "api-keys.json"),
        )
    try:
        keys = json.loads(Path(args.keys).read_text())
        gateway = next(k for k, role in keys.items() if role == "gateway")
        results = asyncio.run(run(args, gateway))
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            process.wait(60)
    results["store"] = "postgresql" if args.postgres else "sqlite"
    if args.json:
        print(json.dumps(results, indent=2))
        return
    t, lat = results["throughput"], results["latency"]
    print(f"store: {results['store']}")
    print(
        f"intake throughput: {t['requests_per_second']:.0f} tickets/s "
        f"({t['tickets']} in {t['seconds']:.1f}s, http p50 {t['http_p50_ms']:.1f} ms, "
        f"p99 {t['http_p99_ms']:.1f} ms, errors {t['errors']})"
    )
    print(
        f"intake→assigned at {lat['rate_per_second']:.0f}/s: p50 {lat['p50_ms']:.1f} ms, "
        f"p95 {lat['p95_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms, max {lat['max_ms']:.1f} ms "
        f"({lat['assigned']}/{lat['tickets']} assigned)"
    )
    print(
        "peak resident memory: "
        + ", ".join(f"{k} {v:.0f} MiB" for k, v in sorted(results["peak_memory_mib"].items()))
    )


if __name__ == "__main__":
    main()
