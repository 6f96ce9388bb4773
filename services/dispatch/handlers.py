"""Dispatch reacts to triage decisions, holiday schedules, customer replies, reopened
tickets and SLA alarms."""

from __future__ import annotations

from collections.abc import Sequence

from services.dispatch import customer_replies, reactions
from services.dispatch.settings import DispatchSettings
from services.dispatch.shifts import calendar_copy
from shared.consumer import Handler, each
from shared.events import (
    HolidayScheduleLoaded,
    SlaBreached,
    SlaWarning,
    SurveyAnswered,
    TicketMessageAdded,
    TicketReopened,
    TicketRetriaged,
    TicketTriaged,
)
from shared.outbox import UnitOfWork


def build_handlers(settings: DispatchSettings) -> dict[str, Handler]:
    level = settings.min_skill_level_p0_vip

    async def on_tickets_triaged(events: Sequence[TicketTriaged], uow: UnitOfWork) -> None:
        await reactions.dispatch_tickets(uow, events, min_level=level)

    async def on_ticket_retriaged(event: TicketRetriaged, uow: UnitOfWork) -> None:
        await reactions.retriage(uow, event, min_level=level)

    async def on_ticket_reopened(event: TicketReopened, uow: UnitOfWork) -> None:
        await reactions.reopen(uow, event, min_level=level)

    async def on_sla_events(events: Sequence[SlaWarning | SlaBreached], uow: UnitOfWork) -> None:
        await reactions.note_sla_events(uow, events)

    async def on_messages_added(events: Sequence[TicketMessageAdded], uow: UnitOfWork) -> None:
        await customer_replies.on_customer_messages(uow, events)

    async def on_surveys_answered(events: Sequence[SurveyAnswered], uow: UnitOfWork) -> None:
        await reactions.note_unsatisfied_surveys(uow, events)

    async def on_holiday_schedules(
        events: Sequence[HolidayScheduleLoaded], uow: UnitOfWork
    ) -> None:
        await calendar_copy.keep_schedules(uow, events)

    return {
        "holiday_schedule.loaded": on_holiday_schedules,
        "ticket.message_added": on_messages_added,
        "survey.answered": on_surveys_answered,
        "ticket.triaged": on_tickets_triaged,
        "ticket.retriaged": each(on_ticket_retriaged),
        "ticket.reopened": each(on_ticket_reopened),
        "sla.warning": on_sla_events,
        "sla.breached": on_sla_events,
    }
