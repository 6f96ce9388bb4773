"""HTTP bodies of triage."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.events import Category, CustomerType, Priority, Scene


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"subject": "账号无法登录", "description": "提示密码错误", "customer_type": "vip"}
            ]
        }
    )

    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    customer_type: CustomerType = "new"


class ClassifyResult(BaseModel):
    category: Category
    scene: Scene
    priority: Priority
    team: str = Field(examples=["tech_support"])
    keywords: list[str] = Field(examples=[["无法登录"]])
    explanation: list[str] = Field(examples=[["rule fault.login matched '无法登录'"]])


class DecisionView(ClassifyResult):
    ticket_id: uuid.UUID
    ticket_no: str
    sla_policy: str = Field(examples=["cross-industry"])
    calendar: str = Field(examples=["24x7"])
    respond_by: datetime
    resolve_by: datetime
