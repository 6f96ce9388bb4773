"""Running sopdesk: ``serve`` one service, ``migrate`` the stores, ``up`` everything locally."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import InterfaceError, OperationalError

from shared.settings import DEFAULT_PORTS, MIN_SECRET_LENGTH, ROLES, token_key_problem, weak_secrets
from sopdesk.catalogue import SERVICE_NAMES, WORKSPACE, entry, servable
from sopdesk.cli.root import _check_servable, _check_service, _fail, app, console
from sopdesk.private_files import write_private

EXAMPLE_TICKET = {
    "channel": "phone",
    "customer": {"phone": "13812345678"},
    "subject": "账号无法登录",
    "description": "登录失败",
}


@app.command()
def serve(
    service: Annotated[
        str,
        typer.Argument(
            help="intake, triage, dispatch, followup, analytics or workspace (the web pages)",
            callback=_check_servable,
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

    svc = servable(service)
    settings = svc.settings_class()
    # The workspace calls the services with the signed-in person's token, not a key.
    if not settings.api_keys and service != WORKSPACE:
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
    if migrate and service != WORKSPACE:
        _migrate_one(service, settings.resolved_database_url, create_database=True)
    from sopdesk.quiet_server import run

    run(
        uvicorn.Config(
            svc.create_app(settings),
            host=host or settings.host,
            port=port or settings.resolved_port,
            log_config=None,
            access_log=False,
        )
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
        int,
        typer.Option(help="Port of intake; the others follow (+1 … +4), the workspace at +5"),
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
    workspace: Annotated[
        bool, typer.Option(help="Also run the web workspace (agents, supervisors) at base port + 5")
    ] = True,
) -> None:
    """Run the broker, the five services and the workspace locally, on SQLite, until Ctrl-C."""
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
        workspace=workspace,
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
