"""Analytics' projection of lifecycle events into ticket facts; the caller commits.

Each projection fills in only its own columns; timestamps keep their first or
last value and the state follows the latest event, so events may arrive in any
order, and twice. Counters (transfers, escalations, reopens, compensation) also
remember what they counted in ``counted_events``: the consumer's inbox already
drops redeliveries, but its ids are pruned after a retention and a replay of old
events must not count twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics import domain, repository, rollups
from services.analytics.models import TicketFact
from services.analytics.schemas import AgentOnLeave, AgentOnShift, Group, TeamOnShift
from shared.events import (
    CallbackCompleted,
    CompensationApproved,
    Envelope,
    SlaBreached,
    SlaWarning,
    SurveyAnswered,
    TicketAccepted,
    TicketAssigned,
    TicketClosed,
    TicketConfirmed,
    TicketEscalated,
    TicketQueued,
    TicketReceived,
    TicketReopened,
    TicketResolved,
    TicketRetriaged,
    TicketTransferred,
    TicketTriaged,
)
from shared.observability import mask_contact
from shared.outbox import UnitOfWork
from shared.vocabulary import CATEGORIES, CHANNELS, PRIORITIES, TICKET_STATUSES, Language

E = TypeVar("E", bound=Envelope)


async def _facts(uow: UnitOfWork, events: Sequence[Envelope]) -> dict[uuid.UUID, TicketFact]:
    """The fact row of each event's ticket, locked; created (state ``new``) when missing."""
    ids = [e.ticket_id for e in events if e.ticket_id is not None]
    facts = await repository.facts_for_update(uow.session, ids)
    for ticket_id in ids:
        if ticket_id not in facts:
            facts[ticket_id] = TicketFact(
                ticket_id=ticket_id,
                state="new",
                response_breached=False,
                resolution_breached=False,
                update_breached=False,
                breached=False,
                transfers=0,
                escalations=0,
                reopens=0,
                compensation_count=0,
                compensation_total=0.0,
            )
            repository.add_fact(uow.session, facts[ticket_id])
    return facts


async def _project(
    uow: UnitOfWork, events: Sequence[E], apply: Callable[[TicketFact, E], None]
) -> dict[uuid.UUID, TicketFact]:
    """Apply each event to its ticket's fact, then recompute the derived columns."""
    events = [e for e in events if e.ticket_id is not None]
    facts = await _facts(uow, events)
    touched: dict[uuid.UUID, TicketFact] = {}
    deltas = rollups.Deltas()
    for event in events:
        assert event.ticket_id is not None
        fact = facts[event.ticket_id]
        if event.ticket_id not in touched:
            deltas.add(rollups.contribution(fact), -1)
            touched[event.ticket_id] = fact
        apply(fact, event)
    for fact in touched.values():
        domain.refresh(fact)
        deltas.add(rollups.contribution(fact), +1)
    repository.pending_deltas(uow.session).merge(deltas)
    return touched


async def _uncounted(uow: UnitOfWork, kind: str, items: Iterable[tuple[uuid.UUID, E]]) -> list[E]:
    """The events whose key was never counted before; their keys are recorded."""
    fresh: dict[uuid.UUID, E] = {}
    for key, event in items:
        fresh.setdefault(key, event)
    seen = await repository.counted_keys(uow.session, fresh)
    keys = [k for k, e in fresh.items() if k not in seen and e.ticket_id is not None]
    await repository.record_counted(
        uow.session, [{"key": k, "ticket_id": fresh[k].ticket_id, "kind": kind} for k in keys]
    )
    return [fresh[k] for k in keys]


# --------------------------------------------------------------------------- intake


def _received(fact: TicketFact, event: TicketReceived) -> None:
    data = event.data
    fact.ticket_no = data.ticket_no
    fact.channel = data.channel
    fact.customer_type = data.customer_type
    fact.masked_contact = data.masked_contact
    fact.subject = mask_contact(data.subject)[:200]
    fact.description = mask_contact(data.description)
    fact.received_at = data.received_at
    call = data.phone_call
    if call is not None:
        fact.call_started_at = call.call_started_at
        fact.call_ended_at = call.call_ended_at
        fact.call_handler = call.handler[:100] if call.handler else None
        steps = "；".join(call.verification_steps)
        fact.verification_steps = mask_contact(steps) if steps else None
        fact.call_resolution = mask_contact(call.resolution) if call.resolution else None
    domain.move_state(fact, "received", event.occurred_at)


async def project_received(uow: UnitOfWork, events: Sequence[TicketReceived]) -> None:
    await _project(uow, events, _received)


# --------------------------------------------------------------------------- triage


def _classify(fact: TicketFact, event: TicketTriaged | TicketRetriaged) -> None:
    data = event.data
    fact.ticket_no = data.ticket_no
    if fact.channel is None:
        fact.channel = data.channel
    if fact.customer_type is None:
        fact.customer_type = data.customer_type
    if fact.subject is None:
        fact.subject = mask_contact(data.subject)[:200]
    # The latest decision wins (a supervisor's retriage over the first one).
    if fact.triaged_at is not None and event.occurred_at < fact.triaged_at:
        return
    fact.triaged_at = event.occurred_at
    fact.calendar_spec = data.deadlines.calendar_spec
    fact.category = data.category
    fact.scene = data.scene
    fact.priority = data.priority
    fact.keywords = list(data.keywords)
    if fact.first_assigned_at is None and fact.queued_at is None:
        fact.team = data.team  # dispatch's word on the team is final
    fact.respond_by = data.deadlines.respond_by
    fact.resolve_by = data.deadlines.resolve_by


def _triaged(fact: TicketFact, event: TicketTriaged) -> None:
    _classify(fact, event)
    domain.move_state(fact, "triaged", event.occurred_at)


async def project_triaged(uow: UnitOfWork, events: Sequence[TicketTriaged]) -> None:
    await _project(uow, events, _triaged)


async def project_retriaged(uow: UnitOfWork, events: Sequence[TicketRetriaged]) -> None:
    await _project(uow, events, _classify)


# --------------------------------------------------------------------------- dispatch


def _queued(fact: TicketFact, event: TicketQueued) -> None:
    if fact.assigned_at is None or event.occurred_at > fact.assigned_at:
        fact.team = event.data.team
        fact.agent_name = None
        fact.agent_id = None
    fact.queued_at = domain.latest(fact.queued_at, event.occurred_at)
    if fact.priority is None:
        fact.priority = event.data.priority
    domain.move_state(fact, "queued", event.occurred_at)


async def project_queued(uow: UnitOfWork, events: Sequence[TicketQueued]) -> None:
    await _project(uow, events, _queued)


def _assigned(fact: TicketFact, event: TicketAssigned) -> None:
    data = event.data
    fact.ticket_no = fact.ticket_no or data.ticket_no
    if fact.priority is None:
        fact.priority = data.priority
    if fact.category is None:
        fact.category = data.category
    if fact.assigned_at is None or data.assigned_at >= fact.assigned_at:
        if fact.queued_at is None or data.assigned_at >= fact.queued_at:
            fact.team = data.team
            fact.agent_name = data.agent_name
            fact.agent_id = data.agent_id
        fact.assigned_at = data.assigned_at
    if fact.first_assigned_at is None or data.assigned_at < fact.first_assigned_at:
        fact.first_assigned_at = data.assigned_at
        fact.first_agent_id = data.agent_id
    domain.move_state(fact, "assigned", event.occurred_at)


async def project_assigned(uow: UnitOfWork, events: Sequence[TicketAssigned]) -> None:
    await _project(uow, events, _assigned)


def _accepted(fact: TicketFact, event: TicketAccepted) -> None:
    fact.accepted_at = domain.earliest(fact.accepted_at, event.data.at)
    domain.move_state(fact, "in_progress", event.occurred_at)


async def project_accepted(uow: UnitOfWork, events: Sequence[TicketAccepted]) -> None:
    await _project(uow, events, _accepted)


def _resolved(fact: TicketFact, event: TicketResolved) -> None:
    data = event.data
    if fact.resolved_at is None or data.at >= fact.resolved_at:
        fact.resolved_at = data.at
        fact.resolved_by_agent_id = data.agent_id
        fact.resolution_code = data.resolution_code[:64]
        fact.resolution_text = mask_contact(data.public_reply) if data.public_reply else None
    domain.move_state(fact, "resolved", event.occurred_at)


async def project_resolved(uow: UnitOfWork, events: Sequence[TicketResolved]) -> None:
    await _project(uow, events, _resolved)


def _transferred(fact: TicketFact, event: TicketTransferred) -> None:
    fact.transfers = (fact.transfers or 0) + 1


async def project_transferred(uow: UnitOfWork, events: Sequence[TicketTransferred]) -> None:
    fresh = await _uncounted(uow, "transfer", ((e.event_id, e) for e in events))
    await _project(uow, fresh, _transferred)


def _escalated(fact: TicketFact, event: TicketEscalated) -> None:
    fact.escalations = (fact.escalations or 0) + 1


async def project_escalated(uow: UnitOfWork, events: Sequence[TicketEscalated]) -> None:
    fresh = await _uncounted(uow, "escalation", ((e.event_id, e) for e in events))
    await _project(uow, fresh, _escalated)


def _compensated(fact: TicketFact, event: CompensationApproved) -> None:
    fact.compensation_count = (fact.compensation_count or 0) + 1
    fact.compensation_total = round((fact.compensation_total or 0.0) + event.data.amount, 2)


async def project_compensation_approved(
    uow: UnitOfWork, events: Sequence[CompensationApproved]
) -> None:
    # Keyed by the compensation, not the event: one compensation counts once.
    fresh = await _uncounted(uow, "compensation", ((e.data.compensation_id, e) for e in events))
    await _project(uow, fresh, _compensated)


# --------------------------------------------------------------------------- followup


def _warned(fact: TicketFact, event: SlaWarning) -> None:
    fact.warned_at = domain.earliest(fact.warned_at, event.occurred_at)


async def project_sla_warning(uow: UnitOfWork, events: Sequence[SlaWarning]) -> None:
    await _project(uow, events, _warned)


def _breached(fact: TicketFact, event: SlaBreached) -> None:
    clock = event.data.clock
    if clock == "response":
        fact.response_breached = True
    elif clock == "resolution":
        fact.resolution_breached = True
    elif clock == "update":
        fact.update_breached = True
    # "callback": an overdue callback task is follow-up's breach, not the ticket's SLA.


async def project_sla_breached(uow: UnitOfWork, events: Sequence[SlaBreached]) -> None:
    await _project(uow, events, _breached)


def _surveyed(fact: TicketFact, event: SurveyAnswered) -> None:
    fact.csat = event.data.score
    fact.survey_resolved = event.data.resolved
    fact.survey_comment = mask_contact(event.data.comment) if event.data.comment else None


async def project_survey_answered(uow: UnitOfWork, events: Sequence[SurveyAnswered]) -> None:
    await _project(uow, events, _surveyed)


def _reopened(fact: TicketFact, event: TicketReopened) -> None:
    fact.reopens = (fact.reopens or 0) + 1
    fact.reopened_at = domain.latest(fact.reopened_at, event.occurred_at)
    domain.move_state(fact, "reopened", event.occurred_at)


async def project_reopened(uow: UnitOfWork, events: Sequence[TicketReopened]) -> None:
    fresh = await _uncounted(uow, "reopen", ((e.event_id, e) for e in events))
    await _project(uow, fresh, _reopened)


def _closed(fact: TicketFact, event: TicketClosed | TicketConfirmed) -> None:
    fact.closed_at = domain.latest(fact.closed_at, event.occurred_at)
    domain.move_state(fact, "closed", event.occurred_at)


async def project_closed(uow: UnitOfWork, events: Sequence[TicketClosed | TicketConfirmed]) -> None:
    await _project(uow, events, _closed)


def _called_back(fact: TicketFact, event: CallbackCompleted) -> None:
    data = event.data
    if fact.callback_completed_at is not None and fact.callback_completed_at > event.occurred_at:
        return  # a later callback's record is already here
    fact.callback_completed_at = event.occurred_at
    fact.callback_outcome = mask_contact(data.outcome) if data.outcome else None
    name = data.completed_by_name or data.completed_by
    fact.callback_by = name[:100] if name else None
    fact.callback_score = data.score


async def project_callback_completed(uow: UnitOfWork, events: Sequence[CallbackCompleted]) -> None:
    await _project(uow, events, _called_back)


PROJECTIONS: dict[str, Callable[[UnitOfWork, Sequence[Any]], Any]] = {
    "ticket.received": project_received,
    "ticket.triaged": project_triaged,
    "ticket.retriaged": project_retriaged,
    "ticket.queued": project_queued,
    "ticket.assigned": project_assigned,
    "ticket.accepted": project_accepted,
    "ticket.transferred": project_transferred,
    "ticket.escalated": project_escalated,
    "ticket.resolved": project_resolved,
    "compensation.approved": project_compensation_approved,
    "sla.warning": project_sla_warning,
    "sla.breached": project_sla_breached,
    "survey.answered": project_survey_answered,
    "ticket.reopened": project_reopened,
    "ticket.confirmed": project_closed,
    "ticket.closed": project_closed,
    "callback.completed": project_callback_completed,
}


# --------------------------------------------------------------------------- labels


async def labels(session: AsyncSession, language: Language = "zh") -> dict[str, dict[str, str]]:
    """How each code is said, by kind: the vocabularies' labels and the teams' names as
    dispatch last announced them (a team created a moment ago included). In English a
    team without an English name keeps its Chinese one."""
    teams = await repository.teams(session)
    return {
        "channel": CHANNELS.labels(language),
        "category": CATEGORIES.labels(language),
        "priority": PRIORITIES.labels(language),
        "state": TICKET_STATUSES.labels(language),
        "team": {key: team.label(language) for key, team in teams.items()},
    }


async def on_shift(session: AsyncSession) -> list[TeamOnShift]:
    """Per team with shifts, who is on shift and on leave today, named as people read
    them (the team by its display name, a team not announced yet by its key)."""
    teams = await repository.teams(session)
    found = []
    for copy in await repository.on_shift_copies(session):
        team = teams.get(copy.team_key)
        found.append(
            TeamOnShift(
                team=copy.team_key,
                name=team.name if team else copy.team_key,
                name_en=team.name_en if team else None,
                day=copy.day,
                day_kind=copy.day_kind,
                on_shift=[AgentOnShift.model_validate(a) for a in copy.on_shift],
                on_leave=[AgentOnLeave.model_validate(a) for a in copy.on_leave],
                as_of=copy.as_of,
            )
        )
    return found


def agents_named(groups: Sequence[Group], teams: dict[str, str]) -> list[Group]:
    """Per-agent groups (keyed ``team/agent``) named as people read them: the agent's name
    as dispatch sent it (the account's display name) and the team's name."""
    named_groups = []
    for group in groups:
        team, _, agent = group.key.partition("/")
        name = f"{agent}（{teams.get(team, team)}）" if agent else group.key
        named_groups.append(group.model_copy(update={"name": name}))
    return named_groups


def named(groups: Sequence[Group], names: dict[str, str]) -> list[Group]:
    """The groups with their names; a key not known yet is named by itself."""
    return [group.model_copy(update={"name": names.get(group.key, group.key)}) for group in groups]
