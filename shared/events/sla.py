"""Follow-up's clocks and callbacks: SLA warnings and breaches, and the callback tasks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from shared.events.envelope import Envelope, Payload
from shared.vocabulary import Priority

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
