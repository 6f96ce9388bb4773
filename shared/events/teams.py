"""Team announcements: dispatch owns the teams; triage, intake and analytics keep a copy."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.events.envelope import Envelope, Payload


class TeamData(Payload):
    """A team as dispatch holds it; triage, intake and analytics keep a copy from these."""

    key: str = Field(min_length=1, max_length=32, examples=["vip_desk"])
    name: str = Field(description="Display name, Chinese by default", examples=["VIP 专席"])
    name_en: str | None = Field(default=None, examples=["VIP desk"])
    supervisor: str | None = None
    skills: list[str] = Field(default_factory=list)
    # When dispatch last changed the team. Dispatch announces its teams again at start,
    # so a copy takes an announcement only when it is not older than what it holds.
    updated_at: datetime


class TeamEvent(Envelope):
    stream: ClassVar[str] = "dispatch"
    data: TeamData

    def key(self) -> str:
        # One team's announcements stay in order on one partition.
        return f"team:{self.data.key}"


class TeamCreated(TeamEvent):
    type: Literal["team.created"] = "team.created"


class TeamUpdated(TeamEvent):
    type: Literal["team.updated"] = "team.updated"


class TeamDeleted(TeamEvent):
    type: Literal["team.deleted"] = "team.deleted"
