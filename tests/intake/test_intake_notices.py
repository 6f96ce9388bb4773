"""Acknowledgement and the assignment notice (需求受理通知, seed 002) go to the customer's
preferred contact; the customer-visible timeline never shows internal entries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from intake_support import (
    GATEWAY,
    SUPERVISOR,
    IntakeStore,
    fault_triaged,
    received_ticket,
    running_intake,
)
from testkit import poll

from services.intake import repository
from services.intake.handlers import build_handlers
from services.intake.models import NotificationDelivery, Ticket
from services.intake.settings import IntakeSettings
from services.intake.templates import when_text
from shared.events import (
    NotificationOutgoing,
    TeamCreated,
    TeamData,
    TicketAssigned,
    TicketAssignedData,
    TicketRetriaged,
    TicketTriaged,
)

SETTINGS = IntakeSettings()
HANDLERS = build_handlers(SETTINGS)
T0 = datetime(2026, 11, 22, 1, 15, tzinfo=UTC)  # 09:15 in Shanghai


async def receive(store: IntakeStore, **overrides: Any) -> Ticket:
    return await received_ticket(store, SETTINGS, **overrides)


def triaged(ticket: Ticket, respond_by: datetime) -> TicketTriaged:
    return fault_triaged(ticket, respond_by, T0, priority="P1")


def assigned(ticket: Ticket, team: str = "tech_support") -> TicketAssigned:
    return TicketAssigned(
        ticket_id=ticket.id,
        occurred_at=T0 + timedelta(seconds=5),
        data=TicketAssignedData(
            assignment_id=uuid.uuid4(),
            ticket_no=ticket.ticket_no,
            team=team,
            agent_id=uuid.uuid4(),
            agent_name="a",
            priority="P1",
            category="fault",
            assigned_at=T0,
        ),
    )


async def notices(store: IntakeStore, template: str) -> list[NotificationOutgoing]:
    return [
        e
        for e in await store.events("notification.outgoing")
        if isinstance(e, NotificationOutgoing) and e.data.template == template
    ]


async def test_acknowledgement_goes_to_the_preferred_contact(intake_db: IntakeStore) -> None:
    by_sms = await receive(intake_db)
    by_mail = await receive(
        intake_db,
        preferred_contact="email",
        language="en",
        subject="Cannot log in",
        description="Password reset fails",
    )
    chat = await receive(
        intake_db,
        channel="social",
        sub_channel="wechat",
        customer={"member_id": "M1"},
        subject="咨询",
        description="会员积分怎么用",
    )
    acks = {n.ticket_id: n for n in await notices(intake_db, "acknowledgement")}
    assert (acks[by_sms.id].data.channel, acks[by_sms.id].data.to) == ("sms", "+8613812345678")
    # An SMS carries the registered signature; the ticket keeps the text without it.
    assert acks[by_sms.id].data.body == f"【sopdesk】{by_sms.acknowledgement}"
    assert by_sms.acknowledgement == (
        f"您好，您的需求已受理，工单号 {by_sms.ticket_no}。我们会尽快安排专人处理，请留意后续通知。"
    )
    mail = acks[by_mail.id].data
    assert (mail.channel, mail.to, mail.language) == ("email", "li@example.com", "en")
    assert mail.subject == f"[{by_mail.ticket_no}] Cannot log in"
    assert mail.body == (
        f"Hello, we have received your request, ticket {by_mail.ticket_no}. "
        "A specialist will be assigned shortly; watch for our next update."
    )
    assert (acks[chat.id].data.channel, acks[chat.id].data.to) == ("social:wechat", "M1")
    # Raw contacts only ever travel on the notifications topic.
    for row in await intake_db.outbox():
        if row.topic != "test.notifications":
            assert "13812345678" not in row.payload and "li@example.com" not in row.payload


async def test_assignment_notice_names_team_and_response_time(intake_db: IntakeStore) -> None:
    ticket = await receive(intake_db)
    respond_by = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    async with intake_db.uow() as uow:
        await HANDLERS["ticket.triaged"]([triaged(ticket, respond_by)], uow)
        await uow.commit()
    async with intake_db.uow() as uow:
        await HANDLERS["ticket.assigned"]([assigned(ticket)], uow)
        await uow.commit()
    (notice,) = await notices(intake_db, "assignment_notice")
    assert notice.ticket_id == ticket.id
    assert notice.data.body == (
        f"【sopdesk】您的需求（工单号 {ticket.ticket_no}）已提交至技术团队，预计今日17:00前反馈。"
    )
    assert notice.data.to == "+8613812345678"
    async with intake_db.sessions() as session:
        stored = await session.get(Ticket, ticket.id)
    assert stored is not None
    assert (stored.status, stored.team, stored.respond_by) == (
        "assigned",
        "tech_support",
        respond_by,
    )
    # The customer's timeline speaks the customer's language, not the routing codes.
    async with intake_db.sessions() as session:
        entries = await repository.timeline(session, ticket.id, customer_visible_only=True)
    texts = [e.text for e in entries]
    assert "已分类：故障报修，优先级 P1" in texts and "已分派给技术团队" in texts


async def test_a_team_announced_at_run_time_is_named_in_the_notice(
    intake_db: IntakeStore,
) -> None:
    """Teams are dispatch's data: intake names a new team from its announcement, in the
    customer's language, and a team it has not heard of yet by its key."""
    ticket, other = (
        await receive(intake_db),
        await receive(intake_db, customer={"email": "x@example.com"}, subject="b", description="c"),
    )
    english = await receive(
        intake_db, customer={"email": "en@example.com"}, subject="d", description="e"
    )
    async with intake_db.sessions() as session:
        row = await session.get(Ticket, english.id)
        assert row is not None
        row.language = "en"
        await session.commit()
    vip = TeamData(key="vip_desk", name="VIP 专席", name_en="VIP desk", updated_at=T0)
    async with intake_db.uow() as uow:
        await HANDLERS["team.created"]([TeamCreated(producer="dispatch", data=vip)], uow)
        await uow.commit()
    async with intake_db.uow() as uow:
        await HANDLERS["ticket.assigned"](
            [
                assigned(ticket, "vip_desk"),
                assigned(other, "night_desk"),
                assigned(english, "vip_desk"),
            ],
            uow,
        )
        await uow.commit()
    # No deadline known (no triage seen): "我们会尽快反馈".
    no_deadline = await notices(intake_db, "assignment_notice_no_deadline")
    bodies = {n.ticket_id: n.data.body for n in no_deadline}
    assert "已提交至VIP 专席团队" in bodies[ticket.id]
    assert "已提交至night_desk团队" in bodies[other.id]
    assert "passed to our VIP desk team" in bodies[english.id]
    async with intake_db.sessions() as session:
        entries = await repository.timeline(session, ticket.id, customer_visible_only=True)
    assert "已分派给VIP 专席团队" in [e.text for e in entries]


async def test_assignment_before_triage_still_notifies(intake_db: IntakeStore) -> None:
    first, second = (
        await receive(intake_db),
        await receive(intake_db, customer={"email": "x@example.com"}, subject="b", description="c"),
    )
    async with intake_db.uow() as uow:  # one batch, set-based
        await HANDLERS["ticket.assigned"]([assigned(first), assigned(second, "logistics")], uow)
        await uow.commit()
    no_deadline = await notices(intake_db, "assignment_notice_no_deadline")
    bodies = {n.ticket_id: n.data.body for n in no_deadline}
    assert bodies[first.id] == (
        f"【sopdesk】您的需求（工单号 {first.ticket_no}）已提交至技术团队，我们会尽快反馈。"
    )
    assert bodies[second.id] == (
        f"您的需求（工单号 {second.ticket_no}）已提交至物流团队，我们会尽快反馈。"
    )


async def test_a_batch_of_assignments_writes_each_notice_and_line_once(
    intake_db: IntakeStore,
) -> None:
    # The reaction writes a batch's timeline lines, notices and deliveries with one
    # statement each: every ticket still gets exactly its own, and a transfer within the
    # batch (the same ticket twice) its two, in order.
    settings = IntakeSettings(
        notification_webhooks={"sms": {"url": "http://127.0.0.1:9/h", "secret": "s" * 32}}
    )
    first = await receive(intake_db)
    second = await receive(intake_db, customer={"phone": "13900001111"}, subject="b")
    stranger = TicketAssigned.model_validate(
        {**assigned(first).model_dump(), "ticket_id": uuid.uuid4()}
    )
    transfer = assigned(second, "logistics")
    transfer.occurred_at = T0 + timedelta(seconds=9)
    async with intake_db.uow() as uow:
        batch = [assigned(first), assigned(second), stranger, transfer]
        await build_handlers(settings)["ticket.assigned"](batch, uow)
        await uow.commit()
    async with intake_db.sessions() as session:
        sent = {t.id: await repository.outgoing_messages(session, t.id) for t in (first, second)}
        lines = {
            t.id: await repository.timeline(session, t.id, customer_visible_only=False)
            for t in (first, second)
        }
        queued = (await session.scalars(sa.select(NotificationDelivery))).all()
        stored = await session.get(Ticket, second.id)
    assert [m.template for m in sent[first.id]] == [
        "acknowledgement",
        "assignment_notice_no_deadline",
    ]
    assert [m.body.split("已提交至")[1] for m in sent[second.id][1:]] == [
        "技术团队，我们会尽快反馈。",
        "物流团队，我们会尽快反馈。",
    ]
    assert [e.text for e in lines[first.id] if e.kind == "assigned"] == ["已分派给技术团队"]
    assert [e.text for e in lines[second.id] if e.kind == "assigned"] == [
        "已分派给技术团队",
        "已分派给物流团队",
    ]
    # One delivery per assignment notice sent, each the notice's own id.
    notice_ids = {m.id for m in [*sent[first.id][1:], *sent[second.id][1:]]}
    assert {d.id for d in queued if d.template.startswith("assignment")} == notice_ids
    assert stored is not None and (stored.status, stored.team) == ("assigned", "logistics")


def test_when_text() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    assert when_text(T0 + timedelta(hours=24), T0, tz, "zh") == "明日09:15"
    assert when_text(T0 + timedelta(days=3), T0, tz, "zh") == "11月25日09:15"
    assert when_text(T0 + timedelta(hours=1), T0, tz, "en") == "10:15 today"
    # 23:30 UTC is 07:30 the next morning in Shanghai: tomorrow, not "today".
    late = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    assert when_text(late + timedelta(hours=8), late, tz, "zh") == "明日07:30"


async def test_customer_view_hides_internal_entries(
    tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with running_intake(url, broker, topic_prefix) as (client, store):
        created = await client.post(
            "/v1/tickets",
            json={
                "channel": "app",
                "customer": {"phone": "13812345678"},
                "subject": "改绑手机",
                "description": "需要核验身份后修改绑定手机。",
            },
            headers=GATEWAY,
        )
        ticket_id = created.json()["ticket_id"]
        sent = await client.post(
            "/v1/verifications",
            json={"phone": "13812345678", "ticket_id": ticket_id},
            headers=GATEWAY,
        )
        assert sent.status_code == 201, sent.text
        message = await client.post(
            f"/v1/tickets/{ticket_id}/messages", json={"body": "我到了门店"}, headers=GATEWAY
        )
        assert message.status_code == 202
        view = await client.get(f"/v1/tickets/{ticket_id}", headers=SUPERVISOR)
        kinds = [item["kind"] for item in view.json()["timeline"]]
        assert kinds == ["received", "customer_message"]
        assert "验证码" not in view.text

        async def published() -> bool:
            rows = await store.outbox()
            return bool(rows) and all(r.published_at is not None for r in rows)

        await poll(published)


async def test_agent_notes_internal_stay_internal_public_reach_the_customer(
    intake_db: IntakeStore,
) -> None:
    from services.intake import repository
    from shared.events import (
        AgentActionData,
        ProgressNotedData,
        TicketAccepted,
        TicketProgressNoted,
    )

    ticket = await receive(intake_db)

    def note(text: str, public: bool) -> TicketProgressNoted:
        return TicketProgressNoted(
            ticket_id=ticket.id,
            occurred_at=ticket.created_at + timedelta(minutes=10),
            data=ProgressNotedData(assignment_id=uuid.uuid4(), note=text, customer_visible=public),
        )

    async with intake_db.uow() as uow:
        accepted = TicketAccepted(
            ticket_id=ticket.id,
            occurred_at=ticket.created_at + timedelta(minutes=5),
            data=AgentActionData(assignment_id=uuid.uuid4()),
        )
        await HANDLERS["ticket.accepted"]([accepted], uow)
        await HANDLERS["ticket.progress_noted"](
            [note("客户情绪激动,注意安抚", False), note("已安排工程师明天上门", True)], uow
        )
        await uow.commit()
    async with intake_db.sessions() as session:
        visible = await repository.timeline(session, ticket.id, customer_visible_only=True)
        everything = await repository.timeline(session, ticket.id, customer_visible_only=False)
    assert [e.kind for e in visible] == ["received", "accepted", "progress"]
    assert "已安排工程师明天上门" in visible[-1].text
    assert all("安抚" not in e.text for e in visible)
    assert any("安抚" in e.text for e in everything)
    (update,) = await notices(intake_db, "progress_update")
    assert update.data.body == f"【sopdesk】工单 {ticket.ticket_no} 最新进展：已安排工程师明天上门"


async def test_retriage_moves_the_deadline_the_customer_is_told(intake_db: IntakeStore) -> None:
    ticket = await receive(intake_db)
    first = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    async with intake_db.uow() as uow:
        await HANDLERS["ticket.triaged"]([triaged(ticket, first)], uow)
        await uow.commit()
    moved = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    retriaged = triaged(ticket, moved)
    retriage = TicketRetriaged(
        ticket_id=ticket.id,
        occurred_at=T0 + timedelta(minutes=1),
        data=retriaged.data.model_copy(update={"team": "logistics", "priority": "P0"}),
    )
    async with intake_db.uow() as uow:
        await HANDLERS["ticket.retriaged"]([retriage], uow)
        await uow.commit()
    async with intake_db.uow() as uow:
        await HANDLERS["ticket.assigned"]([assigned(ticket, "logistics")], uow)
        await uow.commit()
    async with intake_db.sessions() as session:
        stored = await session.get(Ticket, ticket.id)
    assert stored is not None and (stored.team, stored.respond_by) == ("logistics", moved)
    (notice,) = await notices(intake_db, "assignment_notice")
    assert "物流团队" in notice.data.body and "11:00" in notice.data.body
