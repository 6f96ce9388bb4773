"""``sopdesk``: run everything locally, serve one service, migrate the stores."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import time
from collections.abc import Coroutine
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import InterfaceError, OperationalError

from shared import __version__
from shared.settings import (
    DEFAULT_PORTS,
    MIN_SECRET_LENGTH,
    ROLES,
    ServiceSettings,
    token_key_problem,
    weak_secrets,
)
from sopdesk.catalogue import SERVICE_NAMES, entry
from sopdesk.private_files import write_private

app = typer.Typer(
    help="sopdesk: a customer-service ticket system that runs your SOP.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
T = TypeVar("T")

EXAMPLE_TICKET = {
    "channel": "phone",
    "customer": {"phone": "13812345678"},
    "subject": "账号无法登录",
    "description": "登录失败",
}


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def _show_version(value: bool) -> None:
    if value:
        print(f"sopdesk {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    broker: Annotated[
        str | None,
        typer.Option(
            help="Kafka bootstrap servers for topics, dlq and replay "
            "[default: SOPDESK_KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092]"
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """sopdesk: a customer-service ticket system that runs your SOP."""
    if broker:
        os.environ["SOPDESK_KAFKA_BOOTSTRAP_SERVERS"] = broker


def _on_the_broker(work: Coroutine[Any, Any, T]) -> T:
    """Run an operation that talks to the broker; a broker that is not there is one line."""
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # the line below says it
    try:
        return asyncio.run(work)
    except (KafkaError, OSError) as exc:
        where = ServiceSettings().kafka_bootstrap_servers
        raise _fail(
            f"the broker at {where} does not answer ({type(exc).__name__}); "
            "give it with --broker or SOPDESK_KAFKA_BOOTSTRAP_SERVERS"
        ) from None


def _check_service(name: str) -> str:
    if name not in SERVICE_NAMES:
        raise typer.BadParameter(f"choose one of: {', '.join(SERVICE_NAMES)}")
    return name


@app.command()
def serve(
    service: Annotated[
        str,
        typer.Argument(
            help="intake, triage, dispatch, followup or analytics", callback=_check_service
        ),
    ],
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: SOPDESK_HOST or 127.0.0.1]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port [default: SOPDESK_PORT or the service's own]")
    ] = None,
    migrate: Annotated[
        bool, typer.Option("--migrate", help="Migrate the store before serving")
    ] = False,
) -> None:
    """Run one service against the configured database and Kafka (SOPDESK_* variables)."""
    import uvicorn

    from shared.observability import configure_logging

    svc = entry(service)
    settings = svc.settings_class()
    if not settings.api_keys:
        raise _fail("SOPDESK_API_KEYS is empty: set it to a JSON object of key → role")
    weak = weak_secrets(settings)
    if weak:
        raise _fail(
            f"placeholder or short (< {MIN_SECRET_LENGTH} characters) secrets: " + "; ".join(weak)
        )
    missing = token_key_problem(settings)
    if missing:
        raise _fail(missing)
    os.umask(0o077)  # what the service writes (SQLite store, files) is its own
    configure_logging(service, settings.log_level, settings.log_json)
    if migrate:
        _migrate_one(service, settings.resolved_database_url, create_database=True)
    uvicorn.run(
        svc.create_app(settings),
        host=host or settings.host,
        port=port or settings.resolved_port,
        log_config=None,
        access_log=False,
    )


def _migrate_one(service: str, url: str, *, create_database: bool) -> None:
    from shared.migrations import ensure_database, upgrade

    if create_database and asyncio.run(ensure_database(url)):
        console.print(f"  created database for [bold]{service}[/]")
    upgrade(entry(service).migrations, url)


@app.command()
def migrate(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to migrate [default: all]")
    ] = None,
    create_database: Annotated[
        bool, typer.Option(help="Create a missing PostgreSQL database first")
    ] = True,
    wait: Annotated[
        float,
        typer.Option(help="Seconds to keep retrying while the database is not reachable yet"),
    ] = 0.0,
) -> None:
    """Migrate each service's store to the newest revision of its Alembic history."""
    chosen = services or list(SERVICE_NAMES)
    for name in chosen:
        _check_service(name)
    for index, name in enumerate(chosen, 1):
        url = entry(name).settings_class().resolved_database_url
        console.print(f"[{index}/{len(chosen)}] migrating [bold]{name}[/] …")
        deadline = time.monotonic() + wait
        delay = 0.5
        while True:
            try:
                _migrate_one(name, url, create_database=create_database)
                break
            except (OSError, OperationalError, InterfaceError) as exc:
                # The database starting (compose, a new pod): try again until --wait ends.
                if time.monotonic() + delay > deadline:
                    raise _fail(f"{name}: the database is not reachable: {exc}") from exc
                console.print(f"  database not reachable yet ({type(exc).__name__}); retrying")
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
            except Exception as exc:
                raise _fail(f"{name}: {exc}") from exc
    console.print("[green]all stores are at head[/]")


def _local_api_keys(data_dir: Path) -> dict[str, str]:
    """SOPDESK_API_KEYS if set; else the keys saved in the data directory, made once."""
    configured = os.environ.get("SOPDESK_API_KEYS", "").strip()
    if configured:
        keys: dict[str, str] = json.loads(configured)
        return keys
    path = data_dir / "api-keys.json"
    if path.exists():
        saved: dict[str, str] = json.loads(path.read_text())
        return saved
    keys = {f"sd_{role}_{secrets.token_urlsafe(18)}": role for role in ROLES}
    write_private(path, json.dumps(keys, indent=2))
    return keys


@app.command()
def up(
    data_dir: Annotated[
        Path, typer.Option(help="Where the SQLite stores, keys and logs live")
    ] = Path(".sopdesk"),
    host: Annotated[str, typer.Option(help="Address the services listen on")] = "127.0.0.1",
    base_port: Annotated[
        int, typer.Option(help="Port of intake; the others follow (+1 … +4)")
    ] = DEFAULT_PORTS["intake"],
    broker_port: Annotated[
        int, typer.Option(help="Port of the local Kafka-compatible broker")
    ] = 9092,
    demo: Annotated[bool, typer.Option(help="Seed demo agents so tickets get assigned")] = True,
    smtp_port: Annotated[
        int, typer.Option(help="Port of intake's SMTP listener (mail in becomes tickets); 0: off")
    ] = 8025,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="Store URL with {service} in it, e.g. postgresql+asyncpg://"
            "postgres@127.0.0.1:5432/sopdesk_{service} [default: SQLite files in --data-dir]"
        ),
    ] = None,
) -> None:
    """Run the broker and all five services locally, on SQLite, until Ctrl-C."""
    from sopdesk.local import LocalSystem

    # Stores, keys, secrets and logs hold contacts and credentials: private from the
    # start (the services inherit the mask, so SQLite creates its files 0600 too).
    os.umask(0o077)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    keys = _local_api_keys(data_dir)
    system = LocalSystem(
        data_dir=data_dir.resolve(),
        host=host,
        base_port=base_port,
        broker_port=broker_port,
        api_keys=keys,
        demo=demo,
        console=console,
        database_url=database_url,
        smtp_port=smtp_port or None,
    )
    try:
        system.start()
    except Exception as exc:
        system.stop()
        raise _fail(str(exc)) from exc

    table = Table(title="sopdesk is up", show_lines=False)
    table.add_column("service")
    table.add_column("URL")
    for name, url in system.urls().items():
        table.add_row(name, url)
    table.add_row("dashboard", system.urls()["analytics"] + "/  (asks for the viewer key)")
    table.add_row("broker", f"{host}:{broker_port}")
    if smtp_port:
        table.add_row("mail in (SMTP)", f"{host}:{smtp_port}")
    Console().print(table)
    keys_table = Table(title=f"API keys (saved in {data_dir / 'api-keys.json'})")
    keys_table.add_column("role")
    keys_table.add_column("key")
    for key, role in sorted(keys.items(), key=lambda kv: kv[1]):
        keys_table.add_row(role, key)
    Console().print(keys_table)
    if demo:
        _print_demo_people(system.urls()["dispatch"], system.demo_password())
    gateway = next((k for k, r in keys.items() if r == "gateway"), "<gateway key>")
    example = json.dumps(EXAMPLE_TICKET, ensure_ascii=False)
    Console(soft_wrap=True).print(
        "Try it:\n"
        f"  curl -s -X POST {system.urls()['intake']}/v1/tickets "
        f"-H 'Authorization: Bearer {gateway}' -H 'Content-Type: application/json' "
        f"-d '{example}'\n"
        f"Logs are in {data_dir / 'logs'}. Press Ctrl-C to stop.",
        markup=False,
    )
    exit_code = system.wait()
    raise typer.Exit(code=exit_code)


def _print_demo_people(dispatch_url: str, password: str) -> None:
    from services.dispatch import domain

    people = Table(title=f"Demo people (password for all: {password})")
    people.add_column("role")
    people.add_column("logins")
    people.add_row("agent", ", ".join(name for name, _team in domain.DEMO_AGENTS))
    people.add_row("supervisor", ", ".join(team.supervisor for team in domain.DEFAULT_TEAMS))
    people.add_row("admin", "admin")
    people.add_row("viewer", "viewer")
    Console().print(people)
    Console(soft_wrap=True).print(
        "Sign in (the access token lasts a minute; POST /v1/auth/refresh renews it):\n"
        f"  curl -s -X POST {dispatch_url}/v1/auth/sign-in -H 'Content-Type: application/json' "
        f"""-d '{{"login":"tech_support-agent-1","password":"{password}"}}'""",
        markup=False,
    )


# --------------------------------------------------------------------------- operations

dlq_app = typer.Typer(
    help="Dead-letter topics: list, show and redrive failed messages.", no_args_is_help=True
)
app.add_typer(dlq_app, name="dlq")


def _ops_settings() -> ServiceSettings:
    """Broker and prefix from SOPDESK_* variables (the operations need no store)."""
    return ServiceSettings()


def _service_urls(host: str, base_port: int | None) -> dict[str, str]:
    urls = {}
    for index, name in enumerate(SERVICE_NAMES):
        configured = os.environ.get(f"SOPDESK_{name.upper()}_URL")
        port = (base_port + index) if base_port else DEFAULT_PORTS[name]
        urls[name] = configured or f"http://{host}:{port}"
    return urls


@app.command()
def status(
    host: Annotated[str, typer.Option(help="Where the services listen")] = "127.0.0.1",
    base_port: Annotated[
        int | None, typer.Option(help="Port of intake, the others follow [default: 8001…8005]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """Health, readiness, consumer lag, outbox backlog and dead letters of every service.

    A service's URL may be given as SOPDESK_<SERVICE>_URL (e.g. SOPDESK_INTAKE_URL).
    """
    from sopdesk.operations import status as collect

    rows = asyncio.run(collect(_service_urls(host, base_port)))
    unhealthy = any(r.live != "ok" or r.ready != "ok" for r in rows)
    if as_json:
        print(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2))
        if unhealthy:
            raise typer.Exit(code=1)
        return
    table = Table(title="sopdesk status")
    for column in (
        "service",
        "live",
        "ready",
        "lag",
        "outbox",
        "dead letters",
        "idle s",
        "problems",
    ):
        table.add_column(column)

    def num(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f}"

    for row in rows:
        table.add_row(
            row.name,
            row.live,
            row.ready,
            num(row.lag),
            num(row.outbox_pending),
            num(row.dead_lettered),
            num(row.seconds_since_progress),
            "; ".join(row.problems),
        )
    Console().print(table)
    if any(r.live != "ok" or r.ready != "ok" for r in rows):
        raise typer.Exit(code=1)


@app.command()
def topics() -> None:
    """Create every topic with the configured partitions (SOPDESK_TOPIC_PARTITIONS)."""
    from services.dispatch.domain import DEFAULT_TEAM_KEYS
    from sopdesk.operations import create_topics

    names = _on_the_broker(create_topics(_ops_settings(), DEFAULT_TEAM_KEYS))
    for name in names:
        console.print(f"  {name}")
    console.print(f"[green]{len(names)} topics present[/]")


def _consumer_arg(name: str) -> str:
    if name not in SERVICE_NAMES:
        raise typer.BadParameter(f"choose one of: {', '.join(SERVICE_NAMES)}")
    return name


@dlq_app.command("list")
def dlq_list(
    consumer: Annotated[
        str,
        typer.Argument(
            help="The consumer (service) whose dead letters to list", callback=_consumer_arg
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """List a consumer's dead letters: where they came from, why, and whether redriven."""
    from sopdesk.operations import dead_letters

    letters = _on_the_broker(dead_letters(_ops_settings(), consumer))
    if as_json:
        rows = [
            {
                "partition": d.partition,
                "offset": d.offset,
                "type": d.event_type,
                "origin": d.origin,
                "redriven": d.redriven,
                "error": d.error,
            }
            for d in letters
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"dead letters of {consumer}")
    for column in ("partition", "offset", "type", "origin", "redriven", "error"):
        table.add_column(column)
    for letter in letters:
        table.add_row(
            str(letter.partition),
            str(letter.offset),
            letter.event_type,
            letter.origin,
            "yes" if letter.redriven else "no",
            letter.error[:80],
        )
    Console().print(table)


@dlq_app.command("show")
def dlq_show(
    consumer: Annotated[str, typer.Argument(callback=_consumer_arg)],
    offset: Annotated[int, typer.Argument(help="Offset from `sopdesk dlq list`")],
    partition: Annotated[int, typer.Option(help="Partition from `sopdesk dlq list`")] = 0,
) -> None:
    """Show one dead letter in full (contacts masked)."""
    from sopdesk.operations import dead_letters

    letters = _on_the_broker(dead_letters(_ops_settings(), consumer))
    found = next((d for d in letters if d.offset == offset and d.partition == partition), None)
    if found is None:
        raise _fail(f"no dead letter of {consumer} at partition {partition}, offset {offset}")
    out = Console(soft_wrap=True)
    for key, value in sorted(found.headers.items()):
        out.print(f"{key}: {value}", markup=False)
    out.print(f"key: {found.key}", markup=False)
    out.print(found.value, markup=False)


@dlq_app.command("redrive")
def dlq_redrive(
    consumer: Annotated[str, typer.Argument(callback=_consumer_arg)],
    partition: Annotated[
        int | None, typer.Option(help="Only this partition of the dead-letter topic")
    ] = None,
    offset: Annotated[
        int | None,
        typer.Option(help="Only the dead letter at this offset (of --partition, default 0)"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be sent, send nothing")
    ] = False,
) -> None:
    """Send a consumer's dead letters back to that consumer alone (its retry topic), each once.

    No other consumer of the origin topic sees them again.
    """
    from sopdesk.operations import redrive

    with console.status("redriving …") as spinner:
        done = _on_the_broker(
            redrive(
                _ops_settings(),
                consumer,
                partition=partition,
                offset=offset,
                dry_run=dry_run,
                progress=lambda n: spinner.update(f"redriven {n} …"),
            )
        )
    for letter in done.letters:
        console.print(
            f"  {letter.partition}@{letter.offset} {letter.event_type} from {letter.origin}",
            markup=False,
        )
    if dry_run:
        console.print(
            f"[yellow]dry run: {len(done.letters)} dead letters would go to {done.target}[/]"
        )
    else:
        console.print(f"[green]{len(done.letters)} dead letters sent back[/] to {done.target}")


@app.command()
def replay(
    service: Annotated[
        str,
        typer.Argument(help="The service whose outbox to publish again", callback=_check_service),
    ],
    since: Annotated[
        datetime,
        typer.Option(help="Publish events written at or after this time (UTC if no offset)"),
    ],
    topic: Annotated[
        list[str] | None,
        typer.Option(
            help="Only this topic (repeatable; `notifications` or the full name). "
            "Naming an external topic sends it."
        ),
    ] = None,
    include_external: Annotated[
        bool,
        typer.Option(
            "--include-external",
            help="Also re-send to topics read outside sopdesk (notifications, team work orders)",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be sent per topic, send nothing")
    ] = False,
) -> None:
    """Publish again what a service's outbox recorded since a time, e.g. after the broker lost data.

    Consumers drop what they already processed, so replaying too much is safe for them.
    Gateways and teams act on what they read (an SMS, a work order), so notifications
    and assignment topics are left out unless named with --topic or --include-external.
    """
    from sopdesk.operations import replay as run_replay

    moment = since if since.tzinfo else since.replace(tzinfo=UTC)
    with console.status("replaying …") as spinner:
        done = asyncio.run(
            run_replay(
                service,
                moment,
                only_topics=topic or (),
                include_external=include_external,
                dry_run=dry_run,
                progress=lambda n, total: spinner.update(f"replayed {n}/{total} …"),
            )
        )
    for name, count in sorted(done.sent.items()):
        console.print(f"  {name}: {count}")
    for name, count in sorted(done.skipped_external.items()):
        console.print(f"  {name}: {count} left out (external; --topic {name} sends them)")
    if dry_run:
        console.print(f"[yellow]dry run: {done.total} events of {service} would be published[/]")
    else:
        console.print(f"[green]{done.total} events of {service} published again[/]")


# --------------------------------------------------------------------------- triage

triage_app = typer.Typer(help="Triage's classifier: train a new version.", no_args_is_help=True)
app.add_typer(triage_app, name="triage")


@triage_app.command("train")
def triage_train(
    note: Annotated[str, typer.Option(help="Why this version (kept with it)")] = "",
    by: Annotated[str, typer.Option(help="Who trains it (kept with it)")] = "cli",
) -> None:
    """Train a classifier version on the corpus plus every supervisor's re-triage.

    It is scored with the rules in force on the corpus's held-out split, beside the
    version in force, and put in force only if no figure is worse (category, team,
    priority, P0 recall, P2 texts raised to P0). Uses SOPDESK_DATABASE_URL for triage's
    store and needs the `train` extra (scikit-learn).
    """
    from sopdesk.learning import train

    with console.status("training …"):
        outcome = asyncio.run(train(note, by))
    table = Table(title=f"model v{outcome.version} against v{outcome.version_in_force}")
    table.add_column("held-out")
    table.add_column(f"v{outcome.version}", justify="right")
    table.add_column(f"v{outcome.version_in_force} (in force)", justify="right")
    for key in ("category", "team", "priority", "scene", "p0_recall", "p2_raised_to_p0"):
        table.add_row(key, str(outcome.figures[key]), str(outcome.figures_in_force[key]))
    Console().print(table)
    verdict = "in force now" if outcome.activated else "kept, not in force (worse somewhere)"
    console.print(
        f"v{outcome.version}: {outcome.examples} tickets ({outcome.corrections} corrections); "
        f"{verdict}"
    )


@app.command()
def chaos(
    short: Annotated[
        bool, typer.Option("--short", help="The short run of the test suite (one kill each)")
    ] = False,
    data_dir: Annotated[Path, typer.Option(help="Logs and the summary")] = Path(".chaos"),
    base_port: Annotated[int, typer.Option(help="First of ten service ports")] = 8160,
    broker_port: Annotated[int, typer.Option(help="Port of the local broker")] = 9106,
    postgres: Annotated[
        str, typer.Option(help="PostgreSQL server; the run makes and drops its databases")
    ] = "postgresql+asyncpg://postgres@127.0.0.1:5432",
) -> None:
    """The fault run: two replicas of every service on PostgreSQL, clients working,
    SIGKILLs, broker restarts, database cuts and a paused consumer; then every effect
    is counted. Exits 1 on anything lost or doubled."""
    import logging

    from sopdesk.chaos import FaultRun, Plan, report

    # The run's own clients see the broker restart; their reconnect chatter is noise.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    data_dir.mkdir(parents=True, exist_ok=True)
    run = FaultRun(
        Plan.short() if short else Plan.long(),
        data_dir=data_dir.resolve(),
        base_port=base_port,
        broker_port=broker_port,
        postgres=postgres,
        console=console,
    )
    checks = run.run()
    if not report(Console(), run, checks):
        raise typer.Exit(code=1)


if __name__ == "__main__":  # pragma: no cover
    app()
