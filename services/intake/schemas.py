"""HTTP request and response bodies of intake."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator
from pydantic.config import JsonDict

from services.intake.domain import derive_subject
from shared.events import Channel, CustomerType
from shared.inputs import Instant

TICKET_EXAMPLE: JsonDict = {
    "channel": "phone",
    "customer": {"name": "张三", "phone": "13812345678", "member_id": "M10086"},
    "subject": "账号无法登录",
    "description": "今天早上开始账号无法登录,提示密码错误,已重置两次仍然不行。",
    "order_no": "SO20261122001",
    "preferred_contact": "phone",
    "phone_call": {
        "call_started_at": "2026-11-22T09:15:00+08:00",
        "call_ended_at": "2026-11-22T09:21:30+08:00",
        "handler": "客服007",
        "verification_steps": ["核对订单系统信息", "联系技术部确认故障原因"],
        "customer_type": "returning",
        "problem_type": "fault",
    },
}

EMAIL_TICKET_EXAMPLE: JsonDict = {
    "channel": "email",
    "customer": {"name": "Li Lei", "email": "lilei@example.com"},
    "subject": "Refund for order SO20261122001",
    "description": "I returned the parcel a week ago and have not been refunded yet.",
    "order_no": "SO20261122001",
    "preferred_contact": "email",
    "language": "en",
    "email": {
        "message_id": "<CAF1234@mail.example.com>",
        "in_reply_to": None,
        "references": [],
    },
}

SOCIAL_TICKET_EXAMPLE: JsonDict = {
    "channel": "social",
    "sub_channel": "wechat",
    "customer": {"member_id": "M10086", "member_tier": "gold"},
    "subject": "物流延迟",
    "description": "订单三天没有物流更新。",
}

METADATA_MAX_BYTES = 8192
ProblemType = Literal["inquiry", "complaint", "suggestion", "after_sales", "fault", "other"]


class CustomerIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=32)
    email: EmailStr | None = None
    member_id: str | None = Field(default=None, min_length=1, max_length=64)
    member_tier: str | None = Field(
        default=None,
        max_length=32,
        description="Loyalty tier from the member system; a VIP tier (settings) makes a VIP.",
        examples=["gold"],
    )

    def has_identifier(self) -> bool:
        return bool(self.phone or self.email or self.member_id)


class PhoneCallRecord(BaseModel):
    """The telephone record form of seed 001 (客户服务电话记录表)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    call_started_at: Instant | None = Field(default=None, description="通话开始")
    call_ended_at: Instant | None = Field(default=None, description="通话结束")
    handler: str | None = Field(default=None, max_length=100, description="处理人员")
    verification_steps: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=20, description="问题核实过程"
    )
    customer_type: CustomerType | None = Field(
        default=None, description="客户类型 as the agent recorded it (the system decides its own)"
    )
    problem_type: ProblemType | None = Field(default=None, description="问题类型")
    resolution: str | None = Field(default=None, max_length=2000, description="解决方案/处理结果")

    @model_validator(mode="after")
    def _call_order(self) -> PhoneCallRecord:
        start, end = self.call_started_at, self.call_ended_at
        if (start and start.tzinfo is None) or (end and end.tzinfo is None):
            raise ValueError("call times need a UTC offset")
        if start and end and end < start:
            raise ValueError("call_ended_at is before call_started_at")
        return self


class EmailHeaders(BaseModel):
    """What e-mail threading needs: this mail's Message-ID and what it replies to."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    message_id: str = Field(min_length=3, max_length=998, examples=["<CAF1234@mail.example.com>"])
    in_reply_to: str | None = Field(default=None, max_length=998)
    references: list[Annotated[str, Field(max_length=998)]] = Field(
        default_factory=list, max_length=50
    )


class TicketCreate(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [TICKET_EXAMPLE, EMAIL_TICKET_EXAMPLE, SOCIAL_TICKET_EXAMPLE]
        },
    )

    channel: Channel
    sub_channel: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]{0,31}$",
        description="Required for `social` (e.g. wechat, weibo, douyin); optional elsewhere.",
        examples=["wechat"],
    )
    customer: CustomerIn
    subject: str = Field(
        default="",
        max_length=200,
        description="Optional (IVR and phone gateways have none): the description's first "
        "sentence when empty.",
    )
    description: str = Field(min_length=1, max_length=5000)
    order_no: str | None = Field(default=None, min_length=1, max_length=64)
    preferred_contact: Literal["phone", "sms", "email", "chat"] | None = None
    language: Literal["zh", "en"] | None = None
    phone_call: PhoneCallRecord | None = Field(
        default=None, description="Only on `phone` tickets: the telephone record form."
    )
    email: EmailHeaders | None = Field(
        default=None, description="Only on `email` tickets: Message-ID and reply threading."
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict, description=f"Free-form, at most {METADATA_MAX_BYTES} bytes as JSON."
    )

    @field_validator("metadata")
    @classmethod
    def _metadata_size(cls, value: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(value, ensure_ascii=False, default=str).encode())
        if size > METADATA_MAX_BYTES:
            raise ValueError(f"metadata is {size} bytes; at most {METADATA_MAX_BYTES}")
        return value

    @model_validator(mode="after")
    def _channel_rules(self) -> TicketCreate:
        if not (self.customer.has_identifier() or self.order_no):
            raise ValueError("give at least one of customer.phone, email, member_id or order_no")
        if self.channel == "social" and not self.sub_channel:
            raise ValueError("social tickets need a sub_channel (e.g. wechat, weibo, douyin)")
        if self.phone_call is not None and self.channel != "phone":
            raise ValueError("phone_call is only for phone tickets")
        if self.email is not None and self.channel != "email":
            raise ValueError("email headers are only for email tickets")
        if not self.subject.strip():
            self.subject = derive_subject(self.description)
        return self


class TicketCreated(BaseModel):
    ticket_id: uuid.UUID
    ticket_no: str = Field(examples=["T20261122-000123"])
    customer_id: uuid.UUID
    customer_type: CustomerType
    status: str = Field(examples=["received"])
    acknowledgement: str = Field(examples=["您好，您的需求已受理，工单号 T20261122-000123。"])
    deduplicated: bool = Field(
        default=False,
        description="True when the request was attached to an open ticket of the same "
        "customer (same issue within 24 h, or an e-mail reply) instead of opening a new one.",
    )
    message_id: uuid.UUID | None = Field(
        default=None, description="The message the request became, when deduplicated."
    )
    match_reason: str | None = Field(
        default=None,
        description="Why it is the same issue as the open ticket, when deduplicated",
        examples=["同一订单,相同问题:未发货"],
    )


class TimelineItem(BaseModel):
    at: datetime
    kind: str = Field(examples=["assigned"])
    text: str = Field(examples=["已分派给tech_support团队"])


class TicketView(BaseModel):
    """The ticket as the customer may see it: no internal notes."""

    ticket_id: uuid.UUID
    ticket_no: str
    channel: Channel
    subject: str
    status: str = Field(examples=["assigned"])
    team: str | None = Field(default=None, examples=["tech_support"])
    respond_by: datetime | None = Field(
        default=None, description="When the customer can expect the first answer."
    )
    created_at: datetime
    updated_at: datetime
    timeline: list[TimelineItem]


class MessageCreate(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"body": "请问处理进度如何?", "channel": "web_chat"}]},
    )

    body: str = Field(min_length=1, max_length=5000)
    channel: Channel | None = None


class MessageAccepted(BaseModel):
    message_id: uuid.UUID
    ticket_id: uuid.UUID
    reopens: bool = Field(
        default=False,
        description="The ticket was closed, within the reopen window: this message reopens it",
        examples=[False],
    )


class TicketSummary(BaseModel):
    ticket_id: uuid.UUID
    ticket_no: str
    subject: str
    status: str
    created_at: datetime


class MaskedIdentifier(BaseModel):
    kind: Literal["phone", "email", "member_id", "order_no"]
    value: str = Field(description="Phones and e-mails masked", examples=["138****5678"])


class CustomerView(BaseModel):
    customer_id: uuid.UUID
    name: str | None
    masked_phone: str | None = Field(examples=["138****5678"])
    masked_email: str | None = Field(examples=["z***@example.com"])
    member_id: str | None
    member_tier: str | None = None
    customer_type: CustomerType
    identifiers: list[MaskedIdentifier] = Field(default_factory=list)
    merged_customer_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Profiles merged into this one; their tickets are here."
    )
    tickets: list[TicketSummary]


VipKind = Literal["phone", "email", "member_id"]


class VipCreate(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"kind": "phone", "value": "13812345678", "note": "KA"}]},
    )

    kind: VipKind
    value: str = Field(min_length=1, max_length=254)
    note: str | None = Field(default=None, max_length=200)


class VipView(BaseModel):
    vip_id: uuid.UUID
    kind: VipKind
    value: str = Field(description="Phones and e-mails masked", examples=["138****5678"])
    note: str | None
    created_at: datetime


class VerificationCreate(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        extra="forbid",
        json_schema_extra={"examples": [{"phone": "13812345678", "ticket_id": None}]},
    )

    phone: str = Field(min_length=3, max_length=32)
    ticket_id: uuid.UUID | None = Field(
        default=None, description="The ticket whose timeline records the outcome."
    )
    language: Literal["zh", "en"] | None = None


class VerificationSent(BaseModel):
    verification_id: uuid.UUID
    masked_phone: str = Field(examples=["138****5678"])
    expires_at: datetime
    attempts_allowed: int = Field(examples=[5])


class VerificationCheck(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        extra="forbid",
        json_schema_extra={"examples": [{"code": "123456"}]},
    )

    code: str = Field(pattern=r"^[0-9]{6}$", description="The 6-digit code the customer read out.")


class VerificationResult(BaseModel):
    verification_id: uuid.UUID
    status: Literal["verified"] = "verified"
    verified_at: datetime
