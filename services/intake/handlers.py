"""Intake reacts to the rest of the lifecycle to keep the customer-visible status and
timeline, and tells the customer when the ticket reaches a team."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from services.intake import domain, repository, service
from services.intake.models import Ticket, TimelineEntry
from services.intake.settings import IntakeSettings
from shared.consumer import Handler
from shared.events import (
    Envelope,
    NotificationRequested,
    TeamEvent,
    TicketAssigned,
    TicketProgressNoted,
    TicketQueued,
    TicketResolved,
    TicketRetriaged,
    TicketTriaged,
)
from shared.observability import get_logger
from shared.outbox import UnitOfWork
from shared.team_copies import team_label

log = get_logger(__name__)

Hook = Callable[[Sequence[tuple[Envelope, Ticket]], UnitOfWork], Any]


def _timeline(
    kind: str, params: Callable[[Any], dict[str, str]], after: Hook | None = None
) -> Handler:
    """A handler that adds a timeline entry of ``kind`` and moves the status forward;
    ``after`` then sees every (event, ticket) pair of the batch. A ``team`` parameter is
    a team key, shown to the customer by the team's name."""

    async def handle(events: Sequence[Envelope], uow: UnitOfWork) -> None:
        tickets = await repository.tickets_for_update(
            uow.session, (e.ticket_id for e in events if e.ticket_id is not None)
        )
        wording = [params(event) for event in events]
        teams = await repository.teams_by_key(
            uow.session, (w["team"] for w in wording if "team" in w)
        )
        seen: list[tuple[Envelope, Ticket]] = []
        for event, words in zip(events, wording, strict=True):
            ticket = tickets.get(event.ticket_id) if event.ticket_id else None
            if ticket is None:
                continue  # not ours (another deployment) or already purged
            language: domain.Language = "en" if ticket.language == "en" else "zh"
            if "team" in words:
                words = {**words, "team": team_label(teams, words["team"], language)}
            text = domain.timeline_text(kind, language, **words)
            repository.add(
                uow.session,
                TimelineEntry(ticket_id=ticket.id, kind=kind, text=text, at=event.occurred_at),
            )
            # Events from different topics arrive in any order: status only moves forward.
            if domain.advances(ticket.status, kind):
                ticket.status = kind
                ticket.updated_at = event.occurred_at
            seen.append((event, ticket))
        if after is not None and seen:
            await after(seen, uow)

    handle.__name__ = f"on_ticket_{kind}"
    return handle


def _triaged(event: TicketTriaged) -> dict[str, str]:
    return {"category": event.data.category, "priority": event.data.priority}


async def _keep_deadline(pairs: Sequence[tuple[Envelope, Ticket]], _uow: UnitOfWork) -> None:
    for event, ticket in pairs:
        assert isinstance(event, TicketTriaged)
        ticket.respond_by = event.data.deadlines.respond_by
        ticket.team = ticket.team or event.data.team


async def on_tickets_retriaged(events: Sequence[Envelope], uow: UnitOfWork) -> None:
    """A supervisor's re-triage moves the deadline the customer is told about and the team
    (no timeline entry: the customer sees the new team when it is assigned)."""
    tickets = await repository.tickets_for_update(
        uow.session, (e.ticket_id for e in events if e.ticket_id is not None)
    )
    for event in events:
        assert isinstance(event, TicketRetriaged)
        ticket = tickets.get(event.ticket_id) if event.ticket_id else None
        if ticket is not None:
            ticket.respond_by = event.data.deadlines.respond_by
            ticket.team = event.data.team


async def _keep_closed_at(pairs: Sequence[tuple[Envelope, Ticket]], _uow: UnitOfWork) -> None:
    for event, ticket in pairs:
        if ticket.status in domain.CLOSED_STATUSES:
            ticket.closed_at = max(ticket.closed_at or event.occurred_at, event.occurred_at)


def _queued(_event: TicketQueued) -> dict[str, str]:
    return {}


def _assigned(event: TicketAssigned) -> dict[str, str]:
    return {"team": event.data.team}


def _assignment_notice(settings: IntakeSettings) -> Hook:
    async def notify(pairs: Sequence[tuple[Envelope, Ticket]], uow: UnitOfWork) -> None:
        """需求受理 second notice (seed 002): the team and when the customer hears back."""
        await _notify_assigned(pairs, uow, settings)

    return notify


async def _notify_assigned(
    pairs: Sequence[tuple[Envelope, Ticket]], uow: UnitOfWork, settings: IntakeSettings
) -> None:
    tz = ZoneInfo(settings.display_timezone)
    customers = await repository.customers_by_ids(uow.session, (t.customer_id for _, t in pairs))
    teams = await repository.teams_by_key(
        uow.session, (e.data.team for e, _ in pairs if isinstance(e, TicketAssigned))
    )
    for event, ticket in pairs:
        assert isinstance(event, TicketAssigned)
        ticket.team = event.data.team
        customer = customers.get(ticket.customer_id)
        if customer is None:
            continue
        language: domain.Language = "en" if ticket.language == "en" else "zh"
        body = domain.assignment_notice(
            ticket.ticket_no,
            team_label(teams, event.data.team, language),
            ticket.respond_by,
            event.occurred_at,
            tz,
            language,
        )
        service.notify_customer(
            uow, settings, ticket, customer, "assignment_notice", body, cause=event
        )


def _progress(settings: IntakeSettings) -> Handler:
    async def on_ticket_progress_noted(events: Sequence[Envelope], uow: UnitOfWork) -> None:
        """Agents' notes: internal ones stay internal; public ones reach the customer."""
        tickets = await repository.tickets_for_update(
            uow.session, (e.ticket_id for e in events if e.ticket_id is not None)
        )
        customers = await repository.customers_by_ids(
            uow.session, (t.customer_id for t in tickets.values())
        )
        for event in events:
            assert isinstance(event, TicketProgressNoted)
            ticket = tickets.get(event.ticket_id) if event.ticket_id else None
            if ticket is None:
                continue
            language: domain.Language = "en" if ticket.language == "en" else "zh"
            public = event.data.customer_visible
            text = domain.timeline_text("progress", language, note=event.data.note)
            repository.add(
                uow.session,
                TimelineEntry(
                    ticket_id=ticket.id,
                    kind="progress",
                    text=text,
                    customer_visible=public,
                    at=event.occurred_at,
                ),
            )
            ticket.updated_at = max(ticket.updated_at, event.occurred_at)
            customer = customers.get(ticket.customer_id)
            if public and customer is not None:
                body = domain.render_requested(
                    "progress_update", language, {"note": event.data.note}, ticket.ticket_no
                )
                service.notify_customer(
                    uow, settings, ticket, customer, "progress_update", body or text, cause=event
                )

    return on_ticket_progress_noted


def _resolved(event: TicketResolved) -> dict[str, str]:
    return {"reply": event.data.public_reply}


def _nothing(_event: Envelope) -> dict[str, str]:
    return {}


def _notification_requested(settings: IntakeSettings) -> Handler:
    async def on_notification_requested(events: Sequence[Envelope], uow: UnitOfWork) -> None:
        """Notices other services ask for: render, resolve the contact, send out."""
        tickets = await repository.tickets_by_ids(
            uow.session, (e.ticket_id for e in events if e.ticket_id is not None)
        )
        customers = await repository.customers_by_ids(
            uow.session, (t.customer_id for t in tickets.values())
        )
        for event in events:
            assert isinstance(event, NotificationRequested)
            ticket = tickets.get(event.ticket_id) if event.ticket_id else None
            customer = customers.get(ticket.customer_id) if ticket else None
            if ticket is None or customer is None:
                log.warning("notification_for_unknown_ticket", ticket_id=str(event.ticket_id))
                continue
            language: domain.Language = "en" if ticket.language == "en" else "zh"
            data = event.data
            body = domain.render_requested(data.template, language, data.params, ticket.ticket_no)
            if body is None:
                log.warning("notification_template_unknown", template=data.template)
                continue
            sent = service.notify_customer(
                uow,
                settings,
                ticket,
                customer,
                data.template,
                body,
                preferred=data.channel,
                cause=event,
            )
            if not sent:
                log.warning("notification_unreachable", ticket_id=str(ticket.id))

    return on_notification_requested


async def on_team_announcements(events: Sequence[TeamEvent], uow: UnitOfWork) -> None:
    """Dispatch's teams, so the customer's notices name a new team by its name at once."""
    await repository.keep_team_announcements(uow.session, events)


def build_handlers(settings: IntakeSettings) -> dict[str, Handler]:
    return {
        "team.created": on_team_announcements,
        "team.updated": on_team_announcements,
        "team.deleted": on_team_announcements,
        "notification.requested": _notification_requested(settings),
        "ticket.triaged": _timeline("triaged", _triaged, _keep_deadline),
        "ticket.retriaged": on_tickets_retriaged,
        "ticket.queued": _timeline("queued", _queued),
        "ticket.assigned": _timeline("assigned", _assigned, _assignment_notice(settings)),
        "ticket.accepted": _timeline("accepted", _nothing),
        "ticket.progress_noted": _progress(settings),
        "ticket.resolved": _timeline("resolved", _resolved),
        "ticket.reopened": _timeline("reopened", _nothing),
        "ticket.closed": _timeline("closed", _nothing, _keep_closed_at),
    }
