"""HTTP bodies of dispatch."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TeamView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str = Field(examples=["tech_support"])
    name: str
    supervisor: str
    skills: list[str]


class AgentView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    team_key: str
    skills: list[str]
    capacity: int = Field(examples=[5])
    status: str = Field(examples=["online"])
    active_count: int = Field(examples=[2])


class AssignmentView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    ticket_no: str = Field(examples=["T20261122-000123"])
    team_key: str
    agent_id: uuid.UUID | None
    state: str = Field(examples=["assigned"])
    priority: str = Field(examples=["P0"])
    category: str
    subject: str
    respond_by: datetime
    resolve_by: datetime
    created_at: datetime
    assigned_at: datetime | None
