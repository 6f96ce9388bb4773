"""Settings come from ``SOPDESK_*`` environment variables."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import ValidationError

from shared.settings import ServiceSettings


class TriageLikeSettings(ServiceSettings):
    service_name: ClassVar[str] = "triage"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("API_KEYS", "DATABASE_URL", "TOPIC_PREFIX", "PORT", "KAFKA_BOOTSTRAP_SERVERS"):
        monkeypatch.delenv(f"SOPDESK_{name}", raising=False)


def test_api_keys_are_read_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPDESK_API_KEYS", '{"k-gw": "gateway", "k-admin": "admin"}')
    assert ServiceSettings().api_keys == {"k-gw": "gateway", "k-admin": "admin"}


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_api_keys_mean_none(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SOPDESK_API_KEYS", value)
    assert ServiceSettings().api_keys == {}


def test_unknown_role_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPDESK_API_KEYS", '{"k1": "agent", "k2": "root"}')
    with pytest.raises(ValidationError, match="root"):
        ServiceSettings()


def test_api_keys_that_are_not_json_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPDESK_API_KEYS", "k1=agent")
    with pytest.raises(ValidationError):
        ServiceSettings()


def test_environment_and_service_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPDESK_TOPIC_PREFIX", "acme")
    monkeypatch.setenv("SOPDESK_KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9092,kafka-1:9092")
    settings = TriageLikeSettings()
    assert settings.topic_prefix == "acme"
    assert settings.kafka_bootstrap_servers == "kafka-0:9092,kafka-1:9092"
    assert settings.resolved_database_url.endswith("/sopdesk_triage")
    assert settings.resolved_port == 8002
    assert not settings.is_sqlite
    assert settings.kafka_enable_idempotence is False  # Tansu rejects idempotent producers

    monkeypatch.setenv("SOPDESK_DATABASE_URL", "sqlite+aiosqlite:///data/{service}.db")
    monkeypatch.setenv("SOPDESK_PORT", "9000")
    settings = TriageLikeSettings()
    assert settings.resolved_database_url == "sqlite+aiosqlite:///data/triage.db"
    assert settings.is_sqlite
    assert settings.resolved_port == 9000
