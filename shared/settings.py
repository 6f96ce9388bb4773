"""One typed settings class per service, all built on this base.

Every field is read from an environment variable with the ``SOPDESK_`` prefix
(``SOPDESK_DATABASE_URL``, ``SOPDESK_KAFKA_BOOTSTRAP_SERVERS`` ...).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROLES = ("gateway", "agent", "supervisor", "admin", "viewer")

DEFAULT_PORTS = {
    "intake": 8001,
    "triage": 8002,
    "dispatch": 8003,
    "followup": 8004,
    "analytics": 8005,
}


class ServiceSettings(BaseSettings):
    """Settings every service shares. Subclasses set ``service_name``."""

    model_config = SettingsConfigDict(env_prefix="SOPDESK_", extra="ignore")

    service_name: ClassVar[str] = "service"

    # ``{service}`` is replaced by the service name, so one value serves all five
    # stores in a local run; production sets a plain URL per service.
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/sopdesk_{service}"
    database_pool_size: int = 10

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = "sopdesk"
    topic_partitions: int = 6
    topic_replication_factor: int = 1
    # Apache Kafka may enable this; the local Tansu broker rejects InitProducerId.
    kafka_enable_idempotence: bool = False

    api_keys: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    host: str = "127.0.0.1"
    port: int = 0
    # OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces; empty: off.
    tracing_endpoint: str = ""
    # A request body larger than this is refused with 413 before it is parsed.
    max_request_bytes: int = 1_048_576
    log_level: str = "INFO"
    log_json: bool = True

    relay_batch_size: int = 500
    relay_idle_seconds: float = 0.1
    relay_linger_seconds: float = 0.002
    # Published outbox rows (kept for replay) and inbox ids (kept to spot
    # redeliveries) older than this are deleted; keep it longer than any
    # redelivery or replay you may need.
    bus_retention_hours: float = 168.0
    bus_prune_interval_seconds: float = 600.0
    consumer_batch_size: int = 500
    consumer_max_attempts: int = 3
    # The local broker answers a group join after about half of this.
    consumer_session_timeout_ms: int = 10_000
    # Liveness fails when messages wait and no batch finished for this long.
    consumer_stall_seconds: float = 300.0
    # The local broker holds a fetch for this long even when data arrives in the
    # meantime, so it bounds every hop's latency; Apache Kafka answers early.
    consumer_fetch_max_wait_ms: int = 20

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_api_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else {}
        if isinstance(value, dict):
            unknown = sorted({role for role in value.values() if role not in ROLES})
            if unknown:
                raise ValueError(f"unknown role(s) {unknown}; roles are {list(ROLES)}")
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url.replace("{service}", self.service_name)

    @property
    def resolved_port(self) -> int:
        return self.port or DEFAULT_PORTS.get(self.service_name, 8000)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
