"""Dispatch's part of a ticket's thread (issue 13): what agents, supervisors and the system
did on the ticket, each line with who and when, text with contacts masked.

Most lines are the events dispatch emits, recorded as they are emitted (``on_emit``, in the
same transaction); what no event carries (a customer's reply seen by dispatch, a reopen, a
collaborator's answer, an inbox decision) is recorded where it happens. The caller commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.dispatch import repository
from shared.events import Envelope, utcnow
from shared.observability import mask_contact
from shared.outbox import UnitOfWork

SYSTEM = ("system:dispatch", "系统 system")
CUSTOMER_NAME = "客户 customer"

# Every kind a line may have (the thread's legend; the route documents it).
KINDS = (
    "assigned",
    "queued",
    "accepted",
    "internal_note",
    "public_reply",
    "collaborator_request",
    "collaborator_answer",
    "waiting",
    "resumed",
    "visit_booked",
    "transferred",
    "escalated",
    "resolved",
    "reopened",
    "reassigned",
    "taken_over",
    "customer_replied",
    "survey_answered",
    "compensation_requested",
    "compensation_approved",
    "compensation_rejected",
    "extension_requested",
    "extension_granted",
    "extension_refused",
)


def record(
    uow: UnitOfWork,
    *,
    ticket_id: uuid.UUID,
    kind: str,
    actor: tuple[str | None, str],
    assignment_id: uuid.UUID | None = None,
    text: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> None:
    """Add one line; ``actor`` is (id, display name). Lines are only ever written, so
    they go in with one Core statement at commit, not through the ORM's flush
    (:func:`repository.add_activity`)."""
    repository.add_activity(
        uow.session,
        {
            "id": uuid.uuid4(),
            "ticket_id": ticket_id,
            "assignment_id": assignment_id,
            "kind": kind,
            "actor_id": actor[0],
            "actor_name": (actor[1] or "?")[:100],
            "at": at or utcnow(),
            "text": mask_contact(text) if text else None,
            "data": data or {},
            "event_id": event_id,
        },
    )


def _actor(data: Any) -> tuple[str | None, str]:
    actor = getattr(data, "actor", None)
    name = getattr(data, "actor_name", None)
    if actor or name:
        return actor, name or actor or "?"
    return SYSTEM


def _line(event: Envelope) -> tuple[str, str | None, dict[str, Any]] | None:
    """The kind, text and data of the line an emitted event makes (None: no line)."""
    data: Any = event.data
    kind = event.type
    if kind == "ticket.assigned":
        if data.reason in ("reassigned", "taken_over"):
            return None  # the supervisor's own line says it, with who
        return (
            "assigned",
            None,
            {"agent_id": str(data.agent_id), "agent_name": data.agent_name, "reason": data.reason},
        )
    if kind == "ticket.queued":
        return "queued", data.reason, {"team": data.team}
    if kind == "ticket.accepted":
        return "accepted", None, {}
    if kind == "ticket.progress_noted":
        extra: dict[str, Any] = {}
        if data.visit_from is not None:
            extra = {"visit_from": data.visit_from.isoformat()}
            if data.visit_until is not None:
                extra["visit_until"] = data.visit_until.isoformat()
            return "visit_booked", data.note or None, extra
        if data.waiting_on_customer is True:
            return "waiting", data.note, {"customer_visible": data.customer_visible}
        if data.waiting_on_customer is False:
            return "resumed", data.note, {"customer_visible": data.customer_visible}
        if data.collaborator:
            ident = data.collaboration_id
            return (
                "collaborator_request",
                data.note,
                {"collaborator": data.collaborator, "collaboration_id": ident and str(ident)},
            )
        return ("public_reply" if data.customer_visible else "internal_note"), data.note, {}
    if kind == "ticket.transferred":
        return (
            "transferred",
            data.reason,
            {
                "to_team": data.to_team,
                "to_agent_id": str(data.to_agent_id) if data.to_agent_id else None,
            },
        )
    if kind == "ticket.escalated":
        return "escalated", data.reason, {"supervisor": data.supervisor}
    if kind == "ticket.resolved":
        return (
            "resolved",
            data.public_reply,
            {"resolution_code": data.resolution_code, "compensations": data.compensations},
        )
    if kind.startswith("compensation."):
        return (
            kind.replace(".", "_"),
            data.reason,
            {
                "compensation_id": str(data.compensation_id),
                "kind": data.kind,
                "amount": data.amount,
                "state": data.state,
            },
        )
    if kind == "ticket.deadline_extended":
        return (
            "extension_granted",
            data.note,
            {
                "extension_request_id": str(data.extension_request_id),
                "extra_minutes": data.extra_minutes,
                "resolve_by": data.resolve_by.isoformat(),
            },
        )
    return None


def record_emitted(uow: UnitOfWork, event: Envelope) -> None:
    """``on_emit``: the line an event dispatch emits makes in its ticket's thread."""
    if event.ticket_id is None:
        return
    line = _line(event)
    if line is None:
        return
    kind, text, data = line
    data_obj: Any = event.data
    if kind.startswith("compensation_") and kind != "compensation_requested":
        actor: tuple[str | None, str] = (
            getattr(data_obj, "decided_by_actor", None),
            getattr(data_obj, "decided_by", None) or "?",
        )
    else:
        actor = _actor(data_obj)
    at = getattr(data_obj, "at", None)
    record(
        uow,
        ticket_id=event.ticket_id,
        assignment_id=getattr(data_obj, "assignment_id", None),
        kind=kind,
        actor=actor,
        text=text,
        data=data,
        at=at if isinstance(at, datetime) else event.occurred_at,
        event_id=event.event_id,
    )
