"""Event contracts: the JSON envelope, every event type, and the topics they travel on.

Producers build these models and consumers validate against them, so a change
here is a change of the wire contract. Events never carry a raw phone number or
e-mail address, except ``notification.outgoing`` on the notifications topic,
which gateways need to deliver.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter

# The vocabularies are contracts of their own (shared.vocabulary); imported here too
# because most readers of the events name them from this module.
from shared.topics import Topics as Topics
from shared.vocabulary import CHANNELS
from shared.vocabulary import Category as Category
from shared.vocabulary import Channel as Channel
from shared.vocabulary import CustomerType as CustomerType
from shared.vocabulary import Priority as Priority
from shared.vocabulary import Scene as Scene

# A channel key in an event is open: a gateway may bring a channel before every consumer
# knows it, and such an event is kept as it is (shown by its key), never dead-lettered.
# HTTP input stays strict (``shared.vocabulary.Channel``).
ChannelKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=16,
        description=f"A channel key, e.g. {CHANNELS.describe()}; newer ones may appear.",
        examples=["phone"],
    ),
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Payload(BaseModel):
    """Base of every ``data`` object: unknown fields from newer producers are kept."""

    model_config = ConfigDict(extra="allow")


class Envelope(BaseModel):
    """The JSON envelope shared by every event (SPEC §2)."""

    model_config = ConfigDict(extra="ignore")

    # Logical stream the type belongs to; the full topic name adds the prefix.
    stream: ClassVar[str] = ""

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=utcnow)
    producer: str = ""
    ticket_id: uuid.UUID | None = None
    correlation_id: uuid.UUID | None = None
    data: Payload

    # W3C trace context of the span this event belongs to; travels in message
    # headers, not in the JSON (see shared.tracing).
    _trace_carrier: dict[str, str] = PrivateAttr(default_factory=dict)

    def stream_name(self) -> str:
        return self.stream

    def key(self) -> str:
        """Message key: the ticket id keeps one ticket's events in order."""
        return str(self.ticket_id or self.event_id)


# --------------------------------------------------------------------------- intake


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


class NotificationDeliveredData(Payload):
    notification_id: uuid.UUID
    channel: str
    template: str


class NotificationDelivered(Envelope):
    stream: ClassVar[str] = "intake"
    type: Literal["notification.delivered"] = "notification.delivered"
    data: NotificationDeliveredData


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


# --------------------------------------------------------------------------- triage


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


# --------------------------------------------------------------------------- dispatch


class TicketAssignedData(Payload):
    assignment_id: uuid.UUID
    ticket_no: str
    team: str
    agent_id: uuid.UUID
    agent_name: str
    priority: Priority
    category: Category
    supervisor_notified: bool = False
    assigned_at: datetime
    # Optional since dispatch's agent work: who was told, and why the ticket moved
    # ("triaged", "drained", "transferred", "reopened", "redispatched", "retriaged").
    supervisor: str | None = None
    reason: str | None = None


class TicketAssigned(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["ticket.assigned"] = "ticket.assigned"
    data: TicketAssignedData


class TicketQueuedData(Payload):
    assignment_id: uuid.UUID
    ticket_no: str
    team: str
    priority: Priority
    reason: str = "no agent with spare capacity"


class TicketQueued(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["ticket.queued"] = "ticket.queued"
    data: TicketQueuedData


class AgentActionData(Payload):
    assignment_id: uuid.UUID
    agent_id: uuid.UUID | None = None
    at: datetime = Field(default_factory=utcnow)
    # Optional since people sign in: who acted, ``person:<id>`` or ``key:<name>``, and
    # the name people read (the person's display name, or the key's name).
    actor: str | None = None
    actor_name: str | None = None


class TicketAccepted(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["ticket.accepted"] = "ticket.accepted"
    data: AgentActionData


class ProgressNotedData(AgentActionData):
    note: str
    customer_visible: bool = False
    # Optional since dispatch's agent work: a collaborator asked for help, and
    # waiting on the customer (True pauses the clock, False resumes it).
    collaborator: str | None = None
    waiting_on_customer: bool | None = None
    # An on-site visit booked: the engineer comes within this window.
    visit_from: datetime | None = None
    visit_until: datetime | None = None


class TicketProgressNoted(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["ticket.progress_noted"] = "ticket.progress_noted"
    data: ProgressNotedData


class TransferredData(AgentActionData):
    reason: str
    to_team: str | None = None
    to_agent_id: uuid.UUID | None = None


class TicketTransferred(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["ticket.transferred"] = "ticket.transferred"
    data: TransferredData


class EscalatedData(AgentActionData):
    reason: str
    supervisor: str | None = None


class TicketEscalated(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["ticket.escalated"] = "ticket.escalated"
    data: EscalatedData


class ResolvedData(AgentActionData):
    resolution_code: str
    public_reply: str
    # Optional since dispatch's approvals: approved compensations are part of the resolution.
    compensations: list[dict[str, Any]] = Field(default_factory=list)


class TicketResolved(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["ticket.resolved"] = "ticket.resolved"
    data: ResolvedData


CompensationKind = Literal["coupon", "refund", "extended_warranty", "free_repair"]


class CompensationData(Payload):
    compensation_id: uuid.UUID
    kind: CompensationKind
    amount: float = 0
    reason: str | None = None
    # Optional since dispatch's approvals.
    assignment_id: uuid.UUID | None = None
    team: str | None = None
    state: str | None = None  # pending, approved, rejected
    needs_approval: bool | None = None
    decided_by: str | None = None  # the deciding person's display name (or "policy")
    decided_by_actor: str | None = None  # ``person:<id>`` or ``key:<name>``


class CompensationRequested(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["compensation.requested"] = "compensation.requested"
    data: CompensationData


class CompensationApproved(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["compensation.approved"] = "compensation.approved"
    data: CompensationData


class CompensationRejected(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["compensation.rejected"] = "compensation.rejected"
    data: CompensationData


class WorkOrderData(Payload):
    """Everything a team needs to work a ticket from its topic alone."""

    assignment_id: uuid.UUID
    ticket_no: str
    team: str
    agent_id: uuid.UUID | None = None
    agent_name: str | None = None
    subject: str
    category: Category
    priority: Priority
    customer_type: CustomerType
    respond_by: datetime
    resolve_by: datetime
    links: dict[str, str] = Field(default_factory=dict)
    # Optional since dispatch's agent work.
    channel: str | None = None
    keywords: list[str] = Field(default_factory=list)
    kb_suggestions: list[KbSuggestion] = Field(default_factory=list)
    supervisor: str | None = None
    supervisor_notified: bool = False
    escalated: bool = False
    reason: str | None = None
    masked_contact: str | None = None


class WorkOrderIssued(Envelope):
    stream: ClassVar[str] = "assignments"
    type: Literal["work_order.issued"] = "work_order.issued"
    data: WorkOrderData

    def stream_name(self) -> str:
        return f"assignments.{self.data.team}"


class TeamData(Payload):
    """A team as dispatch holds it; triage, intake and analytics keep a copy from these."""

    key: str = Field(min_length=1, max_length=32, examples=["vip_desk"])
    name: str = Field(description="Display name, Chinese by default", examples=["VIP 专席"])
    name_en: str | None = Field(default=None, examples=["VIP desk"])
    supervisor: str | None = None
    skills: list[str] = Field(default_factory=list)
    # When dispatch last changed the team. Dispatch announces its teams again at start,
    # so a copy takes an announcement only when it is not older than what it holds.
    updated_at: datetime


class TeamEvent(Envelope):
    stream: ClassVar[str] = "dispatch"
    data: TeamData

    def key(self) -> str:
        # One team's announcements stay in order on one partition.
        return f"team:{self.data.key}"


class TeamCreated(TeamEvent):
    type: Literal["team.created"] = "team.created"


class TeamUpdated(TeamEvent):
    type: Literal["team.updated"] = "team.updated"


class TeamDeleted(TeamEvent):
    type: Literal["team.deleted"] = "team.deleted"


# --------------------------------------------------------------------------- followup

# "callback" since follow-up's callbacks: an overdue callback task is a breach of its own.
ClockKind = Literal["response", "resolution", "update", "callback"]


class SlaClockData(Payload):
    clock: ClockKind
    due_at: datetime
    priority: Priority | None = None
    team: str | None = None
    # Optional since follow-up's callbacks: the overdue task (clock "callback").
    callback_id: uuid.UUID | None = None


class SlaWarning(Envelope):
    stream: ClassVar[str] = "followup"
    type: Literal["sla.warning"] = "sla.warning"
    data: SlaClockData


class SlaBreached(Envelope):
    stream: ClassVar[str] = "followup"
    type: Literal["sla.breached"] = "sla.breached"
    data: SlaClockData


class NotificationRequestedData(Payload):
    template: str
    channel: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class NotificationRequested(Envelope):
    stream: ClassVar[str] = "followup"
    type: Literal["notification.requested"] = "notification.requested"
    data: NotificationRequestedData


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


class CallbackData(Payload):
    callback_id: uuid.UUID
    kind: str
    due_at: datetime
    owner: str | None = None
    outcome: str | None = None
    score: int | None = None
    # Optional since named completions: who completed it (``person:<id>`` or
    # ``key:<name>``) and as people read it, and the call as the phone record form
    # (seed 001) has it: start, end and how the customer was verified.
    completed_by: str | None = None
    completed_by_name: str | None = None
    call_started_at: datetime | None = None
    call_ended_at: datetime | None = None
    verification: str | None = None


class CallbackScheduled(Envelope):
    stream: ClassVar[str] = "followup"
    type: Literal["callback.scheduled"] = "callback.scheduled"
    data: CallbackData


class CallbackCompleted(Envelope):
    stream: ClassVar[str] = "followup"
    type: Literal["callback.completed"] = "callback.completed"
    data: CallbackData


class CallbackCancelled(Envelope):
    """The ticket was reopened: the callback of the undone resolution is void (the next
    resolution plans a new one)."""

    stream: ClassVar[str] = "followup"
    type: Literal["callback.cancelled"] = "callback.cancelled"
    data: CallbackData


# --------------------------------------------------------------------------- the union

EVENT_CLASSES: tuple[type[Envelope], ...] = (
    TicketReceived,
    TicketMessageAdded,
    CustomerMerged,
    NotificationDelivered,
    NotificationOutgoing,
    TicketTriaged,
    TicketRetriaged,
    TicketAssigned,
    TicketQueued,
    TicketAccepted,
    TicketProgressNoted,
    TicketTransferred,
    TicketEscalated,
    TicketResolved,
    CompensationRequested,
    CompensationApproved,
    CompensationRejected,
    WorkOrderIssued,
    TeamCreated,
    TeamUpdated,
    TeamDeleted,
    SlaWarning,
    SlaBreached,
    NotificationRequested,
    SurveyAnswered,
    TicketConfirmed,
    TicketReopened,
    TicketClosed,
    CallbackScheduled,
    CallbackCompleted,
    CallbackCancelled,
)

# One discriminated union over every class above, built from that one list (typed as
# Any: a union built at run time is not a type to the checker).
_EVENT_UNION: Any = Annotated[Union[EVENT_CLASSES], Field(discriminator="type")]  # noqa: UP007
EVENT_ADAPTER: TypeAdapter[Envelope] = TypeAdapter(_EVENT_UNION)

EVENT_TYPES: dict[str, type[Envelope]] = {
    cls.model_fields["type"].default: cls for cls in EVENT_CLASSES
}


def parse_event(raw: bytes | str) -> Envelope:
    """Validate a message value against the union; raises ``pydantic.ValidationError``."""
    return EVENT_ADAPTER.validate_json(raw)
