"""``sopdesk chaos``: the fault run."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sopdesk.cli.root import app, console


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
