"""The customer's reply to the result: "已解决" confirms and closes, "未解决" reopens (and
the survey of the undone resolution no longer closes the ticket); the automatic close is
announced; the survey page names the brand, the ticket and what each score means."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Literal

from followup_support import T0, FollowupStore, app_settings, open_store, triaged
from testkit import serving

from services.followup import confirmation, sla_clocks
from services.followup.app import create_app
from services.followup.settings import FollowupSettings
from shared.events import (
    NotificationRequested,
    ResolvedData,
    TicketMessageAdded,
    TicketMessageAddedData,
    TicketResolved,
    utcnow,
)

SETTINGS = FollowupSettings(survey_secret="test-secret")


async def resolved_ticket(store: FollowupStore, at: Any = T0) -> tuple[uuid.UUID, str]:
    """A triaged ticket resolved at ``at``; its survey token."""
    event = triaged(at=at - timedelta(hours=1))
    assert event.ticket_id is not None
    resolved = TicketResolved(
        ticket_id=event.ticket_id,
        occurred_at=at,
        data=ResolvedData(
            assignment_id=uuid.uuid4(), at=at, resolution_code="fixed", public_reply="已处理。"
        ),
    )
    async with store.uow() as uow:
        await sla_clocks.open_clocks(uow, [event], SETTINGS)
        await uow.commit()
    async with store.uow() as uow:
        await sla_clocks.stop_clocks(uow, "resolution", [(event.ticket_id, at)])
        (token,) = await confirmation.request_confirmation(uow, [resolved], SETTINGS)
        await uow.commit()
    return event.ticket_id, token


async def reply(
    store: FollowupStore,
    ticket_id: uuid.UUID,
    meaning: Literal["confirmed", "not_solved"] | None,
    *,
    reopens: bool = False,
) -> list[Any]:
    message = TicketMessageAdded(
        ticket_id=ticket_id,
        occurred_at=T0 + timedelta(hours=2),
        data=TicketMessageAddedData(
            message_id=uuid.uuid4(), body="…", reply=meaning, reopens=reopens
        ),
    )
    async with store.uow() as uow:
        await sla_clocks.reopen_on_customer_messages(uow, [message], SETTINGS)
        emitted = list(uow.emitted)
        await uow.commit()
    return emitted


async def auto_close(store: FollowupStore) -> list[Any]:
    async with store.uow() as uow:
        await confirmation.close_unanswered_surveys(uow, T0 + timedelta(days=3))
        emitted = list(uow.emitted)
        await uow.commit()
    return emitted


async def test_a_confirming_reply_confirms_and_closes(store: FollowupStore) -> None:
    ticket_id, token = await resolved_ticket(store)
    emitted = await reply(store, ticket_id, "confirmed")
    assert [e.type for e in emitted] == [
        "ticket.confirmed",
        "ticket.closed",
        "notification.requested",
    ]
    assert emitted[1].data.reason == "confirmed"
    assert emitted[2].data.template == "confirmation"
    # Confirmed once: a second "谢谢" does nothing, nor does the 3-day timer.
    assert await reply(store, ticket_id, "confirmed") == []
    assert await auto_close(store) == []
    # The link still takes a score, without closing the ticket again.
    async with store.uow() as uow:
        await confirmation.answer_survey(
            uow, SETTINGS, token, resolved=True, score=5, comment=None, now=T0 + timedelta(hours=3)
        )
        assert [e.type for e in uow.emitted] == ["survey.answered"]
        await uow.commit()


async def test_a_not_solved_reply_reopens_escalated_and_the_old_survey_stops(
    store: FollowupStore,
) -> None:
    ticket_id, _ = await resolved_ticket(store)
    emitted = await reply(store, ticket_id, "not_solved", reopens=True)
    (reopened,) = [e for e in emitted if e.type == "ticket.reopened"]
    assert reopened.data.escalate is True
    assert reopened.data.reason == "the customer replied it is not solved"
    assert await auto_close(store) == []


async def test_the_automatic_close_is_announced(store: FollowupStore) -> None:
    ticket_id, _ = await resolved_ticket(store)
    emitted = await auto_close(store)
    assert [e.type for e in emitted] == ["ticket.closed", "notification.requested"]
    notice = emitted[1]
    assert isinstance(notice, NotificationRequested) and notice.ticket_id == ticket_id
    assert (notice.data.template, notice.data.params) == ("auto_close", {"days": 3})


async def test_survey_page_names_brand_ticket_and_scale(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    settings = app_settings(
        database_url, broker, topic_prefix, survey_secret="test-secret", survey_brand="好家电"
    )
    store = await open_store(database_url)
    try:
        _, token = await resolved_ticket(store, at=utcnow())
        app = create_app(settings)
        async with serving(app) as client:
            page = await client.get(f"/v1/surveys/{token}", headers={"Accept": "text/html"})
            view = (await client.get(f"/v1/surveys/{token}")).json()
        assert "<h1>好家电 服务满意度调查</h1>" in page.text
        assert "工单号：T20261123-000001" in page.text
        for n, label in enumerate(["非常不满意", "不满意", "一般", "满意", "非常满意"], 1):
            assert f'value="{n}" required>{n} <span class="scale">{label}</span>' in page.text
        assert (view["ticket_no"], view["brand"]) == ("T20261123-000001", "好家电")
        assert view["questions"][1]["labels"]["1"] == "非常不满意"
    finally:
        await store.engine.dispose()
