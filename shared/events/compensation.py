"""Compensation events: requested by an agent, approved or rejected (dispatch)."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from shared.events.envelope import Envelope, Payload

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
