"""HTTP bodies of the template routes (/v1/templates)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

LanguageIn = Literal["zh", "en"]
ChannelIn = Literal["any", "sms", "email", "chat"]


class TemplateText(BaseModel):
    language: LanguageIn
    channel: ChannelIn = Field(description="`any` serves every channel without its own text.")
    version: int = Field(description="0 is the built-in text.", examples=[2])
    body: str = Field(examples=["您好，您的需求已受理，工单号 {ticket_no}。"])
    created_at: datetime | None = None
    created_by: str | None = Field(default=None, examples=["admin:3f9a"])


class TemplateView(BaseModel):
    key: str = Field(examples=["acknowledgement"])
    name: str = Field(examples=["需求受理通知"])
    params: list[str] = Field(
        description="The placeholders a body may use, as `{name}`.", examples=[["ticket_no"]]
    )
    built_in: list[TemplateText] = Field(description="The shipped text per language (version 0).")
    current: list[TemplateText] = Field(
        description="The newest stored version per language and channel (none: built-in)."
    )


class TemplateHistory(TemplateView):
    versions: list[TemplateText] = Field(description="Every stored version, oldest first.")


class TemplateVersionCreate(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "language": "zh",
                    "channel": "sms",
                    "body": "您好，您的需求已受理，工单号 {ticket_no}，请留意后续短信。",
                }
            ]
        }
    }

    language: LanguageIn
    channel: ChannelIn = "any"
    body: str = Field(min_length=1, max_length=2000)


class TemplatePreviewRequest(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"language": "zh", "channel": "sms", "params": {"ticket_no": "T20261201-000007"}}
            ]
        }
    }

    language: LanguageIn = "zh"
    channel: ChannelIn = "any"
    body: str | None = Field(
        default=None, max_length=2000, description="A draft to try; omitted: the text in force."
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Values for placeholders; the rest use samples."
    )


class TemplatePreview(BaseModel):
    key: str
    language: LanguageIn
    channel: ChannelIn
    version: int | None = Field(description="The version rendered; null for a draft.")
    text: str = Field(examples=["【sopdesk】您好，您的需求已受理，工单号 T20261201-000007。"])
