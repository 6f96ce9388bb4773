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
from shared.inputs import Instant, check_call_times

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
        check_call_times(self.call_started_at, self.call_ended_at)
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


class PhoneRecordForm(BaseModel):
    """The telephone record form of seed 001 (客户服务电话记录表) as filled in on the call,
    with the customer's part from the profile (contacts masked)."""

    call_started_at: datetime | None = Field(default=None, description="通话时间 (from)")
    call_ended_at: datetime | None = Field(default=None, description="通话时间 (to)")
    customer_name: str | None = Field(default=None, description="客户姓名/昵称")
    masked_phone: str | None = Field(default=None, description="联系电话", examples=["138****5678"])
    member_id: str | None = Field(default=None, description="客户编号")
    customer_type: CustomerType | None = Field(
        default=None, description="客户类型 as the agent recorded it (else the system's)"
    )
    problem_type: ProblemType | None = Field(default=None, description="问题类型")
    description: str = Field(description="问题描述 (contacts masked)")
    handler: str | None = Field(default=None, description="处理人员", examples=["客服007"])
    verification_steps: list[str] = Field(default_factory=list, description="问题核实过程")
    resolution: str | None = Field(default=None, description="解决方案/处理结果")


class Assignee(BaseModel):
    agent_id: uuid.UUID
    name: str | None = Field(default=None, examples=["王芳"])


class TicketView(BaseModel):
    """The ticket: what the customer may see (status, customer-visible timeline) and what
    the agent works from (the customer's words, contacts masked; the phone record form)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticket_id": "0b6f8a52-3c1e-4a57-9d43-6f0c2a1e9b11",
                    "ticket_no": "T20261202-000001",
                    "channel": "phone",
                    "sub_channel": None,
                    "subject": "账号无法登录",
                    "description": "今天早上开始账号无法登录,回电138****5678。",
                    "customer_id": "5d1c3f1e-8b0a-4f7e-a2c9-3e4d5f6a7b8c",
                    "customer_type": "returning",
                    "order_no": "SO20261122001",
                    "language": "zh",
                    "status": "assigned",
                    "team": "tech_support",
                    "assignee": {
                        "agent_id": "8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d",
                        "name": "王芳",
                    },
                    "respond_by": "2026-12-02T09:00:00Z",
                    "created_at": "2026-12-02T01:15:00Z",
                    "updated_at": "2026-12-02T01:16:00Z",
                    "timeline": [
                        {"at": "2026-12-02T01:15:00Z", "kind": "received", "text": "需求已受理"}
                    ],
                    "phone_record": {
                        "call_started_at": "2026-12-02T01:10:00Z",
                        "call_ended_at": "2026-12-02T01:15:00Z",
                        "customer_name": "张三",
                        "masked_phone": "138****5678",
                        "member_id": "M10086",
                        "customer_type": "returning",
                        "problem_type": "fault",
                        "description": "今天早上开始账号无法登录,回电138****5678。",
                        "handler": "客服007",
                        "verification_steps": ["核对订单系统信息"],
                        "resolution": None,
                    },
                }
            ]
        }
    )

    ticket_id: uuid.UUID
    ticket_no: str
    channel: Channel
    sub_channel: str | None = Field(default=None, examples=["wechat"])
    subject: str
    description: str = Field(description="The customer's words, contacts masked.")
    customer_id: uuid.UUID
    customer_type: CustomerType
    order_no: str | None = Field(default=None, examples=["SO20261122001"])
    language: str = Field(examples=["zh"])
    status: str = Field(examples=["assigned"])
    team: str | None = Field(default=None, examples=["tech_support"])
    assignee: Assignee | None = Field(
        default=None, description="The agent working it, as dispatch last announced."
    )
    respond_by: datetime | None = Field(
        default=None, description="When the customer can expect the first answer."
    )
    created_at: datetime
    updated_at: datetime
    timeline: list[TimelineItem] = Field(description="What the customer may see of its progress.")
    phone_record: PhoneRecordForm | None = Field(
        default=None, description="Only on phone tickets: the call's record form (seed 001)."
    )


class ConversationMessage(BaseModel):
    id: uuid.UUID
    author: Literal["customer", "agent", "system"]
    actor_id: str | None = Field(
        default=None,
        description="Who spoke for sopdesk: `person:<id>` or `key:<name>` (agent messages).",
        examples=["person:8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d"],
    )
    actor_name: str | None = Field(default=None, examples=["王芳"])
    channel: str | None = Field(
        default=None,
        description="Where it came or went: web_chat, email, sms, ...",
        examples=["sms"],
    )
    kind: Literal["description", "message", "notice"] = Field(
        description="`description`: the ticket's first words; `message`: a later customer "
        "message; `notice`: a text sent to the customer."
    )
    template: str | None = Field(
        default=None,
        description="The notice's template (notices only).",
        examples=["progress_update"],
    )
    body: str = Field(description="Contacts masked.")
    at: datetime


class ConversationView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticket_id": "0b6f8a52-3c1e-4a57-9d43-6f0c2a1e9b11",
                    "ticket_no": "T20261202-000001",
                    "messages": [
                        {
                            "id": "0b6f8a52-3c1e-4a57-9d43-6f0c2a1e9b11",
                            "author": "customer",
                            "actor_id": None,
                            "actor_name": None,
                            "channel": "web_chat",
                            "kind": "description",
                            "template": None,
                            "body": "还是没有收到退款,请回电138****5678。",
                            "at": "2026-12-02T01:15:00Z",
                        },
                        {
                            "id": "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e",
                            "author": "agent",
                            "actor_id": "person:8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d",
                            "actor_name": "王芳",
                            "channel": "sms",
                            "kind": "notice",
                            "template": "progress_update",
                            "body": "工单 T20261202-000001 最新进展：退款已提交财务。",
                            "at": "2026-12-02T02:00:00Z",
                        },
                    ],
                }
            ]
        }
    )

    ticket_id: uuid.UUID
    ticket_no: str
    messages: list[ConversationMessage]


class SearchHit(BaseModel):
    ticket_id: uuid.UUID
    ticket_no: str
    subject: str
    status: str
    team: str | None
    customer_name: str | None = Field(description="Masked: its first character.", examples=["张*"])
    matched: list[Literal["ticket_no", "phone", "email", "member_id", "order_no", "words"]] = Field(
        description="Which reading of `q` found it.", examples=[["words"]]
    )
    created_at: datetime


class SearchResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "q": "退款",
                    "items": [
                        {
                            "ticket_id": "0b6f8a52-3c1e-4a57-9d43-6f0c2a1e9b11",
                            "ticket_no": "T20261202-000001",
                            "subject": "退款未到账",
                            "status": "assigned",
                            "team": "finance",
                            "customer_name": "张*",
                            "matched": ["words"],
                            "created_at": "2026-12-02T01:15:00Z",
                        }
                    ],
                }
            ]
        }
    )

    q: str
    items: list[SearchHit]


class Macro(BaseModel):
    key: str = Field(examples=["macro.greeting"])
    title: str = Field(examples=["问候语"])
    text: str = Field(
        examples=["您好，客户服务中心，我是专员王芳，很高兴为您服务，请问有什么可以帮您？"]
    )
    version: int = Field(description="The template version used (0: built-in).", examples=[0])


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
