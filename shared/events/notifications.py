"""Customer notifications and surveys: requested (follow-up), sent out to a gateway (the one
event with a raw contact), delivered (intake), and the survey answer.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.events.envelope import Envelope, Payload


class NotificationRequestedData(Payload):
    template: str
    channel: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class NotificationRequested(Envelope):
    stream: ClassVar[str] = "followup"
    type: Literal["notification.requested"] = "notification.requested"
    data: NotificationRequestedData


class NotificationOutgoingData(Payload):
    """What a channel gateway needs to reach the customer (raw contact allowed here)."""

    notification_id: uuid.UUID
    channel: str
    to: str
    template: str
    language: str = "zh"
    subject: str | None = None
    body: str


class NotificationOutgoing(Envelope):
    stream: ClassVar[str] = "notifications"
    type: Literal["notification.outgoing"] = "notification.outgoing"
    data: NotificationOutgoingData


class NotificationDeliveredData(Payload):
    notification_id: uuid.UUID
    channel: str
    template: str


class NotificationDelivered(Envelope):
    stream: ClassVar[str] = "intake"
    type: Literal["notification.delivered"] = "notification.delivered"
    data: NotificationDeliveredData


class SurveyAnsweredData(Payload):
    score: int = Field(ge=1, le=5)
    resolved: bool
    comment: str | None = None
    # Optional since follow-up's surveys.
    survey_id: uuid.UUID | None = None


class SurveyAnswered(Envelope):
    stream: ClassVar[str] = "followup"
    type: Literal["survey.answered"] = "survey.answered"
    data: SurveyAnsweredData
