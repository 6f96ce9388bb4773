"""The workspace's settings: where the five services answer, how times are shown, and how
the session cookie is kept (every field from a ``SOPDESK_`` variable, as for the services)."""

from __future__ import annotations

import secrets
from typing import ClassVar
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator

from shared.settings import ServiceSettings


class WorkspaceSettings(ServiceSettings):
    service_name: ClassVar[str] = "workspace"

    # The five services' base URLs (SOPDESK_INTAKE_URL ...); `sopdesk up` sets them.
    intake_url: str = "http://127.0.0.1:8001"
    triage_url: str = "http://127.0.0.1:8002"
    dispatch_url: str = "http://127.0.0.1:8003"
    followup_url: str = "http://127.0.0.1:8004"
    analytics_url: str = "http://127.0.0.1:8005"
    # Seconds one call to a service may take before the page says it is unavailable.
    service_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    # Times on pages are shown in this zone (the services speak UTC).
    display_timezone: str = "Asia/Shanghai"
    # zh-CN first; a person switches to English with the language link (a cookie).
    default_language: str = "zh-CN"

    # The session cookie holds dispatch's access and refresh tokens. Secure is on in
    # production (HTTPS); `sopdesk up` serves plain HTTP on 127.0.0.1 and turns it off.
    cookie_secure: bool = True
    cookie_name: str = "sopdesk_session"
    # Signs the CSRF token bound to the session (SOPDESK_WORKSPACE_SECRET). Unset, each
    # process makes its own and a form rendered by one replica fails on another.
    workspace_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32))
    )

    # Live updates: the workspace reads the event streams from their newest message
    # with a group of its own that never commits, and tells connected browsers.
    live_updates: bool = True
    # An open event stream sends a comment this often, so proxies keep it open.
    live_keepalive_seconds: float = Field(default=15.0, gt=0, le=300)

    @field_validator("display_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (KeyError, ValueError) as exc:  # the setting is wrong: say so at start
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_timezone)

    def service_url(self, service: str) -> str:
        url: str = getattr(self, f"{service}_url")
        return url.rstrip("/")
