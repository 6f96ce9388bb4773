"""One typed settings class per service, all built on this base.

Every field is read from an environment variable with the ``SOPDESK_`` prefix
(``SOPDESK_DATABASE_URL``, ``SOPDESK_KAFKA_BOOTSTRAP_SERVERS`` ...).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.tokens import is_placeholder, load_private_key, load_public_key

ROLES = ("gateway", "agent", "supervisor", "admin", "viewer")

# A key or secret shorter than this, or one of these words, is a placeholder someone
# forgot to replace; ``serve`` refuses to start with one.
MIN_SECRET_LENGTH = 16
PLACEHOLDER_WORDS = (
    "change-me",
    "changeme",
    "change_me",
    "replace-me",
    "replace-with",
    "secret",
    "password",
)

DEFAULT_PORTS = {
    "intake": 8001,
    "triage": 8002,
    "dispatch": 8003,
    "followup": 8004,
    "analytics": 8005,
    "workspace": 8006,
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

    # key -> role (older form), or key -> {"name", "scopes", "role"?} (shared/auth.py).
    api_keys: Annotated[dict[str, Any], NoDecode] = Field(default_factory=dict)
    # The PEM public key that checks people's access tokens (dispatch signs them).
    # `sopdesk up` makes a key pair once per data directory; `serve` refuses to start
    # without one. Empty: only API keys are accepted.
    token_public_key: str = ""
    # Clock skew tolerated on a token's expiry between machines.
    token_leeway_seconds: float = Field(default=0.0, ge=0, le=30)

    host: str = "127.0.0.1"
    port: int = 0
    # OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces; empty: off.
    tracing_endpoint: str = ""
    # A request body larger than this is refused with 413 before it is parsed.
    max_request_bytes: int = 1_048_576
    log_level: str = "INFO"
    log_json: bool = True

    relay_batch_size: int = 500
    # The relay wakes on this process's commits; the idle poll only finds rows
    # another process left behind, so it can be slow (an idle service sleeps): it
    # waits relay_idle_seconds, doubled after each poll that found nothing up to
    # relay_max_idle_seconds (how long such a row may wait).
    relay_idle_seconds: float = 2.0
    relay_max_idle_seconds: float = 30.0
    relay_linger_seconds: float = 0.002
    # Published outbox rows (kept for replay) and inbox ids (kept to spot
    # redeliveries) older than this are deleted; keep it longer than any
    # redelivery or replay you may need.
    bus_retention_hours: float = 168.0
    # Published notification rows (raw contacts, codes, survey links) are kept only
    # this long: long enough for `sopdesk replay --include-external` to resend what a
    # broker lost before gateways read it, short so those secrets leave the store soon.
    notification_replay_minutes: float = Field(default=60.0, ge=0)
    bus_prune_interval_seconds: float = 600.0
    consumer_batch_size: int = 500
    consumer_max_attempts: int = 3
    # The local broker answers a group join after about half of this.
    consumer_session_timeout_ms: int = 10_000
    # Liveness fails when messages wait and no batch finished for this long.
    consumer_stall_seconds: float = 300.0
    # The local broker holds a fetch that finds nothing for this long even when data
    # arrives in the meantime (measured again 2026-12-02 with several partitions: a
    # message waits out the rest of the wait), so it bounds every hop's latency;
    # Apache Kafka answers early (use 500 there).
    consumer_fetch_max_wait_ms: int = 20
    # After 5 s with no messages a consumer fetches with this wait instead, so a
    # quiet topic costs one fetch a second, not fifty (each held fetch costs the
    # local broker CPU); the first event after a quiet spell waits up to this long
    # at each hop. Set it equal to the above to keep one wait.
    consumer_idle_fetch_max_wait_ms: int = 1000
    # Applied batches' offsets go to the broker together, at most this long after the
    # first of them (sooner when nothing is waiting): two broker requests a batch were
    # a third of what the local broker served. A crash re-reads what was not committed
    # yet, and the inbox turns it into no-ops. 0 commits after every batch.
    consumer_commit_interval_ms: int = 250

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_api_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else {}
        if isinstance(value, dict):
            roles = {spec if isinstance(spec, str) else spec.get("role") for spec in value.values()}
            unknown = sorted(str(r) for r in roles - {*ROLES, None, "integration"})
            if unknown:
                raise ValueError(f"unknown role(s) {unknown}; roles are {list(ROLES)}")
            unnamed = [s for s in value.values() if isinstance(s, dict) and not s.get("name")]
            if unnamed:
                raise ValueError("a key given as an object needs a 'name' (used in audit)")
        return value

    # Dispatch adds token_private_key, the one service that signs: the same check holds it.
    @field_validator("token_public_key", "token_private_key", check_fields=False)
    @classmethod
    def _no_placeholder_key(cls, value: str, info: ValidationInfo) -> str:
        if value and is_placeholder(value):
            half = "private" if info.field_name == "token_private_key" else "public"
            raise ValueError(f"{info.field_name} is a placeholder: set the real PEM {half} key")
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


def token_key_problem(settings: ServiceSettings) -> str | None:
    """Why this service may not start with its token keys, or None: every service needs
    the public key, dispatch (which has ``token_private_key``) the matching private key."""
    public = settings.token_public_key
    if not public.strip() or is_placeholder(public):
        return (
            "SOPDESK_TOKEN_PUBLIC_KEY is missing: set the PEM public key of the Ed25519 pair"
            " that signs people's access tokens (`sopdesk up` makes one per data directory)"
        )
    try:
        public_key = load_public_key(public)
    except ValueError as exc:
        return f"SOPDESK_TOKEN_PUBLIC_KEY is not usable: {exc}"
    private: str | None = getattr(settings, "token_private_key", None)
    if private is None:
        return None
    if not private.strip() or is_placeholder(private):
        return "SOPDESK_TOKEN_PRIVATE_KEY is missing: dispatch signs access tokens with it"
    try:
        private_key = load_private_key(private)
    except ValueError as exc:
        return f"SOPDESK_TOKEN_PRIVATE_KEY is not usable: {exc}"
    if private_key.public_key() != public_key:
        return "SOPDESK_TOKEN_PRIVATE_KEY does not match SOPDESK_TOKEN_PUBLIC_KEY"
    return None


def _weak(value: str) -> bool:
    lowered = value.lower()
    return len(value) < MIN_SECRET_LENGTH or any(word in lowered for word in PLACEHOLDER_WORDS)


def weak_secrets(settings: ServiceSettings) -> list[str]:
    """The settings holding a placeholder or too short a secret (names only, never values)."""
    problems = [
        f"SOPDESK_API_KEYS: the key ending …{key[-2:]}" for key in settings.api_keys if _weak(key)
    ]
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if (
            name.endswith("secret")
            and isinstance(value, SecretStr)
            and _weak(value.get_secret_value())
        ):
            problems.append(f"SOPDESK_{name.upper()}")
    if any(word in settings.resolved_database_url.lower() for word in PLACEHOLDER_WORDS):
        problems.append("SOPDESK_DATABASE_URL: its password")
    return problems
