"""``sopdesk triage``: train a classifier version."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sopdesk.cli.root import app, console

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
