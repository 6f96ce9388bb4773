"""``sopdesk demo``: demo data for a local run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import httpx
import typer

from sopdesk.cli.operations import _service_urls
from sopdesk.cli.root import _fail, app, console
from sopdesk.cli.system import _local_api_keys

demo_app = typer.Typer(help="Demo data for a local run.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")


@demo_app.command("tickets")
def demo_tickets(
    data_dir: Annotated[
        Path, typer.Option(help="The data directory of `sopdesk up` (its API keys)")
    ] = Path(".sopdesk"),
    host: Annotated[str, typer.Option(help="Where the services listen")] = "127.0.0.1",
    base_port: Annotated[int | None, typer.Option(help="Port of intake [default: 8001]")] = None,
    broker: Annotated[
        str, typer.Option(help="The broker of `sopdesk up` (the customers' SMS texts)")
    ] = "127.0.0.1:9092",
    run: Annotated[
        str, typer.Option(help="A name for this batch: the same name again adds no tickets")
    ] = "week-1",
    work: Annotated[
        bool,
        typer.Option(help="Work the week: agents resolve, customers rate, callbacks are made"),
    ] = True,
) -> None:
    """Post a week of realistic tickets (the seeds' kinds of request) through intake's
    gateway API and work them as the demo agents and customers would, so the dashboard,
    the ledger and the weekly report have data."""
    from sopdesk.demo_tickets import post_week_tickets
    from sopdesk.demo_week import work_the_week

    keys = _local_api_keys(data_dir)
    by_role = {role: key for key, role in keys.items()}
    if "gateway" not in by_role:
        raise _fail(f"No gateway key in {data_dir / 'api-keys.json'} or SOPDESK_API_KEYS.")
    urls = _service_urls(host, base_port)
    try:
        posted = post_week_tickets(urls["intake"], by_role["gateway"], run)
    except httpx.HTTPError as exc:
        raise _fail(f"Posting to {urls['intake']} failed: {exc}") from exc
    console.print(
        f"posted {len(posted)} demo tickets: {posted[0].ticket_no} … {posted[-1].ticket_no}"
    )
    if not work:
        return
    secrets_file = data_dir / "secrets.json"
    password = (
        json.loads(secrets_file.read_text()).get("demo_password") if secrets_file.exists() else None
    )
    if not password:
        raise _fail(
            f"No demo password in {secrets_file}: is `sopdesk up` running with demo people?"
        )
    try:
        worked = work_the_week(posted, urls=urls, keys=by_role, password=password, broker=broker)
    except (httpx.HTTPError, TimeoutError) as exc:
        raise _fail(f"Working the demo week failed: {exc}") from exc
    agents = ", ".join(f"{login} {n}" for login, n in sorted(worked.by_agent.items()))
    console.print(
        f"worked the week: {len(worked.resolved)} resolved ({agents}), "
        f"{len(worked.accepted) - len(worked.resolved)} being worked, "
        f"{len(worked.surveys_answered)} surveys answered "
        f"({len(worked.reopened)} unhappy: reopened and resolved again), "
        f"{len(worked.callbacks_completed)} callbacks completed, "
        f"{len(worked.left_open)} waiting for their agent ({', '.join(worked.left_open)}), "
        f"{len(worked.queued)} still queued (their team's agents on shift are full)",
        markup=False,
    )
