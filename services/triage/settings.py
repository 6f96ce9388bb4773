from typing import ClassVar

from pydantic import field_validator

from shared.settings import ServiceSettings


class TriageSettings(ServiceSettings):
    service_name: ClassVar[str] = "triage"

    # SOPDESK_SLA_PRESET: cross-industry (default), sop-basic, helpdesk, or a policy an
    # admin created; empty means the industry preset's policy.
    sla_preset: str = ""
    # SOPDESK_INDUSTRY: generic, e-commerce, finance, manufacturing, healthcare, education.
    industry: str = "generic"
    # How many knowledge-base suggestions an inquiry carries in ticket.triaged.
    kb_suggestions: int = 3

    @field_validator("industry")
    @classmethod
    def _known_industry(cls, value: str) -> str:
        from services.triage.industries import INDUSTRIES

        if value not in INDUSTRIES:
            raise ValueError(f"unknown industry {value!r}; known: {', '.join(INDUSTRIES)}")
        return value

    @property
    def effective_sla_policy(self) -> str:
        from services.triage.industries import INDUSTRIES

        return self.sla_preset or INDUSTRIES[self.industry].sla_policy
