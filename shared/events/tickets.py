"""A ticket's own events: received and written to (intake), triaged (triage), confirmed,
reopened and closed (follow-up).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.events.envelope import ChannelKey, Envelope, Payload
from shared.vocabulary import Category, CustomerType, Priority, Scene


class PhoneCallData(Payload):
    """The phone record form of seed 001 (客户服务电话记录表) as the ledger keeps it."""

    call_started_at: datetime | None = None
    call_ended_at: datetime | None = None
    handler: str | None = None
    verification_steps: list[str] = Field(default_factory=list)
    resolution: str | None = None


class TicketReceivedData(Payload):
    ticket_no: str
    channel: ChannelKey
    sub_channel: str | None = None
    customer_id: uuid.UUID
    customer_type: CustomerType
    masked_contact: str | None = None
    preferred_contact: str | None = None
    subject: str
    description: str
    order_no: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    received_at: datetime
    # Optional since the ledger keeps the phone record form: a phone ticket's call.
    phone_call: PhoneCallData | None = None


class TicketReceived(Envelope):
    stream: ClassVar[str] = "intake"
    type: Literal["ticket.received"] = "ticket.received"
    data: TicketReceivedData


class TicketMessageAddedData(Payload):
    message_id: uuid.UUID
    author: Literal["customer", "agent", "system"] = "customer"
    channel: ChannelKey | None = None
    body: str
    deduplicated: bool = False
    # Optional since follow-up's reopening: the ticket was closed, and this message came
    # within intake's reopen window (follow-up emits ticket.reopened).
    reopens: bool = False
    # Optional since confirmation by reply: what a reply to the result says ("已解决" is
    # ``confirmed``: follow-up confirms and closes; "未解决" is ``not_solved`` and reopens).
    reply: Literal["confirmed", "not_solved"] | None = None


class TicketMessageAdded(Envelope):
    stream: ClassVar[str] = "intake"
    type: Literal["ticket.message_added"] = "ticket.message_added"
    data: TicketMessageAddedData


class CustomerMergedData(Payload):
    surviving_customer_id: uuid.UUID
    merged_customer_id: uuid.UUID


class CustomerMerged(Envelope):
    stream: ClassVar[str] = "intake"
    type: Literal["customer.merged"] = "customer.merged"
    data: CustomerMergedData

    def key(self) -> str:
        return str(self.data.surviving_customer_id)


class Deadlines(Payload):
    policy: str
    calendar: str
    respond_by: datetime
    resolve_by: datetime
    # Optional since triage's rule engine: the policy version and the business calendar
    # itself (``shared.calendar.BusinessCalendar.to_dict()``), so consumers can do the
    # same business-time arithmetic (e.g. warnings) without asking triage.
    policy_version: int | None = None
    calendar_spec: dict[str, Any] | None = None


class KbSuggestion(Payload):
    article_id: uuid.UUID
    title: str
    answer: str
    score: float = 0


class TicketTriagedData(Payload):
    ticket_no: str
    channel: ChannelKey
    customer_type: CustomerType
    subject: str
    category: Category
    scene: Scene
    priority: Priority
    team: str
    skill: str | None = None
    keywords: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    explanation: list[str] = Field(default_factory=list)
    deadlines: Deadlines
    # Optional since triage's rule engine.
    fired_rules: list[str] = Field(default_factory=list)
    decided_by: str | None = None
    rule_version: int | None = None
    industry: str | None = None
    kb_suggestions: list[KbSuggestion] = Field(default_factory=list)
    # Only on ticket.retriaged: why a supervisor corrected the decision.
    retriage_reason: str | None = None
    # Optional: the masked contact from ticket.received (e.g. 138****5678), passed on to
    # dispatch's work orders; never a raw phone number or e-mail address.
    masked_contact: str | None = None
    # Optional since triage's classifier: the model version that decided when no rule
    # did, its confidence, and whether a supervisor should review the decision (the
    # model was unsure, so the ticket went to front line).
    model_version: int | None = None
    confidence: float | None = None
    needs_review: bool = False


class TicketTriaged(Envelope):
    stream: ClassVar[str] = "triage"
    type: Literal["ticket.triaged"] = "ticket.triaged"
    data: TicketTriagedData


class TicketRetriaged(Envelope):
    stream: ClassVar[str] = "triage"
    type: Literal["ticket.retriaged"] = "ticket.retriaged"
    data: TicketTriagedData


class TicketStateData(Payload):
    reason: str | None = None
    # Optional since follow-up's surveys: a reopen the supervisor must see, and the
    # survey answer behind a confirmation, reopen or close.
    escalate: bool | None = None
    score: int | None = None
    survey_id: uuid.UUID | None = None


class TicketConfirmed(Envelope):
    stream: ClassVar[str] = "followup"
    type: Literal["ticket.confirmed"] = "ticket.confirmed"
    data: TicketStateData


class TicketReopened(Envelope):
    stream: ClassVar[str] = "followup"
    type: Literal["ticket.reopened"] = "ticket.reopened"
    data: TicketStateData


class TicketClosed(Envelope):
    stream: ClassVar[str] = "followup"
    type: Literal["ticket.closed"] = "ticket.closed"
    data: TicketStateData
