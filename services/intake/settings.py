import secrets
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, SecretStr

from shared.settings import ServiceSettings


class WebhookTarget(BaseModel):
    """A channel gateway's webhook: notifications are POSTed there, signed with ``secret``
    the Standard Webhooks way (a ``whsec_``-prefixed secret is base64 after the prefix)."""

    url: str = Field(pattern=r"^https?://")
    secret: SecretStr


class IntakeSettings(ServiceSettings):
    service_name: ClassVar[str] = "intake"

    default_language: Literal["zh", "en"] = "zh"
    phone_region: str = "CN"
    subject_max_length: int = 200
    # Ticket numbers a replica reserves at once on PostgreSQL (see numbering.py):
    # larger blocks, fewer visits to the counter; a restart skips the rest of one.
    ticket_number_block: int = 100
    # New tickets arriving together share one transaction and one commit, at most this
    # many (services/intake/ticket_batches.py); 1: one transaction per request.
    ticket_batch_max: int = Field(default=64, ge=1)
    description_max_length: int = 5000
    # Member tiers (case-insensitive) that make a customer VIP.
    vip_member_tiers: list[str] = Field(
        default_factory=lambda: ["vip", "svip", "gold", "platinum", "diamond", "black"]
    )
    # One issue, one ticket: a request from the same customer within this window whose
    # subject + description is at least this similar (rapidfuzz 0-100) to an open ticket
    # is attached to that ticket as a message.
    dedup_window_hours: float = 24.0
    # Near-verbatim repeats (rapidfuzz ratio, 0-100) are one issue whatever they say.
    dedup_threshold: float = 85.0
    # One issue, one ticket on meaning too: the pair model decides (services/intake/
    # issue_match.py, pair_model.py); off: near-verbatim repeats only.
    dedup_by_meaning: bool = True
    # A customer message (or e-mail reply) to a ticket closed at most this many days ago
    # reopens it; a later one is refused (409 ticket_closed), so the gateway opens a new
    # ticket, and a later e-mail reply becomes a new ticket.
    reopen_window_days: float = 7.0

    # SMS-code verification. The secret keys the HMAC the codes are stored as: set it
    # (SOPDESK_VERIFICATION_SECRET) to one value on every replica. Unset, each process
    # makes its own, and a code sent by one replica cannot be checked by another.
    verification_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32))
    )
    # Survey links are signed here, into the message, with follow-up's secret (set the
    # same SOPDESK_SURVEY_SECRET and SOPDESK_SURVEY_BASE_URL on both), so the link
    # never travels on sopdesk.followup.
    survey_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    survey_base_url: str = "http://127.0.0.1:8004/v1/surveys/"
    verification_ttl_seconds: int = 300
    verification_max_attempts: int = 5
    verification_min_interval_seconds: int = 60
    verification_max_per_hour: int = 5
    # Times in customer notices ("预计今日17:00前反馈") are in this zone.
    display_timezone: str = "Asia/Shanghai"
    # Every SMS starts with this signature: China's SMS rules require the one registered
    # with the carrier (SOPDESK_SMS_SIGNATURE).
    sms_signature: str = "【sopdesk】"
    # Edited templates (/v1/templates) reach other replicas within this many seconds.
    template_cache_seconds: float = 5.0
    # A VIP list change made on another replica counts for its tickets within this many
    # seconds (this replica's at once).
    vip_cache_seconds: float = 5.0
    # Channel → gateway webhook, e.g. {"sms": {"url": "https://sms-gw/hook", "secret": "..."}}
    # (SOPDESK_NOTIFICATION_WEBHOOKS as JSON). "social" also serves "social:wechat" etc.
    notification_webhooks: dict[str, WebhookTarget] = Field(default_factory=dict)
    webhook_timeout_seconds: float = 10.0
    webhook_max_attempts: int = 8
    webhook_backoff_seconds: float = 2.0  # doubled per attempt
    webhook_backoff_max_seconds: float = 600.0
    webhook_poll_seconds: float = 0.5
    webhook_batch_size: int = 50
    # Built-in e-mail gateway: an SMTP listener that turns incoming mail into tickets.
    smtp_enabled: bool = False
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_max_message_bytes: int = 1_048_576
    # Outgoing e-mail notifications through an SMTP relay (when set and no "email" webhook).
    smtp_relay_host: str | None = None
    smtp_relay_port: int = 25
    smtp_relay_starttls: bool = False
    smtp_relay_username: str | None = None
    smtp_relay_password: SecretStr | None = None
    smtp_from: str = "sopdesk <support@sopdesk.local>"
