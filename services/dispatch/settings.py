from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings


class DispatchSettings(ServiceSettings):
    service_name: ClassVar[str] = "dispatch"

    # `sopdesk up` turns this on: a few agents per team so tickets get assigned.
    demo_agents: bool = False
    demo_agent_capacity: int = 5

    # P0 and VIP tickets go only to agents with at least this level (1..5) in the
    # ticket's skill (or in any skill when the team does not list the ticket's skill).
    min_skill_level_p0_vip: int = Field(default=2, ge=0, le=5)

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
