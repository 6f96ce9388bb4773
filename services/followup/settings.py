from datetime import timedelta
from typing import ClassVar

from shared.settings import ServiceSettings


class FollowupSettings(ServiceSettings):
    service_name: ClassVar[str] = "followup"

    # Supervisors are warned this long before a deadline (never later than half the window).
    warning_lead: timedelta = timedelta(hours=4)
