"""The built-in e-mail gateway: mail sent with smtplib becomes a ticket, and replies
thread onto it by In-Reply-To or by the ticket number in the subject."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from intake_support import IntakeStore, running_intake

from services.intake import reception
from services.intake.models import Ticket, TicketMessage
from services.intake.settings import IntakeSettings
from services.intake.smtp import MailRefused, mail_to_ticket

SETTINGS = IntakeSettings()


def mail(
    subject: str,
    body: str,
    *,
    sender: str = "李雷 <lilei@example.com>",
    message_id: str | None = None,
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@sopdesk.example"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def test_mail_becomes_a_ticket_request() -> None:
    payload, key = mail_to_ticket(
        bytes(
            mail(
                "订单退款问题",
                "你好,\n退货一周了还没收到退款。\n> 之前的邮件内容",
                message_id="<m1@example.com>",
                In_Reply_To="<m0@example.com>",
                References="<a@example.com> <m0@example.com>",
            )
        ),
        SETTINGS,
    )
    assert payload.channel == "email"
    assert payload.customer.email == "lilei@example.com" and payload.customer.name == "李雷"
    assert payload.description == "你好,\n退货一周了还没收到退款。"
    assert payload.email is not None
    assert payload.email.message_id == "<m1@example.com>"
    assert payload.email.in_reply_to == "<m0@example.com>"
    assert payload.email.references == ["<a@example.com>", "<m0@example.com>"]
    assert (payload.language, payload.preferred_contact) == ("zh", "email")
    assert key.startswith("smtp:")
    english, _ = mail_to_ticket(bytes(mail("Refund", "Where is my refund?")), SETTINGS)
    assert english.language == "en"
    with pytest.raises(MailRefused):
        mail_to_ticket(bytes(mail("x", "y", sender="nobody")), SETTINGS)
    with pytest.raises(MailRefused):
        mail_to_ticket(bytes(mail("x", "y", sender="a@b@c")), SETTINGS)


async def test_ticket_number_threads_only_for_its_customer(intake_db: IntakeStore) -> None:
    async def send(message: EmailMessage) -> reception.NewTicket:
        payload, key = mail_to_ticket(bytes(message), SETTINGS)
        async with intake_db.uow() as uow:
            result = await reception.receive_ticket(uow, payload, key, SETTINGS)
            await uow.commit()
        return result

    first = await send(mail("打印机卡纸", "打印机一直卡纸。", message_id="<p1@example.com>"))
    number = first.ticket.ticket_no
    reply = await send(mail(f"Re: [{number}] 打印机卡纸", "换了纸也不行", message_id="<p2@x>"))
    assert reply.deduplicated and reply.ticket.id == first.ticket.id
    stranger = await send(
        mail(
            f"Re: [{number}] 打印机卡纸", "我也想问", sender="eve@evil.example", message_id="<e@x>"
        )
    )
    assert not stranger.deduplicated and stranger.ticket.id != first.ticket.id
    again = await send(mail(f"Re: [{number}] 打印机卡纸", "换了纸也不行", message_id="<p2@x>"))
    assert again.replayed and again.message_id == reply.message_id


async def test_smtp_listener(
    tmp_path: Path, broker: str, topic_prefix: str, unused_port: int
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    extra: dict[str, Any] = {"smtp_enabled": True, "smtp_port": unused_port}
    async with running_intake(url, broker, topic_prefix, **extra) as (_client, store):

        def deliver(message: EmailMessage) -> tuple[int, bytes]:
            with smtplib.SMTP("127.0.0.1", unused_port, timeout=10) as smtp:
                smtp.ehlo()
                code, _ = smtp.mail("lilei@example.com")
                assert code == 250
                smtp.rcpt("support@sopdesk.example")
                return smtp.data(message.as_bytes())

        code, answer = await asyncio.to_thread(
            deliver,
            mail("账号无法登录", "提示密码错误,请帮忙处理。", message_id="<s1@example.com>"),
        )
        assert code == 250, answer
        assert b"Accepted as ticket T" in answer
        number = answer.decode().rsplit(" ", 1)[-1]

        code, answer = await asyncio.to_thread(
            deliver,
            mail(
                "Re: 账号无法登录",
                "补充:换了浏览器也不行。",
                message_id="<s2@example.com>",
                In_Reply_To="<s1@example.com>",
            ),
        )
        assert code == 250 and number.encode() in answer
        code, answer = await asyncio.to_thread(
            deliver, mail(f"Re: [{number}] 账号无法登录", "还是不行", message_id="<s3@example.com>")
        )
        assert code == 250 and number.encode() in answer

        def refused() -> int:
            with smtplib.SMTP("127.0.0.1", unused_port, timeout=10) as smtp:
                try:
                    smtp.sendmail(
                        "x@example.com", ["support@sopdesk.example"], b"Subject: x\r\n\r\nhi"
                    )
                except smtplib.SMTPDataError as exc:
                    return exc.smtp_code
            return 250

        assert await asyncio.to_thread(refused) == 550  # no From: no customer

        async with store.sessions() as session:
            tickets = (await session.scalars(sa.select(Ticket))).all()
            messages = (await session.scalars(sa.select(TicketMessage))).all()
        assert [t.ticket_no for t in tickets] == [number]
        assert tickets[0].email_message_id == "<s1@example.com>"
        assert {m.external_id for m in messages} == {"<s2@example.com>", "<s3@example.com>"}


async def test_email_notifications_go_out_through_the_smtp_relay(
    intake_db: IntakeStore, unused_port: int
) -> None:
    from aiosmtpd.controller import Controller

    from services.intake.webhooks import WebhookDeliverer
    from shared.database import supports_skip_locked

    received: list[bytes] = []

    class Relay:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    controller = Controller(Relay(), hostname="127.0.0.1", port=unused_port)
    controller.start()
    try:
        settings = IntakeSettings(smtp_relay_host="127.0.0.1", smtp_relay_port=unused_port)
        payload, key = mail_to_ticket(
            bytes(mail("Refund please", "Where is my refund?", message_id="<r1@example.com>")),
            settings,
        )
        async with intake_db.uow() as uow:
            ticket = (await reception.receive_ticket(uow, payload, key, settings)).ticket
            await uow.commit()
        worker = WebhookDeliverer(
            intake_db.sessions,
            intake_db.uow,
            settings,
            skip_locked=supports_skip_locked(intake_db.engine),
        )
        try:
            assert await worker.run_once() == 1
        finally:
            await worker.close()
    finally:
        controller.stop()
    (raw,) = received
    text = raw.decode()
    assert "To: lilei@example.com" in text
    assert f"Subject: [{ticket.ticket_no}] Refund please" in text
    assert ticket.ticket_no in text
    (delivered,) = await intake_db.events("notification.delivered")
    assert delivered.ticket_id == ticket.id
