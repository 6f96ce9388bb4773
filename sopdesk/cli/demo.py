"""``sopdesk demo``: demo data for a local run."""

from __future__ import annotations

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
    run: Annotated[
        str, typer.Option(help="A name for this batch: the same name again adds no tickets")
    ] = "week-1",
) -> None:
    """Post a week of realistic tickets (the seeds' kinds of request) through intake's
    gateway API, so the dashboard, the ledger and the weekly report have data."""
    from sopdesk.demo_tickets import post_week

    keys = _local_api_keys(data_dir)
    gateway = next((key for key, role in keys.items() if role == "gateway"), None)
    if gateway is None:
        raise _fail(f"No gateway key in {data_dir / 'api-keys.json'} or SOPDESK_API_KEYS.")
    url = _service_urls(host, base_port)["intake"]
    try:
        numbers = post_week(url, gateway, run)
    except httpx.HTTPError as exc:
        raise _fail(f"Posting to {url} failed: {exc}") from exc
    console.print(f"posted {len(numbers)} demo tickets: {numbers[0]} … {numbers[-1]}")
