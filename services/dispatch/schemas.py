"""HTTP bodies of dispatch."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.dispatch.domain import MAX_SKILL_LEVEL
from shared.inputs import Amount, AwareInstant

AgentStatus = Literal["online", "away", "offline"]
AssignmentState = Literal["queued", "assigned", "accepted", "waiting_on_customer", "resolved"]
WorkView = Literal["new", "in_progress", "waiting", "due_soon", "breached"]
InboxState = Literal["open", "handled", "dismissed"]
CompensationKind = Literal["coupon", "refund", "extended_warranty", "free_repair"]

KEY_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"

# Every action on an assignment may say which version of it the caller saw (issue 13).
ExpectedVersion = Annotated[
    int | None,
    Field(
        ge=1,
        description="The assignment's `version` the caller saw; if it changed since, the "
        "action is refused (409 stale_assignment) and nothing is applied",
        examples=[3],
    ),
]
SKILL_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"

# Why an actor transfers, escalates, rejects, reassigns, takes over or asks for more time:
# required, and recorded with the decision.
Reason = Annotated[str, Field(min_length=1, max_length=1000)]


class PatchBody(BaseModel):
    """A PATCH body: only the fields sent, and not null, change."""

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None}


def _check_skill_levels(value: dict[str, int]) -> dict[str, int]:
    for skill, level in value.items():
        if not re.match(SKILL_PATTERN, skill):
            raise ValueError(f"skill {skill!r} must be lower-case letters, digits and _")
        if not 1 <= level <= MAX_SKILL_LEVEL:
            raise ValueError(f"level of {skill!r} must be 1..{MAX_SKILL_LEVEL}")
    return value


# --------------------------------------------------------------------------- teams


class TeamView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str = Field(examples=["tech_support"])
    name: str = Field(examples=["技术"])
    name_en: str | None = Field(default=None, examples=["technical support"])
    supervisor: str = Field(examples=["tech-supervisor"])
    skills: list[str] = Field(examples=[["fault"]])
    updated_at: datetime | None = None


class TeamCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "key": "vip_care",
                    "name": "VIP 专席",
                    "name_en": "VIP care",
                    "supervisor": "vip-supervisor",
                    "skills": ["complaint", "after_sales"],
                }
            ]
        },
    )

    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(
        min_length=1,
        max_length=100,
        description="What customers and reports call the team (Chinese by default): the "
        "notice says 已提交至{name}团队",
    )
    name_en: str | None = Field(
        default=None, min_length=1, max_length=100, description="English name (else `name`)"
    )
    supervisor: str = Field(min_length=1, max_length=100)
    skills: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        _check_skill_levels(dict.fromkeys(value, 1))
        return sorted(set(value))


class TeamUpdate(PatchBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"supervisor": "new-supervisor", "skills": ["fault"]}]},
    )

    name: str | None = Field(default=None, min_length=1, max_length=100)
    name_en: str | None = Field(default=None, min_length=1, max_length=100)
    supervisor: str | None = Field(default=None, min_length=1, max_length=100)
    skills: list[str] | None = Field(default=None, max_length=50)

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        _check_skill_levels(dict.fromkeys(value, 1))
        return sorted(set(value))


# --------------------------------------------------------------------------- agents


class AgentView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str = Field(examples=["tech_support-agent-1"])
    display_name: str | None = Field(
        default=None,
        validation_alias="account_name",
        examples=["技术1号"],
        description="The account's display name: what people, events and analytics call the "
        "agent (none for an agent without an account)",
    )
    team_key: str = Field(examples=["tech_support"])
    skills: list[str] = Field(examples=[["fault"]])
    skill_levels: dict[str, int] = Field(examples=[{"fault": 3}])
    capacity: int = Field(examples=[5])
    chat_capacity: int | None = Field(default=None, examples=[3])
    status: str = Field(examples=["online"])
    active_count: int = Field(examples=[2])
    chat_active_count: int = Field(default=0, examples=[1])
    last_assigned_at: datetime | None = None


class AgentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "王工",
                    "team_key": "tech_support",
                    "skills": {"fault": 3, "account": 2},
                    "capacity": 5,
                    "status": "online",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100)
    team_key: str = Field(pattern=KEY_PATTERN)
    skills: dict[str, int] = Field(
        default_factory=dict, description="skill → level 1 (new) .. 5 (expert)"
    )
    capacity: int = Field(default=5, ge=1, le=100, description="concurrent tickets")
    chat_capacity: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="concurrent chats (web/app/mini-program), if they have their own limit",
    )
    status: AgentStatus = "offline"

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: dict[str, int]) -> dict[str, int]:
        return _check_skill_levels(value)


class AgentUpdate(PatchBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "online", "capacity": 6}]},
    )

    name: str | None = Field(default=None, min_length=1, max_length=100)
    team_key: str | None = Field(default=None, pattern=KEY_PATTERN)
    skills: dict[str, int] | None = None
    capacity: int | None = Field(default=None, ge=1, le=100)
    chat_capacity: int | None = Field(
        default=None, ge=0, le=100, description="0 removes the chat limit (chats share capacity)"
    )
    status: AgentStatus | None = None

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        return None if value is None else _check_skill_levels(value)


# --------------------------------------------------------------------------- assignments


class AssignmentView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    ticket_no: str = Field(examples=["T20261122-000123"])
    team_key: str = Field(examples=["tech_support"])
    agent_id: uuid.UUID | None
    state: str = Field(examples=["assigned"])
    priority: str = Field(examples=["P0"])
    category: str = Field(examples=["fault"])
    customer_type: str = Field(examples=["vip"])
    subject: str
    channel: str | None = None
    masked_contact: str | None = Field(default=None, examples=["138****5678"])
    skill: str | None = None
    keywords: list[str] = Field(default_factory=list)
    kb_suggestions: list[dict[str, Any]] = Field(default_factory=list)
    escalated: bool = False
    respond_by: datetime
    resolve_by: datetime
    created_at: datetime
    assigned_at: datetime | None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution_code: str | None = None
    public_reply: str | None = None
    last_agent_id: uuid.UUID | None = None
    visit_from: datetime | None = None
    visit_until: datetime | None = None
    update_due_at: datetime | None = Field(
        default=None,
        description="The customer is owed a visible update by then (the daily update "
        "follow-up reminds of); cleared by a customer-visible note",
        examples=[None],
    )
    customer_replied_at: datetime | None = Field(
        default=None,
        description="The customer wrote and the agent has not acted since (cleared by the "
        "agent's next action)",
    )
    version: int = Field(
        default=1, description="Bumps on every change; send it as expected_version", examples=[3]
    )


class ActionBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"expected_version": 3}]}
    )

    expected_version: ExpectedVersion = None


class ProgressBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"note": "已联系物流公司核实,预计明天送达。", "customer_visible": True},
                {"note": "请帮忙看一下支付日志", "collaborator": "finance-agent-1"},
            ]
        },
    )

    note: str = Field(min_length=1, max_length=4000)
    customer_visible: bool = Field(
        default=False, description="customer-visible notes count as the daily update"
    )
    collaborator: str | None = Field(
        default=None, max_length=100, description="ask this colleague (or team) to help"
    )
    expected_version: ExpectedVersion = None


class WaitingBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "请提供订单截图", "customer_visible": True}]},
    )

    note: str | None = Field(default=None, max_length=4000)
    customer_visible: bool = False
    expected_version: ExpectedVersion = None


class TransferBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason": "退款需财务处理", "to_team": "finance"},
                {
                    "reason": "交给熟悉该型号的同事",
                    "to_agent_id": "6f1c1a4e-8a43-4e59-9d1e-6b9c1f0b2d11",
                },
            ]
        },
    )

    reason: Reason
    to_team: str | None = Field(default=None, pattern=KEY_PATTERN)
    to_agent_id: uuid.UUID | None = None
    expected_version: ExpectedVersion = None


class EscalateBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "客户要求主管回电"}]}
    )

    reason: Reason
    expected_version: ExpectedVersion = None


class ResolveBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resolution_code": "password_reset",
                    "public_reply": "您好,已为您重置密码,请使用短信中的临时密码登录。",
                }
            ]
        },
    )

    resolution_code: str = Field(pattern=r"^[a-z][a-z0-9_.-]{1,63}$")
    public_reply: str = Field(min_length=1, max_length=4000)
    expected_version: ExpectedVersion = None


class VisitBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "window_start": "2026-11-24T01:00:00Z",
                    "window_end": "2026-11-24T05:00:00Z",
                    "note": "工程师将于明天上午上门检修",
                },
                {},
            ]
        },
    )

    window_start: AwareInstant | None = Field(default=None, description="default: now")
    window_end: AwareInstant | None = Field(
        default=None, description="default and latest: now + visit_within_hours (48 h)"
    )
    note: str | None = Field(default=None, max_length=1000)
    expected_version: ExpectedVersion = None


# --------------------------------------------------------------------------- compensation


class CompensationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "refund", "amount": 399.0, "reason": "商品破损,全额退款"}]
        },
    )

    kind: CompensationKind
    amount: Amount = Field(ge=0, le=1_000_000, description="CNY; days for extended_warranty")
    reason: str | None = Field(default=None, max_length=1000)
    expected_version: ExpectedVersion = None


class DecisionBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "符合售后政策"}]}
    )

    reason: str | None = Field(default=None, max_length=1000)


class RejectBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "超出保修期,改发优惠券"}]}
    )

    reason: Reason


class CompensationView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    assignment_id: uuid.UUID
    ticket_id: uuid.UUID
    team_key: str
    agent_id: uuid.UUID | None
    kind: str = Field(examples=["refund"])
    amount: float = Field(examples=[399.0])
    reason: str | None
    state: str = Field(examples=["pending"])
    decided_by: str | None
    decision_reason: str | None
    created_at: datetime
    decided_at: datetime | None


# --------------------------------------------------------------------------- activity


class ActivityView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str = Field(
        description="assigned, queued, accepted, internal_note, public_reply, "
        "collaborator_request, collaborator_answer, waiting, resumed, visit_booked, "
        "transferred, escalated, resolved, reopened, reassigned, taken_over, "
        "customer_replied, compensation_requested/approved/rejected, "
        "extension_requested/granted/refused",
        examples=["internal_note"],
    )
    actor_id: str | None = Field(
        description="person:<id>, key:<name>, customer or system:<service>",
        examples=["person:6f1c1a4e-8a43-4e59-9d1e-6b9c1f0b2d11"],
    )
    actor_name: str = Field(examples=["王工"])
    at: datetime
    text: str | None = Field(
        description="Contacts masked", examples=["客户电话 138****5678,已回电"]
    )
    data: dict[str, Any] = Field(default_factory=dict, examples=[{"customer_visible": False}])
    assignment_id: uuid.UUID | None = None


class CollaborationAnswerBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "支付日志显示已扣款,退款需财务发起。"}]},
    )

    text: str = Field(min_length=1, max_length=4000)


class CollaborationView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    assignment_id: uuid.UUID
    asked_by: uuid.UUID
    collaborator: str = Field(examples=["finance-agent-1"])
    question: str
    created_at: datetime
    answer: str | None = None
    answered_by: str | None = None
    answered_by_name: str | None = None
    answered_at: datetime | None = None
