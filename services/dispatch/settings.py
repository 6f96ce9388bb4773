from typing import ClassVar

from shared.settings import ServiceSettings


class DispatchSettings(ServiceSettings):
    service_name: ClassVar[str] = "dispatch"

    # `sopdesk up` turns this on: a few agents per team so tickets get assigned.
    demo_agents: bool = False
    demo_agent_capacity: int = 5
