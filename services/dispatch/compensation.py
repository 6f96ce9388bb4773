"""Compensation: an agent asks, the supervisor decides above the threshold; the caller
commits."""

from __future__ import annotations

import uuid
from typing import Any

from services.dispatch import domain, repository
from services.dispatch.agent_work import lock_for_action
from services.dispatch.models import Compensation
from services.dispatch.people.models import name_of
from services.dispatch.roster import check_undecided
from shared.errors import not_found
from shared.events import (
    CompensationApproved,
    CompensationData,
    CompensationRejected,
    CompensationRequested,
    utcnow,
)
from shared.observability import mask_contact
from shared.outbox import UnitOfWork

# --------------------------------------------------------------------------- compensation


async def request_compensation(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    kind: str,
    amount: float,
    reason: str | None,
    thresholds: dict[str, float],
    expected_version: int | None = None,
) -> Compensation:
    acting = await lock_for_action(
        uow, assignment_id, agent_id, "compensate", expected_version=expected_version
    )
    a = acting.assignment
    now = utcnow()
    # The threshold holds for the ticket's total of this kind, not for each request
    # (five refunds of 200 do not each pass a 200 threshold); the assignment's lock
    # above serialises requests on one ticket.
    already = await repository.compensation_total(uow.session, a.ticket_id, kind)
    needs_approval = domain.needs_approval(kind, already + amount, thresholds)
    comp = Compensation(
        id=uuid.uuid4(),
        assignment_id=a.id,
        ticket_id=a.ticket_id,
        team_key=a.team_key,
        agent_id=agent_id,
        kind=kind,
        amount=amount,
        reason=mask_contact(reason) if reason else None,
        state="pending" if needs_approval else "approved",
        decided_by=None if needs_approval else "policy",
        created_at=now,
        decided_at=None if needs_approval else now,
    )
    repository.add(uow.session, comp)
    uow.emit(
        CompensationRequested(
            ticket_id=a.ticket_id,
            data=_compensation_data(
                comp,
                needs_approval=needs_approval,
                actor=f"person:{agent_id}",
                actor_name=name_of(acting.agent),
            ),
        )
    )
    if not needs_approval:
        uow.emit(CompensationApproved(ticket_id=a.ticket_id, data=_compensation_data(comp)))
    return comp


def _compensation_data(comp: Compensation, **extra: Any) -> CompensationData:
    return CompensationData(
        compensation_id=comp.id,
        kind=comp.kind,
        amount=comp.amount,
        reason=comp.decision_reason or comp.reason,
        assignment_id=comp.assignment_id,
        team=comp.team_key,
        state=comp.state,
        decided_by=comp.decided_by,
        **extra,
    )


async def decide_compensation(
    uow: UnitOfWork,
    compensation_id: uuid.UUID,
    *,
    approve: bool,
    supervisor: frozenset[str] | None,
    reason: str | None,
    by: str = "admin",
    by_actor: str | None = None,
) -> Compensation:
    """Approve or reject a pending compensation; ``supervisor``: the teams the deciding
    supervisor supervises (None: an admin); ``by``: their name, ``by_actor`` their id."""
    comp = await repository.lock_compensation(uow.session, compensation_id)
    if comp is None:
        raise not_found("compensation", compensation_id)
    await check_undecided(
        uow.session,
        comp.team_key,
        supervisor,
        what=f"Compensation {compensation_id}",
        state=comp.state,
        undecided="pending",
    )
    comp.state = "approved" if approve else "rejected"
    comp.decided_by = by[:100]
    comp.decision_reason = mask_contact(reason) if reason else None
    comp.decided_at = utcnow()
    event_cls = CompensationApproved if approve else CompensationRejected
    data = _compensation_data(comp, decided_by_actor=by_actor)
    uow.emit(event_cls(ticket_id=comp.ticket_id, data=data))
    return comp
