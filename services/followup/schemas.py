"""HTTP bodies of follow-up."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.inputs import check_call_times


class ClockView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(
        description="response, resolution, or update (a customer-visible update every day)",
        examples=["response"],
    )
    state: str = Field(
        description="running, paused, met or breached (an update clock that missed a day "
        "stays breached, running on, until the next customer-visible update)",
        examples=["running"],
    )
    priority: str | None = Field(examples=["P1"])
    started_at: datetime | None
    due_at: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None
    warned_at: datetime | None = Field(
        default=None, description="When sla.warning was emitted", examples=[None]
    )
    breached_at: datetime | None = Field(
        default=None, description="When sla.breached was emitted", examples=[None]
    )
    paused_at: datetime | None = Field(
        default=None, description="Waiting on the customer since (clock paused)", examples=[None]
    )
    breaches: int = Field(
        default=0, description="How often this clock breached (update: missed days)", examples=[0]
    )
    paused_seconds: float = Field(
        default=0.0,
        description="Working time spent waiting on the customer; the deadline moved by it",
        examples=[3600.0],
    )
    calendar: str = Field(
        default="24x7", description="The business calendar the clock runs on", examples=["default"]
    )


class TicketSla(BaseModel):
    ticket_id: uuid.UUID
    clocks: list[ClockView]


class AtRiskClock(BaseModel):
    """A running clock past its warning time, or one that has breached and is not stopped."""

    model_config = ConfigDict(from_attributes=True)

    ticket_id: uuid.UUID
    kind: str = Field(examples=["resolution"])
    state: str = Field(description="running (warned) or breached", examples=["running"])
    priority: str | None = Field(examples=["P1"])
    team: str | None = Field(examples=["tech_support"])
    due_at: datetime = Field(examples=["2026-11-23T10:00:00Z"])
    warn_at: datetime | None = Field(examples=["2026-11-23T06:00:00Z"])
    warned_at: datetime | None = Field(examples=["2026-11-23T06:00:01Z"])
    breached_at: datetime | None = Field(examples=[None])


class AtRiskList(BaseModel):
    items: list[AtRiskClock]
    as_of: datetime = Field(examples=["2026-11-23T07:00:00Z"])


class SurveyQuestion(BaseModel):
    key: str = Field(examples=["score"])
    text: str = Field(examples=["请为本次服务打分（1–5分）"])
    kind: str = Field(description="yes_no, scale or text", examples=["scale"])
    required: bool = Field(examples=[True])
    min: int | None = Field(default=None, examples=[1])
    max: int | None = Field(default=None, examples=[5])
    labels: dict[str, str] | None = Field(
        default=None,
        description="What each point of a scale means.",
        examples=[{"1": "非常不满意", "5": "非常满意"}],
    )


class SurveyView(BaseModel):
    """What the customer is asked; the link's token is the only credential."""

    ticket_id: uuid.UUID
    ticket_no: str | None = Field(default=None, examples=["T20261122-000123"])
    brand: str = Field(examples=["sopdesk"])
    state: str = Field(examples=["pending"])
    expires_at: datetime = Field(examples=["2026-11-26T09:00:00Z"])
    questions: list[SurveyQuestion]


class SurveyAnswer(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"resolved": True, "score": 5, "comment": "处理很及时,谢谢!"}]
        },
    )

    resolved: bool = Field(description="Is the problem solved?", examples=[True])
    score: int = Field(ge=1, le=5, description="CSAT, 1 (worst) to 5 (best)", examples=[5])
    comment: str | None = Field(default=None, max_length=2000, examples=["处理很及时,谢谢!"])


class SurveyResult(BaseModel):
    ticket_id: uuid.UUID
    outcome: str = Field(
        description="confirmed (ticket closed) or reopened (escalated to the supervisor)",
        examples=["confirmed"],
    )
    message: str = Field(examples=["感谢您的评价!"])


class CallbackView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    kind: str = Field(
        description="after_sales_callback, fault_callback, satisfaction_callback or "
        "suggestion_feedback",
        examples=["after_sales_callback"],
    )
    owner: str = Field(description="The team that owns the task", examples=["after_sales"])
    state: str = Field(description="open, completed or cancelled (reopened)", examples=["open"])
    priority: str | None = Field(examples=["P1"])
    created_at: datetime = Field(examples=["2026-11-23T02:00:00Z"])
    due_at: datetime = Field(examples=["2026-11-24T02:00:00Z"])
    overdue: bool = Field(
        default=False, description="Past its deadline (a breach was raised)", examples=[False]
    )
    breached_at: datetime | None = Field(examples=[None])
    completed_at: datetime | None = Field(examples=[None])
    completed_by: str | None = Field(
        description="Who: person:<id> or key:<name>", examples=["person:6f1c…"]
    )
    completed_by_name: str | None = Field(default=None, examples=["王芳"])
    call_started_at: datetime | None = None
    call_ended_at: datetime | None = None
    verification: str | None = None
    cancelled_at: datetime | None = None
    outcome: str | None = Field(examples=[None])
    score: int | None = Field(examples=[None])


class CallbackList(BaseModel):
    items: list[CallbackView]


class CallbackCompletion(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcome": "客户确认换货已收到，无其他问题",
                    "score": 5,
                    "call_started_at": "2026-11-24T02:00:00Z",
                    "call_ended_at": "2026-11-24T02:06:00Z",
                    "verification": "核对订单号与手机号",
                }
            ]
        },
    )

    outcome: str = Field(min_length=1, max_length=2000, examples=["客户确认换货已收到，无其他问题"])
    score: int | None = Field(default=None, ge=1, le=5, description="CSAT 1–5", examples=[5])
    call_started_at: datetime | None = Field(
        default=None, description="通话开始", examples=["2026-11-24T02:00:00Z"]
    )
    call_ended_at: datetime | None = Field(
        default=None, description="通话结束", examples=["2026-11-24T02:06:00Z"]
    )
    verification: str | None = Field(
        default=None, max_length=2000, description="问题核实过程", examples=["核对订单号与手机号"]
    )

    @model_validator(mode="after")
    def _call_order(self) -> CallbackCompletion:
        check_call_times(self.call_started_at, self.call_ended_at)
        return self
