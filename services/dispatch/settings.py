from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings


class DispatchSettings(ServiceSettings):
    service_name: ClassVar[str] = "dispatch"

    # `sopdesk up` turns this on: a few agents per team so tickets get assigned.
    demo_agents: bool = False
    demo_agent_capacity: int = 5
    # `sopdesk up` turns this on too: the demo teams work in shifts (24×7, seed 004).
    demo_shifts: bool = False
    # How often every replica applies shift changes (handover, queue drained at a shift's
    # start); a shift starts late by at most this much.
    shift_timer_interval_seconds: float = Field(default=30.0, gt=0, le=600)

    # P0 and VIP tickets go only to agents with at least this level (1..5) in the
    # ticket's skill (or in any skill when the team does not list the ticket's skill).
    min_skill_level_p0_vip: int = Field(default=2, ge=0, le=5)

    # "My work" (issue 13): a ticket is due soon when a deadline comes within this many
    # minutes (seed 002: report 4 h before the deadline and ask for more time).
    due_soon_minutes: int = Field(default=240, ge=1, le=24 * 60 * 7)

    # On-site visits (seed 000: an engineer within 48 h): the latest a window may end.
    visit_within_hours: int = Field(default=48, ge=1, le=24 * 30)

    # A compensation above its kind's threshold waits for the team supervisor;
    # at or below it, it is approved by policy at once. Amounts in CNY (yuan);
    # extended_warranty in days. SOPDESK_COMPENSATION_THRESHOLDS='{"refund": 100}'.
    compensation_thresholds: dict[str, float] = Field(
        default_factory=lambda: {
            "coupon": 50.0,
            "refund": 200.0,
            "extended_warranty": 90.0,
            "free_repair": 300.0,
        }
    )

    # People's access tokens (shared/tokens.py): dispatch signs with this Ed25519 private
    # key (PEM); every service checks with SOPDESK_TOKEN_PUBLIC_KEY. `sopdesk up` makes
    # the pair once per data directory; `serve` refuses to start without it.
    token_private_key: str = ""
    # Short, so that a disabled account or a sign-out is refused everywhere within a
    # minute without any service asking dispatch.
    access_token_ttl_seconds: int = Field(default=60, ge=10, le=3600)
    refresh_token_ttl_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    # Failed sign-ins within the window before 429: per login, and per client address.
    sign_in_limit_per_login: int = Field(default=5, ge=1)
    sign_in_limit_per_address: int = Field(default=20, ge=1)
    sign_in_window_seconds: int = Field(default=900, ge=1)
    # `sopdesk up` sets it: the demo people's password (empty: no demo people).
    demo_password: str = ""
