"""Event contracts: the JSON envelope, every event type, and the topics they travel on.

Producers build these models and consumers validate against them, so a change
here is a change of the wire contract. Events never carry a raw phone number or
e-mail address, except ``notification.outgoing`` on the notifications topic,
which gateways need to deliver.

The types live by domain in the modules of this package (``tickets``, ``assignments``,
``compensation``, ``teams``, ``shifts``, ``sla``, ``notifications``, on ``envelope``); every name is
importable from ``shared.events`` itself, where the one union over them is built.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from shared.events.assignments import (
    AgentActionData,
    CollaborationAnsweredData,
    DeadlineExtendedData,
    EscalatedData,
    ProgressNotedData,
    ResolvedData,
    TicketAccepted,
    TicketAssigned,
    TicketAssignedData,
    TicketCollaborationAnswered,
    TicketDeadlineExtended,
    TicketEscalated,
    TicketProgressNoted,
    TicketQueued,
    TicketQueuedData,
    TicketResolved,
    TicketTransferred,
    TransferredData,
    WorkOrderData,
    WorkOrderIssued,
)
from shared.events.compensation import (
    CompensationApproved,
    CompensationData,
    CompensationKind,
    CompensationRejected,
    CompensationRequested,
)
from shared.events.envelope import (
    ChannelKey,
    Envelope,
    Payload,
    utcnow,
)
from shared.events.holidays import HolidayScheduleData, HolidayScheduleLoaded
from shared.events.notifications import (
    NotificationDelivered,
    NotificationDeliveredData,
    NotificationOutgoing,
    NotificationOutgoingData,
    NotificationRequested,
    NotificationRequestedData,
    SurveyAnswered,
    SurveyAnsweredData,
)
from shared.events.shifts import (
    AgentOnLeaveData,
    AgentOnShiftData,
    DayKind,
    OnShiftData,
    TeamOnShiftChanged,
)
from shared.events.sla import (
    CallbackCancelled,
    CallbackCompleted,
    CallbackData,
    CallbackScheduled,
    ClockKind,
    SlaBreached,
    SlaClockData,
    SlaWarning,
)
from shared.events.teams import (
    TeamCreated,
    TeamData,
    TeamDeleted,
    TeamEvent,
    TeamUpdated,
)
from shared.events.tickets import (
    CustomerMerged,
    CustomerMergedData,
    Deadlines,
    KbSuggestion,
    PhoneCallData,
    TicketClosed,
    TicketConfirmed,
    TicketMessageAdded,
    TicketMessageAddedData,
    TicketReceived,
    TicketReceivedData,
    TicketReopened,
    TicketRetriaged,
    TicketStateData,
    TicketTriaged,
    TicketTriagedData,
)

# The vocabularies are contracts of their own (shared.vocabulary); imported here too
# because most readers of the events name them from this module.
from shared.topics import Topics
from shared.vocabulary import Category, Channel, CustomerType, Priority, Scene

__all__ = [
    "EVENT_ADAPTER",
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "AgentActionData",
    "AgentOnLeaveData",
    "AgentOnShiftData",
    "CallbackCancelled",
    "CallbackCompleted",
    "CallbackData",
    "CallbackScheduled",
    "Category",
    "Channel",
    "ChannelKey",
    "ClockKind",
    "CollaborationAnsweredData",
    "CompensationApproved",
    "CompensationData",
    "CompensationKind",
    "CompensationRejected",
    "CompensationRequested",
    "CustomerMerged",
    "CustomerMergedData",
    "CustomerType",
    "DayKind",
    "DeadlineExtendedData",
    "Deadlines",
    "Envelope",
    "EscalatedData",
    "HolidayScheduleData",
    "HolidayScheduleLoaded",
    "KbSuggestion",
    "NotificationDelivered",
    "NotificationDeliveredData",
    "NotificationOutgoing",
    "NotificationOutgoingData",
    "NotificationRequested",
    "NotificationRequestedData",
    "OnShiftData",
    "Payload",
    "PhoneCallData",
    "Priority",
    "ProgressNotedData",
    "ResolvedData",
    "Scene",
    "SlaBreached",
    "SlaClockData",
    "SlaWarning",
    "SurveyAnswered",
    "SurveyAnsweredData",
    "TeamCreated",
    "TeamData",
    "TeamDeleted",
    "TeamEvent",
    "TeamOnShiftChanged",
    "TeamUpdated",
    "TicketAccepted",
    "TicketAssigned",
    "TicketAssignedData",
    "TicketClosed",
    "TicketCollaborationAnswered",
    "TicketConfirmed",
    "TicketDeadlineExtended",
    "TicketEscalated",
    "TicketMessageAdded",
    "TicketMessageAddedData",
    "TicketProgressNoted",
    "TicketQueued",
    "TicketQueuedData",
    "TicketReceived",
    "TicketReceivedData",
    "TicketReopened",
    "TicketResolved",
    "TicketRetriaged",
    "TicketStateData",
    "TicketTransferred",
    "TicketTriaged",
    "TicketTriagedData",
    "Topics",
    "TransferredData",
    "WorkOrderData",
    "WorkOrderIssued",
    "parse_event",
    "utcnow",
]

EVENT_CLASSES: tuple[type[Envelope], ...] = (
    TicketReceived,
    TicketMessageAdded,
    CustomerMerged,
    NotificationDelivered,
    NotificationOutgoing,
    TicketTriaged,
    TicketRetriaged,
    HolidayScheduleLoaded,
    TicketAssigned,
    TicketQueued,
    TicketAccepted,
    TicketProgressNoted,
    TicketTransferred,
    TicketEscalated,
    TicketResolved,
    TicketDeadlineExtended,
    TicketCollaborationAnswered,
    CompensationRequested,
    CompensationApproved,
    CompensationRejected,
    WorkOrderIssued,
    TeamCreated,
    TeamUpdated,
    TeamDeleted,
    TeamOnShiftChanged,
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
