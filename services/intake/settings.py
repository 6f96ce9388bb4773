from typing import ClassVar, Literal

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: ClassVar[str] = "intake"

    default_language: Literal["zh", "en"] = "zh"
    phone_region: str = "CN"
    subject_max_length: int = 200
    description_max_length: int = 5000
