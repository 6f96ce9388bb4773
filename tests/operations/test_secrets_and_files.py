"""Placeholder and short secrets are refused at start; keys and secrets are private files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from services.intake.settings import IntakeSettings
from shared.settings import ServiceSettings, weak_secrets
from sopdesk.cli import _local_api_keys, app
from sopdesk.private_files import write_private

GOOD_KEY = "sd_admin_0123456789abcdefghij"


def test_short_and_placeholder_secrets_are_named_never_shown() -> None:
    settings = IntakeSettings(
        api_keys={"k": "admin", "change-me-gateway-key": "gateway", GOOD_KEY: "admin"},
        verification_secret=SecretStr("change-me"),
        database_url="postgresql+asyncpg://intake:change-me@db/sopdesk_intake",
    )
    problems = weak_secrets(settings)
    assert len(problems) == 4, problems
    assert any("SOPDESK_VERIFICATION_SECRET" in p for p in problems)
    assert any("DATABASE_URL" in p for p in problems)
    assert not any("change-me" in p for p in problems)  # the values stay out of the output


def test_real_secrets_pass() -> None:
    settings = IntakeSettings(api_keys={GOOD_KEY: "admin"})
    assert weak_secrets(settings) == []
    assert weak_secrets(ServiceSettings(api_keys={GOOD_KEY: "admin"})) == []


def test_serve_refuses_to_start_with_a_placeholder_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPDESK_API_KEYS", json.dumps({"change-me": "admin"}))
    result = CliRunner().invoke(app, ["serve", "triage"])
    assert result.exit_code != 0
    assert "placeholder or short" in result.output
    assert "change-me" not in result.output


def test_keys_are_written_private_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOPDESK_API_KEYS", raising=False)
    old = os.umask(0o022)  # a permissive mask: the file must not depend on it
    try:
        keys = _local_api_keys(tmp_path)
    finally:
        os.umask(old)
    path = tmp_path / "api-keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == keys
    write_private(tmp_path / "secrets.json", "{}")
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600
