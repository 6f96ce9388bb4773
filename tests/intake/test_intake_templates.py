"""What the customer is told, word for word in both languages, times in the display time
zone; the texts as templates an admin edits through the API (versions, preview)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from intake_support import (
    ADMIN,
    GATEWAY,
    SUPERVISOR,
    IntakeStore,
    fault_triaged,
    published_notifications,
    received_ticket,
    running_intake,
)

from services.intake import domain, reception
from services.intake.handlers import build_handlers
from services.intake.models import Ticket
from services.intake.schemas import MessageCreate
from services.intake.settings import IntakeSettings
from services.intake.templates import TEMPLATES, placeholders
from shared.events import (
    NotificationOutgoing,
    NotificationRequested,
    NotificationRequestedData,
    ProgressNotedData,
    TicketMessageAdded,
    TicketProgressNoted,
    TicketRetriaged,
    TicketTriaged,
)
from shared.survey_links import read_token, survey_link

SETTINGS = IntakeSettings()
HANDLERS = build_handlers(SETTINGS)
# 2026-12-01 10:00 in Shanghai (display time zone) is 02:00 UTC.
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


async def receive(store: IntakeStore, language: str = "zh", **overrides: Any) -> Ticket:
    """A web chat ticket in ``language`` from a customer known by phone only."""
    fields = {"customer": {"phone": "13812345678"}, "language": language, **overrides}
    return await received_ticket(store, SETTINGS, **fields)


async def sent(store: IntakeStore, template: str) -> list[str]:
    return [
        e.data.body
        for e in await store.events("notification.outgoing")
        if isinstance(e, NotificationOutgoing) and e.data.template == template
    ]


async def handle(store: IntakeStore, kind: str, *events: Any) -> None:
    async with store.uow() as uow:
        await HANDLERS[kind](list(events), uow)
        await uow.commit()


def requested(ticket: Ticket, template: str, **params: Any) -> NotificationRequested:
    return NotificationRequested(
        ticket_id=ticket.id,
        occurred_at=NOW,
        data=NotificationRequestedData(template=template, params=params),
    )


# --------------------------------------------------------------------------- pure

HALF_WIDTH = re.compile(r"[,:;?()!]")


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_chinese_texts_use_full_width_punctuation(key: str) -> None:
    text = TEMPLATES[key].texts["zh"]
    assert not HALF_WIDTH.search(re.sub(r"\{[a-z_]+\}", "", text)), text
    # Every placeholder a text uses is one the template is given.
    for language in ("zh", "en"):
        assert placeholders(TEMPLATES[key].texts[language]) <= set(TEMPLATES[key].params)


@pytest.mark.parametrize(
    ("reply", "meaning"),
    [
        ("已解决", "confirmed"),
        ("解决了", "confirmed"),
        ("好的谢谢", "confirmed"),
        ("好的，谢谢！", "confirmed"),
        ("已经好了，非常感谢您", "confirmed"),
        ("Solved, thanks", "confirmed"),
        ("未解决", "not_solved"),
        ("还是不行", "not_solved"),
        ("解决了吗？还是不行", "not_solved"),
        ("not solved", "not_solved"),
        ("解决了吗", None),
        ("我想再问一下另一个订单的物流", None),
        ("yesterday", None),
    ],
)
def test_reply_meaning(reply: str, meaning: str | None) -> None:
    assert domain.reply_meaning(reply) == meaning


# --------------------------------------------------------------------------- notices


async def test_visit_notice_gives_the_window_in_local_time_and_keeps_the_note(
    intake_db: IntakeStore,
) -> None:
    zh, en = (
        await receive(intake_db),
        await receive(
            intake_db, "en", subject="It will not start", customer={"phone": "13900001111"}
        ),
    )  # another customer: the same problem of one customer would be one ticket

    def visit(ticket: Ticket, note: str) -> TicketProgressNoted:
        return TicketProgressNoted(
            ticket_id=ticket.id,
            occurred_at=NOW,
            data=ProgressNotedData(
                assignment_id=uuid.uuid4(),
                note=note,
                customer_visible=True,
                visit_from=NOW + timedelta(hours=23),  # 09:00 next day in Shanghai
                visit_until=NOW + timedelta(hours=48),  # 10:00 two days on
            ),
        )

    await handle(
        intake_db, "ticket.progress_noted", visit(zh, "工程师会提前电话联系您。"), visit(en, "")
    )
    assert await sent(intake_db, "visit") == [
        f"【sopdesk】您好，我们将在48小时内安排工程师上门（工单号 {zh.ticket_no}，"
        "预约时间12月2日09:00至12月3日10:00），请您保持电话畅通。工程师会提前电话联系您。",
        f"【sopdesk】Hello, an engineer will visit within 48 hours (ticket {en.ticket_no}, "
        "between Dec 2 09:00 and Dec 3 10:00); please keep your phone on.",
    ]


async def test_intake_signs_the_survey_link_follow_up_announced_by_id(
    intake_db: IntakeStore,
) -> None:
    ticket = await receive(intake_db)
    survey_id, expires = uuid.uuid4(), NOW + timedelta(days=3)
    announced = {"survey_id": str(survey_id), "expires_at": expires.isoformat(), "days": 3}
    await handle(intake_db, "notification.requested", requested(ticket, "survey", **announced))
    secret = SETTINGS.survey_secret.get_secret_value().encode()
    link = survey_link(SETTINGS.survey_base_url, secret, survey_id, expires)
    (body,) = await sent(intake_db, "survey")
    assert body.endswith(link)
    assert read_token(secret, link.rsplit("/", 1)[1]) == (survey_id, expires.replace(microsecond=0))


async def test_requested_notices_word_for_word(intake_db: IntakeStore) -> None:
    zh, en = (
        await receive(intake_db),
        await receive(intake_db, "en", subject="Refund", customer={"phone": "13900001111"}),
    )  # another customer: the same description from one customer is one ticket
    for ticket in (zh, en):
        await handle(
            intake_db,
            "notification.requested",
            requested(ticket, "resolution", reply="已为您重置密码", days=3),
            requested(ticket, "survey", url="https://s.example/t1", days=3),
            # 02:00 UTC tomorrow is 10:00 tomorrow in Shanghai.
            requested(ticket, "callback", due_at=(NOW + timedelta(days=1)).isoformat()),
            requested(ticket, "suggestion_feedback"),
            requested(ticket, "auto_close", days=3),
            requested(ticket, "confirmation"),
        )
    z, e = zh.ticket_no, en.ticket_no
    assert await sent(intake_db, "resolution") == [
        f"【sopdesk】您的工单 {z} 已处理：已为您重置密码。如问题已解决，请回复“已解决”；"
        "如仍未解决，请回复“未解决”，我们将继续为您处理。3天内未收到回复，工单将自动关闭。",
        f"【sopdesk】Your ticket {e} has been handled: 已为您重置密码。 If it is solved, "
        'reply "solved"; if not, reply "not solved" and we will keep working on it. '
        "Without a reply the ticket closes in 3 days.",
    ]
    assert await sent(intake_db, "survey") == [
        f"【sopdesk】感谢您的耐心，请对工单 {z} 的服务进行评价：https://s.example/t1",
        f"【sopdesk】Thank you for your patience. Please rate our service on ticket {e}: "
        "https://s.example/t1",
    ]
    assert await sent(intake_db, "callback") == [
        f"【sopdesk】我们将于明日10:00回访您，了解工单 {z} 的处理结果，请您保持电话畅通。",
        f"【sopdesk】We will call you back 10:00 tomorrow about ticket {e}; "
        "please keep your phone on.",
    ]
    assert await sent(intake_db, "suggestion_feedback") == [
        "【sopdesk】您的建议已同步至产品团队，后续优化进展将及时反馈。"
        f"感谢您的支持（工单号 {z}）。",
        "【sopdesk】Your suggestion has been passed to our product team; we will keep you "
        f"posted on the improvements. Thank you (ticket {e}).",
    ]
    assert await sent(intake_db, "auto_close") == [
        f"【sopdesk】您好，工单 {z} 在3天内未收到您的回复，已自动关闭。"
        "如问题仍未解决，请在7天内回复本消息，我们将重新为您处理。",
        f"【sopdesk】Hello, ticket {e} had no reply for 3 days and is now closed. "
        "If the problem remains, reply within 7 days and we will pick it up again.",
    ]
    assert await sent(intake_db, "confirmation") == [
        f"【sopdesk】感谢您的确认，工单 {z} 已关闭。如有其他问题，欢迎随时联系我们。",
        f"【sopdesk】Thank you for confirming; ticket {e} is closed. "
        "Contact us any time if you need more help.",
    ]


def _triaged(ticket: Ticket, respond_by: datetime, at: datetime) -> TicketTriaged:
    return fault_triaged(ticket, respond_by, at, priority="P2")


async def test_a_later_deadline_is_announced_as_an_extension(intake_db: IntakeStore) -> None:
    ticket = await receive(intake_db)
    await handle(intake_db, "ticket.triaged", _triaged(ticket, NOW + timedelta(hours=4), NOW))
    async with intake_db.uow() as uow:
        stored = await uow.session.get(Ticket, ticket.id)
        assert stored is not None
        stored.status = "assigned"
        await uow.commit()
    later = _triaged(ticket, NOW + timedelta(days=1, hours=1), NOW)  # 11:00 tomorrow local
    await handle(
        intake_db,
        "ticket.retriaged",
        TicketRetriaged(ticket_id=ticket.id, occurred_at=NOW, data=later.data),
    )
    assert await sent(intake_db, "extension") == [
        f"【sopdesk】您好，工单 {ticket.ticket_no} 的处理时间已调整，预计明日11:00前反馈，"
        "给您带来不便，敬请谅解。"
    ]


async def test_replies_to_the_result_are_flagged_for_follow_up(intake_db: IntakeStore) -> None:
    async def reply(ticket: Ticket, status: str, body: str) -> TicketMessageAdded:
        async with intake_db.uow() as uow:
            stored = await uow.session.get(Ticket, ticket.id)
            assert stored is not None
            stored.status = status
            stored.closed_at = datetime.now(UTC) if status == "closed" else None
            await reception.add_customer_message(uow, ticket.id, MessageCreate(body=body), SETTINGS)
            await uow.commit()
        last = (await intake_db.events("ticket.message_added"))[-1]
        assert isinstance(last, TicketMessageAdded)
        return last

    ticket = await receive(intake_db)
    confirmed = await reply(ticket, "resolved", "已解决，谢谢")
    assert (confirmed.data.reply, confirmed.data.reopens) == ("confirmed", False)
    not_solved = await reply(ticket, "resolved", "还是不行，开不了机")
    assert (not_solved.data.reply, not_solved.data.reopens) == ("not_solved", True)
    thanks_after_closure = await reply(ticket, "closed", "好的谢谢")
    assert (thanks_after_closure.data.reply, thanks_after_closure.data.reopens) == (
        "confirmed",
        False,
    )
    anything_after_closure = await reply(ticket, "closed", "又坏了")
    assert (anything_after_closure.data.reply, anything_after_closure.data.reopens) == (None, True)
    while_open = await reply(ticket, "assigned", "已解决")
    assert while_open.data.reply is None


# --------------------------------------------------------------------------- the API


async def test_admin_changes_a_text_per_language_and_channel(
    tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with running_intake(url, broker, topic_prefix, sms_signature="【好家电】") as (
        client,
        _store,
    ):
        listed = await client.get("/v1/templates", headers=SUPERVISOR)
        assert listed.status_code == 200
        keys = {t["key"] for t in listed.json()}
        assert keys == set(TEMPLATES)
        body = "您好，工单 {ticket_no} 已受理，请留意短信。"
        refused = await client.post(
            "/v1/templates/acknowledgement/versions",
            json={"language": "zh", "channel": "sms", "body": body},
            headers=SUPERVISOR,
        )
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        bad = await client.post(
            "/v1/templates/acknowledgement/versions",
            json={"language": "zh", "channel": "sms", "body": "工单 {ticket} 已受理"},
            headers=ADMIN,
        )
        assert (bad.status_code, bad.json()["code"]) == (422, "unknown_placeholder")
        braces = await client.post(
            "/v1/templates/acknowledgement/versions",
            json={"language": "zh", "body": "工单 {ticket_no 已受理"},
            headers=ADMIN,
        )
        assert (braces.status_code, braces.json()["code"]) == (422, "invalid_template")
        missing = await client.post(
            "/v1/templates/nope/versions", json={"language": "zh", "body": "x"}, headers=ADMIN
        )
        assert (missing.status_code, missing.json()["code"]) == (404, "template_not_found")

        draft = await client.post(
            "/v1/templates/acknowledgement/preview",
            json={"language": "zh", "channel": "sms", "body": body},
            headers=SUPERVISOR,
        )
        assert draft.json() == {
            "key": "acknowledgement",
            "language": "zh",
            "channel": "sms",
            "version": None,
            "text": "【好家电】您好，工单 T20261201-000123 已受理，请留意短信。",
        }
        created = await client.post(
            "/v1/templates/acknowledgement/versions",
            json={"language": "zh", "channel": "sms", "body": body},
            headers=ADMIN,
        )
        assert created.status_code == 201 and created.json()["version"] == 1
        again = await client.post(
            "/v1/templates/acknowledgement/versions",
            json={"language": "zh", "channel": "sms", "body": body + "谢谢。"},
            headers=ADMIN,
        )
        assert again.json()["version"] == 2
        history = (await client.get("/v1/templates/acknowledgement", headers=SUPERVISOR)).json()
        assert [v["version"] for v in history["versions"]] == [1, 2]
        assert [c["body"] for c in history["current"]] == [body + "谢谢。"]

        async def ticket(**extra: Any) -> dict[str, Any]:
            response = await client.post(
                "/v1/tickets",
                json={
                    "channel": "app",
                    "subject": "无法开机",
                    "description": "设备无法开机。",
                    **extra,
                },
                headers=GATEWAY,
            )
            assert response.status_code == 201, response.text
            return dict(response.json())

        by_sms = await ticket(customer={"phone": "13812345678"})
        by_chat = await ticket(customer={"member_id": "M9"}, subject="积分", description="积分")
        bodies = {
            e.ticket_id: e.data.body
            for e in await published_notifications(broker, topic_prefix, 2)
            if isinstance(e, NotificationOutgoing)
        }
        # The SMS takes the new SMS version; chat keeps the built-in text.
        assert bodies[uuid.UUID(by_sms["ticket_id"])] == (
            f"【好家电】您好，工单 {by_sms['ticket_no']} 已受理，请留意短信。谢谢。"
        )
        assert by_sms["acknowledgement"] == (
            f"您好，工单 {by_sms['ticket_no']} 已受理，请留意短信。谢谢。"
        )
        assert bodies[uuid.UUID(by_chat["ticket_id"])] == (
            f"您好，您的需求已受理，工单号 {by_chat['ticket_no']}。"
            "我们会尽快安排专人处理，请留意后续通知。"
        )
        openapi = (await client.get("/openapi.json")).json()
        route = openapi["paths"]["/v1/templates/{key}/versions"]["post"]
        assert route["requestBody"]["content"]["application/json"]["schema"]
