"""The command line for scripts and operators: --version, --json, --broker, and a
one-line error when the broker is not where it looks."""

from __future__ import annotations

import json

import pytest
from testkit import free_port, free_port_block
from typer.testing import CliRunner

from shared import __version__
from sopdesk.cli import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"sopdesk {__version__}"


def test_status_as_json_when_nothing_answers() -> None:
    result = runner.invoke(app, ["status", "--json", "--base-port", str(free_port_block(5))])
    assert result.exit_code == 1  # nothing is up
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == ["intake", "triage", "dispatch", "followup", "analytics"]
    assert {r["live"] for r in rows} == {"down"}


def test_dlq_list_as_json_on_the_broker_given(
    broker: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOPDESK_TOPIC_PREFIX", topic_prefix)
    # --broker sets the variable for the process; monkeypatch restores it afterwards.
    monkeypatch.setenv("SOPDESK_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    result = runner.invoke(app, ["--broker", broker, "dlq", "list", "triage", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_a_missing_broker_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    where = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("SOPDESK_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    result = runner.invoke(app, ["--broker", where, "dlq", "list", "triage"])
    assert result.exit_code == 2
    assert f"the broker at {where} does not answer" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2  # one sentence, wrapped at most once
