"""HTTP request and response bodies of intake."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator
from pydantic.config import JsonDict

from shared.events import Channel, CustomerType

TICKET_EXAMPLE: JsonDict = {
    "channel": "phone",
    "customer": {"name": "张三", "phone": "13812345678", "member_id": "M10086"},
    "subject": "账号无法登录",
    "description": "今天早上开始账号无法登录,提示密码错误,已重置两次仍然不行。",
    "order_no": "SO20261122001",
    "preferred_contact": "phone",
    "metadata": {"call_started_at": "2026-11-22T09:15:00+08:00"},
}


class CustomerIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=32)
    email: EmailStr | None = None
    member_id: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _some_identifier(self) -> CustomerIn:
        if not (self.phone or self.email or self.member_id):
            raise ValueError("give at least one of phone, email or member_id")
        return self


class TicketCreate(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True, json_schema_extra={"examples": [TICKET_EXAMPLE]}
    )

    channel: Channel
    customer: CustomerIn
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    order_no: str | None = Field(default=None, max_length=64)
    preferred_contact: Literal["phone", "sms", "email", "chat"] | None = None
    language: Literal["zh", "en"] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class TicketCreated(BaseModel):
    ticket_id: uuid.UUID
    ticket_no: str = Field(examples=["T20261122-000123"])
    customer_id: uuid.UUID
    customer_type: CustomerType
    status: str = Field(examples=["received"])
    acknowledgement: str = Field(examples=["您好,您的需求已受理,工单号 T20261122-000123。"])
    deduplicated: bool = False


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


class TicketSummary(BaseModel):
    ticket_id: uuid.UUID
    ticket_no: str
    subject: str
    status: str
    created_at: datetime


class CustomerView(BaseModel):
    customer_id: uuid.UUID
    name: str | None
    masked_phone: str | None = Field(examples=["138****5678"])
    masked_email: str | None = Field(examples=["z***@example.com"])
    member_id: str | None
    customer_type: CustomerType
    tickets: list[TicketSummary]
