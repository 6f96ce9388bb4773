"""A supervisor granted the agent more time (dispatch's ``ticket.deadline_extended``): the
customer is told the new time with the extension notice (处理时限调整通知)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from intake_support import IntakeStore

from services.intake import reception
from services.intake.handlers import build_handlers
from services.intake.schemas import TicketCreate
from services.intake.settings import IntakeSettings
from shared.events import DeadlineExtendedData, NotificationOutgoing, TicketDeadlineExtended

SETTINGS = IntakeSettings()
HANDLERS = build_handlers(SETTINGS)


async def test_the_customer_hears_the_new_time(intake_db: IntakeStore) -> None:
    body = {
        "channel": "web_chat",
        "customer": {"phone": "13812345678"},
        "subject": "无法开机",
        "description": "设备昨天起无法开机。",
    }
    async with intake_db.uow() as uow:
        received = await reception.receive_ticket(
            uow, TicketCreate.model_validate(body), None, SETTINGS
        )
        await uow.commit()
    ticket = received.ticket
    before = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    extended = TicketDeadlineExtended(
        ticket_id=ticket.id,
        occurred_at=datetime(2026, 11, 23, 5, 0, tzinfo=UTC),
        data=DeadlineExtendedData(
            assignment_id=uuid.uuid4(),
            actor="person:x",
            actor_name="张主管",
            extension_request_id=uuid.uuid4(),
            extra_minutes=180,
            previous_resolve_by=before,
            resolve_by=before + timedelta(minutes=180),  # 20:00 in Shanghai
        ),
    )
    async with intake_db.uow() as uow:
        await HANDLERS["ticket.deadline_extended"]([extended], uow)
        await uow.commit()
    notices = [
        e
        for e in await intake_db.events("notification.outgoing")
        if isinstance(e, NotificationOutgoing) and e.data.template == "extension"
    ]
    assert len(notices) == 1
    assert ticket.ticket_no in notices[0].data.body and "20:00" in notices[0].data.body
