from typing import ClassVar

from shared.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service_name: ClassVar[str] = "analytics"
