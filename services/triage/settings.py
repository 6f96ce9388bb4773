from typing import ClassVar

from shared.settings import ServiceSettings


class TriageSettings(ServiceSettings):
    service_name: ClassVar[str] = "triage"

    sla_preset: str = "cross-industry"
