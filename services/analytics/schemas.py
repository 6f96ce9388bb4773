"""HTTP bodies of analytics."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LedgerRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ticket_id: uuid.UUID
    ticket_no: str | None = Field(examples=["T20261122-000123"])
    channel: str | None = Field(examples=["phone"])
    customer_type: str | None
    masked_contact: str | None = Field(examples=["138****5678"])
    subject: str | None
    category: str | None = Field(examples=["fault"])
    priority: str | None = Field(examples=["P0"])
    team: str | None = Field(examples=["tech_support"])
    agent_name: str | None
    state: str = Field(examples=["assigned"])
    received_at: datetime | None
    assigned_at: datetime | None
    respond_by: datetime | None
    resolve_by: datetime | None


class LedgerPage(BaseModel):
    items: list[LedgerRow]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last."
    )


class Summary(BaseModel):
    total: int = Field(examples=[42])
    queue_length: int = Field(examples=[3])
    by_state: dict[str, int] = Field(examples=[{"assigned": 39, "queued": 3}])
    by_channel: dict[str, int] = Field(examples=[{"phone": 20, "web_chat": 22}])
    by_category: dict[str, int] = Field(examples=[{"fault": 10, "inquiry": 32}])
    by_priority: dict[str, int] = Field(examples=[{"P0": 5, "P1": 12, "P2": 25}])
    by_team: dict[str, int] = Field(examples=[{"tech_support": 10}])
