"""HTTP bodies of follow-up."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ClockView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(examples=["response"])
    state: str = Field(examples=["running"])
    priority: str | None = Field(examples=["P1"])
    started_at: datetime | None
    due_at: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None


class TicketSla(BaseModel):
    ticket_id: uuid.UUID
    clocks: list[ClockView]
