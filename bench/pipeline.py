"""Benchmark of the running pipeline: CPU per ticket, idle cost, throughput, latency, lag, memory.

Workload (stated so anyone can repeat it; every figure also comes as ``--json``):

1. idle: no traffic for ``--idle-seconds`` (20) once the pipeline is quiet; the
   CPU of each process as a percentage of one core.
2. throughput: ``--tickets`` tickets (2000) posted to intake with
   ``--concurrency`` requests in flight (64), as fast as intake answers; tickets/s,
   HTTP latency percentiles, then, once every service has drained its backlog,
   CPU milliseconds per ticket of each process: the five services, the broker and
   the PostgreSQL backends serving the run's databases.
3. latency: tickets at a fixed ``--rate`` (100/s) for ``--seconds`` (20); the time
   from each POST to the moment its ``ticket.assigned`` event is read from the
   dispatch topic; p50/p95/p99.
4. sustained: ``--sustained-rate`` (300/s) for ``--sustained-seconds`` (60); the
   backlog (consumer lag plus unpublished outbox rows, from each service's
   ``/metrics``) every 5 s, and whether it grew. ``--ramp 100,200,400`` then tries
   each rate for ``--ramp-seconds`` and reports the highest one held.
5. memory: resident and peak resident memory of each service.

Every run uses customers and texts of its own (a random run tag in the phone
numbers, names and texts), so a second run against the same system measures the
same thing instead of being de-duplicated into the first run's tickets.

CPU comes from the kernel's per-process accounting, so the per-ticket figures
hold on a shared machine; tickets/s and latencies do not, say so when quoting.

    python bench/pipeline.py --start                       # SQLite stores
    python bench/pipeline.py --start --postgres            # PostgreSQL stores
    python bench/pipeline.py --intake http://127.0.0.1:8001 --keys .sopdesk/api-keys.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import Poster
from procstat import CpuMeter, SystemProcesses, memory_kib

from sopdesk.up_process import up_process

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
# Mobile prefixes (130-139, 180-189) phonenumbers accepts; a run takes one and a block.
PREFIXES = tuple(f"1{a}{d}" for a in "38" for d in range(10))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Workload:
    """Ticket bodies unique to one run: its own customers and its own texts."""

    def __init__(self) -> None:
        self.tag = uuid.uuid4().hex[:8]
        self.prefix = random.choice(PREFIXES)
        self.base = random.randrange(0, 90_000_000)
        self.next = 0

    def body(self) -> dict[str, Any]:
        i, self.next = self.next, self.next + 1
        subject, description = SAMPLES[i % len(SAMPLES)]
        return {
            "channel": "web_chat",
            "customer": {
                "name": f"bench-{self.tag}-{i}",
                "phone": f"+86{self.prefix}{(self.base + i) % 100_000_000:08d}",
            },
            "subject": subject,
            "description": f"{description}(测试批次 {self.tag} 第 {i} 号)",
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


class Backlog:
    """Consumer lag plus unpublished outbox rows, summed over the services' /metrics."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.urls = [
            f"{parts.scheme}://{parts.hostname}:{(parts.port or 80) + i}/metrics"
            for i in range(len(SERVICES))
        ]

    async def total(self, client: httpx.AsyncClient) -> int:
        total = 0.0
        for url in self.urls:
            text = (await client.get(url)).text
            for family in text_string_to_metric_families(text):
                if family.name in ("sopdesk_consumer_lag", "sopdesk_outbox_pending"):
                    total += sum(sample.value for sample in family.samples)
        return int(total)

    async def wait_quiet(self, client: httpx.AsyncClient, within: float = 120.0) -> float:
        """Seconds until the backlog was zero twice in a row (or the timeout passed)."""
        started = time.perf_counter()
        zeros = 0
        while time.perf_counter() - started < within and zeros < 2:
            zeros = zeros + 1 if await self.total(client) == 0 else 0
            await asyncio.sleep(0.5)
        return time.perf_counter() - started


def cpu_report(spent: dict[str, float], tickets: int) -> dict[str, float]:
    """CPU ms per ticket for each role and the whole system."""
    per = {role: round(seconds * 1000 / max(tickets, 1), 2) for role, seconds in spent.items()}
    per["total"] = round(sum(per.values()), 2)
    return per


async def post_many(poster: Poster, workload: Workload, n: int, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            status, payload = await poster.post(workload.body())
            latencies.append(time.perf_counter() - started)
            kind = str(status)
            if status == 201 and b'"deduplicated":true' in payload.replace(b" ", b""):
                kind = "deduplicated"
            outcomes[kind] = outcomes.get(kind, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "tickets": n,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "tickets_per_second": round(n / elapsed, 1),
        "http_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "http_p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "created": outcomes.get("201", 0),
        "not_created": {k: v for k, v in outcomes.items() if k != "201"},
    }


async def post_at_rate(
    poster: Poster,
    workload: Workload,
    rate: float,
    seconds: float,
    on_created: dict[str, float] | None = None,
    every: float = 5.0,
    sample: Any = None,
) -> dict[str, Any]:
    """Open-loop posting at ``rate``; ``sample`` is awaited every ``every`` seconds."""
    total = int(rate * seconds)
    pending: set[asyncio.Task[None]] = set()
    failures = 0

    async def post() -> None:
        nonlocal failures
        t0 = time.perf_counter()
        status, payload = await poster.post(workload.body())
        if status != 201:
            failures += 1
        elif on_created is not None:
            on_created[json.loads(payload)["ticket_id"]] = t0

    samplers: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    next_sample = started + every
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(post())
        pending.add(task)
        task.add_done_callback(pending.discard)
        if sample is not None and time.perf_counter() >= next_sample:
            next_sample += every
            samplers.append(asyncio.create_task(sample(time.perf_counter() - started)))
    posted_for = time.perf_counter() - started
    await asyncio.gather(*pending, *samplers)
    # Requests intake cannot take wait in the load generator, not in any backlog:
    # the time until the last answer shows whether intake kept up.
    answered = time.perf_counter() - started
    return {
        "posted": total,
        "failures": failures,
        "posting_seconds": round(posted_for, 2),
        "answered_seconds": round(answered, 2),
    }


async def latency(
    poster: Poster, workload: Workload, watcher: AssignedWatcher, rate: float, seconds: float
) -> dict[str, Any]:
    posted: dict[str, float] = {}
    outcome = await post_at_rate(poster, workload, rate, seconds, on_created=posted)
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and not all(t in watcher.seen for t in posted):  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    values = [watcher.seen[t] - t0 for t, t0 in posted.items() if t in watcher.seen]
    return {
        "rate_per_second": rate,
        **outcome,
        "assigned": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p95_ms": round(percentile(values, 95) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1) if values else float("nan"),
        "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else float("nan"),
    }


async def sustained(
    poster: Poster,
    workload: Workload,
    backlog: Backlog,
    client: httpx.AsyncClient,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    """A fixed rate for a while; the backlog sampled every 5 s; did it grow?"""
    samples: list[tuple[float, int]] = []

    async def sample(at: float) -> None:
        samples.append((round(at, 1), await backlog.total(client)))

    outcome = await post_at_rate(poster, workload, rate, seconds, sample=sample)
    await sample(seconds)
    samples.sort()
    # Held: intake kept up with the rate and the backlog did not keep climbing; a
    # backlog under one second of work at the end counts as caught up.
    late = [count for at, count in samples if at >= seconds / 2]
    early = [count for at, count in samples if at < seconds / 2] or [0]
    growing = bool(late) and min(late) > max(early) and late[-1] > rate
    kept_up = outcome["answered_seconds"] <= seconds + 1.0 and outcome["failures"] == 0
    drain = await backlog.wait_quiet(client)
    return {
        "rate_per_second": rate,
        "seconds": seconds,
        **outcome,
        "backlog_samples": samples,
        "lag_growing": growing,
        "held": kept_up and not growing,
        "drain_seconds": round(drain, 1),
    }


async def run(args: argparse.Namespace, gateway: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {gateway}"}
    url = f"{args.intake}/v1/tickets"
    system = SystemProcesses.find(urlsplit(args.intake).port or 80, args.database_prefix)
    meter = CpuMeter(system)
    workload = Workload()
    backlog = Backlog(args.intake)
    poster = Poster(url, headers, max(args.concurrency, 64))
    watcher = AssignedWatcher(args.broker, f"{args.topic_prefix}.dispatch")
    results: dict[str, Any] = {"run_tag": workload.tag, "processes": sorted(system.services)}
    async with httpx.AsyncClient(timeout=30) as client:
        log("warming up …")
        await post_many(poster, workload, 50, 8)
        await backlog.wait_quiet(client)
        if args.idle_seconds > 0:
            # Consumers keep their busy fetch wait for 5 s after the last message.
            await asyncio.sleep(6)
            log(f"idle: {args.idle_seconds:.0f}s with no traffic …")
            before = meter.mark()
            await asyncio.sleep(args.idle_seconds)
            spent = meter.since(*before)
            idle = {role: round(s * 100 / args.idle_seconds, 2) for role, s in spent.items()}
            idle["total"] = round(sum(idle.values()), 2)
            results["idle_percent_of_one_core"] = idle
        # Started after the idle phase: its own fetches would count as the broker's idle cost.
        await watcher.start()

        log(f"throughput: {args.tickets} tickets, {args.concurrency} in flight …")
        before = meter.mark()
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        results["throughput"] = await post_many(poster, workload, args.tickets, args.concurrency)
        intake_only = meter.since(*before)
        drain = await backlog.wait_quiet(client)
        spent = meter.since(*before)
        own = resource.getrusage(resource.RUSAGE_SELF)
        results["throughput"]["drain_seconds"] = round(drain, 1)
        results["cpu_ms_per_ticket"] = cpu_report(spent, args.tickets)
        if "idle_percent_of_one_core" in results:
            # What the idle loops cost over the run, taken out: the work tickets cause.
            elapsed = results["throughput"]["seconds"] + drain
            idle_rate = results["idle_percent_of_one_core"]
            results["cpu_ms_per_ticket_above_idle"] = cpu_report(
                {r: max(s - idle_rate.get(r, 0.0) / 100 * elapsed, 0.0) for r, s in spent.items()},
                args.tickets,
            )
        results["cpu_ms_per_ticket"]["intake_during_posting"] = round(
            intake_only.get("intake", 0.0) * 1000 / args.tickets, 2
        )
        results["cpu_ms_per_ticket"]["load_generator"] = round(
            (own.ru_utime + own.ru_stime - own_before.ru_utime - own_before.ru_stime)
            * 1000
            / args.tickets,
            2,
        )

        if args.seconds > 0:
            log(f"latency: {args.rate}/s for {args.seconds:.0f}s …")
            results["latency"] = await latency(poster, workload, watcher, args.rate, args.seconds)
            await backlog.wait_quiet(client)

        if args.sustained_seconds > 0:
            log(f"sustained: {args.sustained_rate}/s for {args.sustained_seconds:.0f}s …")
            results["sustained"] = await sustained(
                poster, workload, backlog, client, args.sustained_rate, args.sustained_seconds
            )
        held: list[float] = []
        for rate in args.ramp:
            log(f"ramp: {rate}/s for {args.ramp_seconds:.0f}s …")
            step = await sustained(poster, workload, backlog, client, rate, args.ramp_seconds)
            results.setdefault("ramp", []).append(step)
            if not step["held"]:
                break
            held.append(rate)
        if args.ramp:
            results["highest_rate_held"] = max(held, default=None)
    poster.close()
    await watcher.stop()
    results["memory_mib"] = {
        name: {k: round(v / 1024, 1) for k, v in memory_kib(pid).items()}
        for name, pid in sorted(system.services.items())
    }
    return results


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def print_summary(results: dict[str, Any]) -> None:
    print(
        f"store: {results['store']} (run {results['run_tag']}; "
        "a shared machine: wall-clock figures vary, CPU per ticket holds)"
    )
    if "idle_percent_of_one_core" in results:
        idle = results["idle_percent_of_one_core"]
        print("idle, % of one core: " + ", ".join(f"{k} {v:.1f}" for k, v in idle.items()))
    t = results["throughput"]
    print(
        f"intake throughput: {t['tickets_per_second']:.0f} tickets/s "
        f"({t['tickets']} in {t['seconds']:.1f}s, {t['concurrency']} in flight, "
        f"http p50 {t['http_p50_ms']:.1f} ms, p99 {t['http_p99_ms']:.1f} ms, "
        f"created {t['created']}, other {t['not_created']}); drained in {t['drain_seconds']:.1f}s"
    )
    cpu = results["cpu_ms_per_ticket"]
    print("CPU ms per ticket: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    if "cpu_ms_per_ticket_above_idle" in results:
        above = results["cpu_ms_per_ticket_above_idle"]
        print("  above idle: " + ", ".join(f"{k} {v:.2f}" for k, v in above.items()))
    if "latency" in results:
        lat = results["latency"]
        print(
            f"intake→assigned at {lat['rate_per_second']:.0f}/s: p50 {lat['p50_ms']:.1f} ms, "
            f"p95 {lat['p95_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms, max {lat['max_ms']:.1f} ms "
            f"({lat['assigned']}/{lat['posted']} assigned)"
        )
    for step in [results.get("sustained"), *results.get("ramp", [])]:
        if step:
            print(
                f"sustained {step['rate_per_second']:.0f}/s for {step['seconds']:.0f}s: "
                f"{'held' if step['held'] else 'NOT held'} "
                f"(last answer after {step['answered_seconds']:.1f}s, failures {step['failures']}, "
                f"lag growing: {step['lag_growing']}, "
                f"backlog {[c for _, c in step['backlog_samples']]}, "
                f"drained in {step['drain_seconds']}s)"
            )
    if "highest_rate_held" in results:
        print(f"highest rate held: {results['highest_rate_held']}")
    print(
        "memory MiB (resident/peak): "
        + ", ".join(
            f"{k} {v.get('VmRSS', 0):.0f}/{v.get('VmHWM', 0):.0f}"
            for k, v in results["memory_mib"].items()
        )
    )


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
    parser.add_argument("--base-port", type=int, default=28001, help="with --start")
    parser.add_argument("--broker-port", type=int, default=29092, help="with --start")
    parser.add_argument(
        "--intake", default="http://127.0.0.1:8001", help="intake's URL; the others follow it"
    )
    parser.add_argument("--broker", default="127.0.0.1:9092")
    parser.add_argument(
        "--keys", default=".sopdesk/api-keys.json", help="the api-keys.json that `sopdesk up` wrote"
    )
    parser.add_argument(
        "--database-prefix",
        default=None,
        help="PostgreSQL databases of the run (their backends' CPU is counted)",
    )
    parser.add_argument("--topic-prefix", default="sopdesk")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sustained-rate", type=float, default=300.0)
    parser.add_argument("--sustained-seconds", type=float, default=60.0)
    parser.add_argument(
        "--ramp",
        type=lambda s: [float(x) for x in s.split(",") if x],
        default=[],
        help="rates to try, e.g. 100,200,400",
    )
    parser.add_argument("--ramp-seconds", type=float, default=30.0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    with ExitStack() as running:
        if args.start:
            data_dir = Path(tempfile.mkdtemp(prefix="sopdesk-bench-"))
            options: list[str] = []
            if args.postgres:
                args.database_prefix = f"sopdesk_bench_{uuid.uuid4().hex[:6]}_"
                database = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{args.database_prefix}"
                options = ["--database-url", database + "{service}"]
            log(f"starting the system in {data_dir} …")
            up = running.enter_context(
                up_process(
                    data_dir,
                    SERVICES,
                    *options,
                    base_port=args.base_port,
                    broker_port=args.broker_port,
                    # Agents never resolve during the run: give them room for every ticket,
                    # so the latency measured is the pipeline's, not the wait for a free agent.
                    environment={"SOPDESK_DEMO_AGENT_CAPACITY": "1000000"},
                )
            )
            args.intake = up.urls["intake"]
            args.broker = up.broker
            gateway = up.keys["gateway"]
        else:
            keys = json.loads(Path(args.keys).read_text())
            gateway = next(k for k, role in keys.items() if role == "gateway")
        results = asyncio.run(run(args, gateway))
    results["store"] = (
        "postgresql" if args.database_prefix else "sqlite" if args.start else "as started"
    )
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        print_summary(results)


if __name__ == "__main__":
    main()
