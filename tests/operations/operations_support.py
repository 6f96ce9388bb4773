"""The command-line tool as the operations tests run it."""

from __future__ import annotations

from typer.testing import CliRunner

from sopdesk.cli import app

runner = CliRunner()


def invoke(*args: str) -> str:
    """``sopdesk ARGS``'s output; the command must succeed."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output
