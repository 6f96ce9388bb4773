"""The ``sopdesk`` command itself: its options, and what every subcommand shares."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaError
from rich.console import Console

from shared import __version__
from shared.settings import ServiceSettings
from sopdesk.catalogue import SERVABLE, SERVICE_NAMES

app = typer.Typer(
    help="sopdesk: a customer-service ticket system that runs your SOP.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
T = TypeVar("T")


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


def _check_servable(name: str) -> str:
    if name not in SERVABLE:
        raise typer.BadParameter(f"choose one of: {', '.join(SERVABLE)}")
    return name
