"""Operating a running system: ``status``, ``topics``, ``dlq`` (dead letters) and ``replay``."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shared.settings import DEFAULT_PORTS, ServiceSettings
from sopdesk.catalogue import SERVICE_NAMES
from sopdesk.cli.root import _check_service, _fail, _on_the_broker, app, console

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
