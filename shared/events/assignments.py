"""Dispatch's assignment events: assigned or queued, the agent's actions, and the work order
a team reads from its own topic.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.events.envelope import Envelope, Payload, utcnow
from shared.events.tickets import KbSuggestion
from shared.vocabulary import Category, CustomerType, Priority


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
    # Optional since the workspace: who moved it when a person did (a supervisor's
    # reassignment or take-over, "reassigned" / "taken_over"), and why.
    actor: str | None = None
    actor_name: str | None = None
    note: str | None = None


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
    # Optional since the workspace: the collaborator request waiting for an answer.
    collaboration_id: uuid.UUID | None = None


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


class DeadlineExtendedData(AgentActionData):
    """A supervisor granted an agent's request for more time (seed 002): the resolution
    deadline moves; follow-up moves the breach clock, intake tells the customer."""

    extension_request_id: uuid.UUID
    extra_minutes: int = Field(ge=1)
    previous_resolve_by: datetime
    resolve_by: datetime
    reason: str | None = None  # the agent's
    note: str | None = None  # the supervisor's


class TicketDeadlineExtended(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["ticket.deadline_extended"] = "ticket.deadline_extended"
    data: DeadlineExtendedData


class CollaborationAnsweredData(AgentActionData):
    """The colleague an agent asked for help answered (``agent_id`` is the agent who asked;
    the actor is who answered): the ticket's pages show it at once."""

    collaboration_id: uuid.UUID
    collaborator: str  # whom the request was addressed to: an agent's name or a team key
    team: str | None = None  # the ticket's team
    answer: str  # contacts masked


class TicketCollaborationAnswered(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["ticket.collaboration_answered"] = "ticket.collaboration_answered"
    data: CollaborationAnsweredData
