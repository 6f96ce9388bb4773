"""HTTP bodies of dispatch's supervision: the supervisor's inbox, reassigning and taking
over a ticket, and requests for more time (the rest of dispatch's bodies are in
``schemas``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.dispatch.schemas import CompensationView, ExpectedVersion, Reason

# --------------------------------------------------------------------------- supervisor


class InboxItemView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    team_key: str
    kind: str = Field(examples=["escalation"])
    ticket_id: uuid.UUID | None
    ticket_no: str | None
    assignment_id: uuid.UUID | None
    priority: str | None
    summary: str = Field(
        description="One English line for API clients (the agent by display name); the"
        " fields below are the same facts for a client to word in its reader's language",
        examples=["P0 ticket T20261202-000001 assigned to 王工 (triaged): 账号无法登录"],
    )
    created_at: datetime
    agent_id: uuid.UUID | None = Field(
        default=None,
        description="The agent concerned: the assignee, who escalated or asked for more time,"
        " the agent a reopened ticket or an unsatisfied survey is about",
    )
    agent_name: str | None = Field(
        default=None, description="That agent's display name", examples=["王工"]
    )
    subject: str | None = Field(
        default=None, description="The ticket's subject (masked)", examples=["账号无法登录"]
    )
    text: str | None = Field(
        default=None,
        description="A person's own words (masked): the escalation's or extension's reason,"
        " why the ticket was reopened, the survey's comment",
        examples=["客户情绪激动，要求主管回电"],
    )
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="Facts by kind — report: cause (triaged, transferred, reopened,"
        " retriaged, redispatched, drained, reassigned, taken_over); sla_warning/sla_breached:"
        " clock (response, resolution, update), due_at; extension_request: extra_minutes,"
        " due_at; unsatisfied_survey: score, resolved; reopened: score (when a survey)",
        examples=[{"cause": "triaged"}, {"clock": "resolution", "due_at": "2026-12-02T10:00:00Z"}],
    )
    state: str = Field(default="open", examples=["open"], description="open, handled, dismissed")
    closed_by: str | None = None
    closed_by_name: str | None = None
    closed_at: datetime | None = None
    note: str | None = None
    ref_id: uuid.UUID | None = Field(
        default=None, description="The extension request or survey the item is about"
    )


class InboxView(BaseModel):
    teams: list[str] = Field(examples=[["tech_support"]])
    escalations: list[InboxItemView]
    reports: list[InboxItemView]
    sla_warnings: list[InboxItemView]
    sla_breaches: list[InboxItemView]
    pending_approvals: list[CompensationView]
    reopened: list[InboxItemView] = Field(default_factory=list)
    extension_requests: list[InboxItemView] = Field(default_factory=list)
    unsatisfied_surveys: list[InboxItemView] = Field(default_factory=list)
    state: str = Field(default="open", examples=["open"])


# --------------------------------------------------------------------------- supervision


class ReassignBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "agent_id": "6f1c1a4e-8a43-4e59-9d1e-6b9c1f0b2d11",
                    "reason": "王工请假,转给老李",
                    "expected_version": 4,
                }
            ]
        },
    )

    agent_id: uuid.UUID
    reason: Reason
    expected_version: ExpectedVersion = None


class TakeOverBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "VIP 客户投诉,主管亲自处理"}]}
    )

    reason: Reason
    expected_version: ExpectedVersion = None


class InboxNoteBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "已与客户电话沟通,安排补发"}]}
    )

    note: str | None = Field(default=None, max_length=2000)


class ExtensionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"extra_minutes": 240, "reason": "等待厂家寄回检测报告,预计明天上午到"}]
        },
    )

    extra_minutes: int = Field(ge=1, le=7 * 24 * 60, description="more time on the resolution")
    reason: Reason
    expected_version: ExpectedVersion = None


class ExtensionDecisionBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "同意,请今天内告知客户进展"}]}
    )

    note: str | None = Field(default=None, max_length=2000)


class ExtensionRequestView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    assignment_id: uuid.UUID
    ticket_id: uuid.UUID
    team_key: str = Field(examples=["tech_support"])
    agent_id: uuid.UUID
    extra_minutes: int = Field(examples=[240])
    reason: str
    state: str = Field(examples=["pending"], description="pending, granted, refused")
    created_at: datetime
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    resolve_by_before: datetime | None = None
    resolve_by_after: datetime | None = None
