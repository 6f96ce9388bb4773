"""Fixtures for the operations commands' tests: the tool's environment on the real broker."""

from __future__ import annotations

from pathlib import Path

import pytest
from operations_support import invoke

from services.triage.app import MIGRATIONS as TRIAGE_MIGRATIONS
from shared.migrations import upgrade
from shared.settings import ServiceSettings


@pytest.fixture
def ops_env(broker: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch) -> ServiceSettings:
    """The settings the tool reads from the environment: this test's broker and prefix."""
    monkeypatch.setenv("SOPDESK_KAFKA_BOOTSTRAP_SERVERS", broker)
    monkeypatch.setenv("SOPDESK_TOPIC_PREFIX", topic_prefix)
    monkeypatch.setenv("SOPDESK_TOPIC_PARTITIONS", "2")
    monkeypatch.setenv("COLUMNS", "250")  # tables as wide as a real terminal
    return ServiceSettings()


@pytest.fixture
def triage_url(ops_env: ServiceSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Triage's store migrated where the tool finds it (SOPDESK_DATABASE_URL), with every
    topic made by ``sopdesk topics``: what ``sopdesk replay`` reads and writes to."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'triage.db'}"
    monkeypatch.setenv("SOPDESK_DATABASE_URL", url)
    upgrade(TRIAGE_MIGRATIONS, url)
    invoke("topics")
    return url
