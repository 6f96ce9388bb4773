"""What intake does when another service speaks: it keeps the customer-visible status and
timeline, tells the customer when the ticket reaches a team (and of later deadlines, public
notes and visits), sends the notices other services ask for, and keeps its copy of
dispatch's teams. ``handlers.py`` hands each batch here; the caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.intake import domain, notices, repository, template_service
from services.intake.models import Customer, Ticket
from services.intake.settings import IntakeSettings
from services.intake.templates import (
    TEMPLATES,
    TemplateBook,
    date_time_text,
    hours_until,
    sentence,
    when_text,
)
from shared.events import (
    Envelope,
    NotificationRequested,
    TeamEvent,
    TicketAccepted,
    TicketAssigned,
    TicketClosed,
    TicketDeadlineExtended,
    TicketProgressNoted,
    TicketQueued,
    TicketReopened,
    TicketResolved,
    TicketRetriaged,
    TicketTriaged,
)
from shared.observability import get_logger
from shared.outbox import UnitOfWork
from shared.survey_links import survey_link
from shared.team_copies import KnownTeam, team_label

log = get_logger(__name__)

Hook = Callable[[Sequence[tuple[Envelope, Ticket]], UnitOfWork], Any]


@dataclass(frozen=True)
class Advanced:
    """What ``advance_timeline`` did: the (event, ticket) pairs it applied, in the batch's
    order, and the teams it named (a later notice names them again)."""

    pairs: list[tuple[Envelope, Ticket]]
    teams: dict[str, KnownTeam]
    customers: dict[uuid.UUID, Customer]


@dataclass(frozen=True)
class Addressees:
    """Whom a batch of events may have intake tell something: the tickets (locked when the
    reaction changes them), their customers, and the texts in force."""

    tickets: dict[uuid.UUID, Ticket]
    customers: dict[uuid.UUID, Customer]
    book: TemplateBook

    def ticket(self, event: Envelope) -> Ticket | None:
        return self.tickets.get(event.ticket_id) if event.ticket_id else None

    def customer(self, ticket: Ticket) -> Customer | None:
        return self.customers.get(ticket.customer_id)


async def addressees(
    uow: UnitOfWork,
    events: Sequence[Envelope],
    settings: IntakeSettings,
    *,
    for_update: bool = True,
    told: Callable[[Ticket], bool] = lambda _ticket: True,
) -> Addressees:
    """The batch's tickets and the customers of those ``told`` may be told something."""
    read = repository.tickets_for_update if for_update else repository.tickets_by_ids
    tickets = await read(uow.session, (e.ticket_id for e in events if e.ticket_id is not None))
    customers = await repository.customers_by_ids(
        uow.session, (t.customer_id for t in tickets.values() if told(t))
    )
    return Addressees(
        tickets, customers, await template_service.template_book(uow.session, settings)
    )


async def advance_timeline(
    uow: UnitOfWork,
    events: Sequence[Envelope],
    kind: str,
    params: Callable[[Any], dict[str, str]],
    after: Hook | None = None,
    *,
    with_customers: bool = False,
) -> Advanced:
    """Add a timeline entry of ``kind`` per event and move the status forward; ``after``
    then sees every (event, ticket) pair of the batch. A ``team`` parameter is a team
    key, shown to the customer by the team's name. The batch's entries are one INSERT;
    ``with_customers`` reads the tickets' customers in the same query."""
    ids = (e.ticket_id for e in events if e.ticket_id is not None)
    customers: dict[uuid.UUID, Customer] = {}
    if with_customers:
        tickets, customers = await repository.tickets_and_customers_for_update(uow.session, ids)
    else:
        tickets = await repository.tickets_for_update(uow.session, ids)
    wording = [params(event) for event in events]
    keys = {w["team"] for w in wording if "team" in w}
    # Most kinds name no team: no query for them.
    teams = await repository.teams_by_key(uow.session, keys) if keys else {}
    seen: list[tuple[Envelope, Ticket]] = []
    entries: list[dict[str, Any]] = []
    for event, words in zip(events, wording, strict=True):
        ticket = tickets.get(event.ticket_id) if event.ticket_id else None
        if ticket is None:
            continue  # not ours (another deployment) or already purged
        language: domain.Language = "en" if ticket.language == "en" else "zh"
        if "team" in words:
            words = {**words, "team": team_label(teams, words["team"], language)}
        text = domain.timeline_text(kind, language, **words)
        entries.append(_timeline_row(ticket, kind, text, True, event.occurred_at))
        # Events from different topics arrive in any order: status only moves forward.
        if domain.advances(ticket.status, kind):
            ticket.status = kind
            ticket.updated_at = event.occurred_at
        seen.append((event, ticket))
    await repository.insert_timeline_entries(uow.session, entries)
    if after is not None and seen:
        await after(seen, uow)
    return Advanced(seen, teams, customers)


def _timeline_row(
    ticket: Ticket, kind: str, text: str, customer_visible: bool, at: datetime
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "ticket_id": ticket.id,
        "kind": kind,
        "text": text,
        "customer_visible": customer_visible,
        "at": at,
    }


def _triaged(event: TicketTriaged) -> dict[str, str]:
    return {"category": event.data.category, "priority": event.data.priority}


async def _keep_deadline(pairs: Sequence[tuple[Envelope, Ticket]], _uow: UnitOfWork) -> None:
    for event, ticket in pairs:
        assert isinstance(event, TicketTriaged)
        ticket.respond_by = event.data.deadlines.respond_by
        ticket.team = ticket.team or event.data.team


async def tickets_triaged(uow: UnitOfWork, events: Sequence[TicketTriaged]) -> None:
    """Triaged: the timeline says so, and the ticket keeps its deadline and team."""
    await advance_timeline(uow, events, "triaged", _triaged, _keep_deadline)


async def tickets_retriaged(
    uow: UnitOfWork, events: Sequence[TicketRetriaged], settings: IntakeSettings
) -> None:
    """A supervisor's re-triage moves the deadline the customer is told about and the
    team (no timeline entry: the customer sees the new team when it is assigned). A
    customer already told a time hears of a later one (处理时限调整)."""
    to = await addressees(uow, events, settings, told=lambda t: t.status in ("queued", "assigned"))
    tz = ZoneInfo(settings.display_timezone)
    sent = notices.NoticeRows()
    for event in events:
        ticket = to.ticket(event)
        if ticket is None:
            continue
        before, after = ticket.respond_by, event.data.deadlines.respond_by
        ticket.respond_by = after
        ticket.team = event.data.team
        customer = to.customer(ticket)
        later = before is not None and after is not None and after > before
        if customer is not None and later and after is not None and after > event.occurred_at:
            await _tell_new_time(uow, settings, to, ticket, customer, after, event, tz, sent)
    await sent.write(uow.session)


async def _tell_new_time(
    uow: UnitOfWork,
    settings: IntakeSettings,
    to: Addressees,
    ticket: Ticket,
    customer: Customer,
    when: datetime,
    event: Envelope,
    tz: ZoneInfo,
    sent: notices.NoticeRows,
) -> None:
    """The extension notice (处理时限调整通知): the customer's new time, in their language."""
    text = when_text(when, event.occurred_at, tz, domain.language_of(ticket.language))
    await notices.notify_customer(
        uow,
        settings,
        to.book,
        ticket,
        customer,
        "extension",
        {"when": text},
        cause=event,
        rows=sent,
    )


async def deadlines_extended(
    uow: UnitOfWork, events: Sequence[TicketDeadlineExtended], settings: IntakeSettings
) -> None:
    """A supervisor granted the agent more time (dispatch's ``ticket.deadline_extended``):
    the customer hears of the new time with the extension notice (处理时限调整通知)."""
    to = await addressees(uow, events, settings)
    tz = ZoneInfo(settings.display_timezone)
    sent = notices.NoticeRows()
    for event in events:
        ticket = to.ticket(event)
        if ticket is None or ticket.status in domain.DONE_STATUSES:
            continue
        customer = to.customer(ticket)
        if customer is None:
            continue
        await _tell_new_time(
            uow, settings, to, ticket, customer, event.data.resolve_by, event, tz, sent
        )
    await sent.write(uow.session)


async def _keep_closed_at(pairs: Sequence[tuple[Envelope, Ticket]], _uow: UnitOfWork) -> None:
    for event, ticket in pairs:
        if ticket.status in domain.CLOSED_STATUSES:
            ticket.closed_at = max(ticket.closed_at or event.occurred_at, event.occurred_at)


def _assigned(event: TicketAssigned) -> dict[str, str]:
    return {"team": event.data.team}


def keep_assignee(
    ticket: Ticket, team: str, agent_id: uuid.UUID | None, agent_name: str | None, at: datetime
) -> None:
    """Who works the ticket now (the team's agents and this agent may read it). Dispatch
    and follow-up events arrive in any order and may come twice: only a newer change
    applies, and applying one again changes nothing."""
    if ticket.assigned_at is not None and at < ticket.assigned_at:
        return
    ticket.team = team
    ticket.assignee_id = agent_id
    ticket.assignee_name = agent_name
    ticket.assigned_at = at


async def _keep_queued(pairs: Sequence[tuple[Envelope, Ticket]], _uow: UnitOfWork) -> None:
    """Queued in a team (a transfer with no free agent): nobody holds it meanwhile."""
    for event, ticket in pairs:
        assert isinstance(event, TicketQueued)
        keep_assignee(ticket, event.data.team, None, None, event.occurred_at)


async def tickets_queued(uow: UnitOfWork, events: Sequence[TicketQueued]) -> None:
    await advance_timeline(uow, events, "queued", _nothing, _keep_queued)


async def tickets_assigned(
    uow: UnitOfWork, events: Sequence[TicketAssigned], settings: IntakeSettings
) -> None:
    """Assigned: the timeline names the team, intake keeps who holds it, and the customer
    hears of it."""
    done = await advance_timeline(
        uow, events, "assigned", _assigned, _keep_assignees, with_customers=True
    )
    if done.pairs:
        await _notify_assigned(done, uow, settings)


async def _keep_assignees(pairs: Sequence[tuple[Envelope, Ticket]], _uow: UnitOfWork) -> None:
    for event, ticket in pairs:
        assert isinstance(event, TicketAssigned)
        data = event.data
        keep_assignee(ticket, data.team, data.agent_id, data.agent_name, event.occurred_at)


async def _notify_assigned(done: Advanced, uow: UnitOfWork, settings: IntakeSettings) -> None:
    """需求受理 second notice (seed 002): the team and when the customer hears back. The
    teams and customers are those the timeline read; the notices are one INSERT."""
    tz = ZoneInfo(settings.display_timezone)
    pairs, teams, customers = done.pairs, done.teams, done.customers
    book = await template_service.template_book(uow.session, settings)
    sent = notices.NoticeRows()
    for event, ticket in pairs:
        assert isinstance(event, TicketAssigned)
        customer = customers.get(ticket.customer_id)
        if customer is None:
            continue
        language = domain.language_of(ticket.language)
        params = {"team": team_label(teams, event.data.team, language)}
        due, now = ticket.respond_by, event.occurred_at
        # A deadline already past (a transfer after it) promises no time: "尽快反馈".
        if due is None or due <= now:
            template = "assignment_notice_no_deadline"
        else:
            template = "assignment_notice"
            params["when"] = when_text(due, now, tz, language)
        await notices.notify_customer(
            uow, settings, book, ticket, customer, template, params, cause=event, rows=sent
        )
    await sent.write(uow.session)


async def progress_noted(
    uow: UnitOfWork, events: Sequence[TicketProgressNoted], settings: IntakeSettings
) -> None:
    """Agents' notes: internal ones stay internal; public ones reach the customer."""
    to = await addressees(uow, events, settings)
    book = to.book
    entries: list[dict[str, Any]] = []
    sent = notices.NoticeRows()
    for event in events:
        ticket = to.ticket(event)
        if ticket is None:
            continue
        language = domain.language_of(ticket.language)
        public = event.data.customer_visible
        template, params = _progress_notice(event, language, settings)
        text = (
            book.render(template, language, "any", {"ticket_no": ticket.ticket_no, **params})
            if template == "visit"
            else domain.timeline_text("progress", language, note=event.data.note)
        )
        entries.append(_timeline_row(ticket, "progress", text, public, event.occurred_at))
        ticket.updated_at = max(ticket.updated_at, event.occurred_at)
        customer = to.customer(ticket)
        if public and customer is not None:
            await notices.notify_customer(
                uow, settings, book, ticket, customer, template, params, cause=event, rows=sent
            )
    await repository.insert_timeline_entries(uow.session, entries)
    await sent.write(uow.session)


def _progress_notice(
    event: TicketProgressNoted, language: domain.Language, settings: IntakeSettings
) -> tuple[str, dict[str, Any]]:
    """A visit booking is the 上门服务 notice with its window in local time (the agent's
    note follows it, never replaces it); any other public note is a progress update."""
    data = event.data
    if data.visit_from is None or data.visit_until is None:
        return "progress_update", {"note": data.note}
    tz = ZoneInfo(settings.display_timezone)
    return "visit", {
        "within_hours": hours_until(data.visit_until, event.occurred_at),
        "from": date_time_text(data.visit_from, tz, language),
        "until": date_time_text(data.visit_until, tz, language),
        "note": data.note,
    }


def _by_person(event: TicketAccepted | TicketResolved) -> dict[str, str]:
    """The name of the person who acted, for the customer's timeline (not a key's name)."""
    data = event.data
    if data.actor_name and (data.actor or "").startswith("person:"):
        return {"agent": data.actor_name}
    return {}


def _resolved(event: TicketResolved) -> dict[str, str]:
    return {"reply": event.data.public_reply, **_by_person(event)}


def _nothing(_event: Envelope) -> dict[str, str]:
    return {}


async def tickets_accepted(uow: UnitOfWork, events: Sequence[TicketAccepted]) -> None:
    await advance_timeline(uow, events, "accepted", _by_person)


async def _keep_resolver(pairs: Sequence[tuple[Envelope, Ticket]], uow: UnitOfWork) -> None:
    """Who resolved it: the author of the result notice (which follow-up asks for, and
    which may have been sent before this event arrived)."""
    resolvers: list[dict[str, Any]] = []
    for event, ticket in pairs:
        assert isinstance(event, TicketResolved)
        if not event.data.actor:
            continue
        ticket.resolved_by = event.data.actor
        ticket.resolved_by_name = event.data.actor_name
        resolvers.append(
            {
                "ticket": ticket.id,
                "resolver": event.data.actor,
                "resolver_name": event.data.actor_name,
            }
        )
    await repository.attribute_result_notices(uow.session, resolvers)


async def tickets_resolved(uow: UnitOfWork, events: Sequence[TicketResolved]) -> None:
    await advance_timeline(uow, events, "resolved", _resolved, _keep_resolver)


async def tickets_reopened(uow: UnitOfWork, events: Sequence[TicketReopened]) -> None:
    await advance_timeline(uow, events, "reopened", _nothing)


async def tickets_closed(uow: UnitOfWork, events: Sequence[TicketClosed]) -> None:
    """Closed: the timeline says so, and the ticket keeps when it was closed."""
    await advance_timeline(uow, events, "closed", _nothing, _keep_closed_at)


async def notifications_requested(
    uow: UnitOfWork, events: Sequence[NotificationRequested], settings: IntakeSettings
) -> None:
    """Notices other services ask for: render, resolve the contact, send out."""
    to = await addressees(uow, events, settings, for_update=False)
    tz = ZoneInfo(settings.display_timezone)
    sent_rows = notices.NoticeRows()
    for event in events:
        ticket = to.ticket(event)
        customer = to.customer(ticket) if ticket else None
        if ticket is None or customer is None:
            log.warning("notification_for_unknown_ticket", ticket_id=str(event.ticket_id))
            continue
        language = domain.language_of(ticket.language)
        data = event.data
        params = _requested_params(data.params, event, language, tz, settings)
        if data.template not in TEMPLATES:
            log.warning("notification_template_unknown", template=data.template)
            continue
        sent = await notices.notify_customer(
            uow,
            settings,
            to.book,
            ticket,
            customer,
            data.template,
            params,
            preferred=data.channel,
            cause=event,
            rows=sent_rows,
        )
        if not sent:
            log.warning("notification_unreachable", ticket_id=str(ticket.id))
    await sent_rows.write(uow.session)


def _requested_params(
    params: dict[str, Any],
    event: Envelope,
    language: domain.Language,
    tz: ZoneInfo,
    settings: IntakeSettings,
) -> dict[str, Any]:
    """What another service sent, readied for the text: times in the display zone
    (``due_at`` → ``when``), the agent's reply ending like a sentence, and how long a
    closed ticket can be reopened by writing (intake's window)."""
    values = {"reopen_days": f"{settings.reopen_window_days:g}", **params}
    link = _survey_link(values, settings)
    if link is not None:
        values.update(survey_url=link, url=link)
    if isinstance(values.get("due_at"), str):
        try:
            due = datetime.fromisoformat(values["due_at"])
        except ValueError:
            due = None
        if due is not None:
            values["when"] = when_text(due, event.occurred_at, tz, language)
    if isinstance(values.get("reply"), str):
        values["reply"] = sentence(values["reply"])
    return values


def _survey_link(values: dict[str, Any], settings: IntakeSettings) -> str | None:
    """The signed survey link of a survey follow-up announced by id and expiry."""
    try:
        survey_id = uuid.UUID(str(values["survey_id"]))
        expires_at = datetime.fromisoformat(str(values["expires_at"]))
    except (KeyError, ValueError):
        return None
    secret = settings.survey_secret.get_secret_value().encode()
    return survey_link(settings.survey_base_url, secret, survey_id, expires_at)


async def keep_team_announcements(uow: UnitOfWork, events: Sequence[TeamEvent]) -> None:
    """Dispatch's teams, so the customer's notices name a new team by its name at once."""
    await repository.keep_team_announcements(uow.session, events)
