"""Intake channels, validation, customer identity and one-issue-one-ticket, on a real
store migrated with Alembic (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from intake_support import IntakeStore
from pydantic import ValidationError

from services.intake import customers, reception
from services.intake.customer_schemas import VipCreate
from services.intake.models import (
    Customer,
    CustomerIdentifier,
    Ticket,
    TicketMessage,
    TimelineEntry,
    VipEntry,
)
from services.intake.schemas import TicketCreate
from services.intake.settings import IntakeSettings
from shared.errors import ApiError
from shared.events import CustomerMerged, TicketMessageAdded, TicketReceived, utcnow

SETTINGS = IntakeSettings()


def payload(**overrides: Any) -> TicketCreate:
    body: dict[str, Any] = {
        "channel": "phone",
        "customer": {"name": "张三", "phone": "13812345678"},
        "subject": "账号无法登录",
        "description": "今天早上开始账号无法登录,提示密码错误,已重置两次仍然不行。",
    }
    body.update(overrides)
    return TicketCreate.model_validate(body)


async def receive(
    store: IntakeStore,
    body: TicketCreate,
    key: str | None = None,
    settings: IntakeSettings = SETTINGS,
) -> reception.NewTicket:
    async with store.uow() as uow:
        result = await reception.receive_ticket(uow, body, key, settings)
        await uow.commit()
    return result


# --------------------------------------------------------------------------- channels

CHANNEL_BODIES: dict[str, dict[str, Any]] = {
    "phone": {
        "phone_call": {
            "call_started_at": "2026-11-22T09:15:00+08:00",
            "call_ended_at": "2026-11-22T09:21:30+08:00",
            "handler": "客服007",
            "verification_steps": ["核对订单系统信息", "联系技术部确认故障原因"],
            "customer_type": "returning",
            "problem_type": "fault",
        }
    },
    "web_chat": {},
    "app": {},
    "mini_program": {},
    "email": {
        "customer": {"email": "Zhang.San@Example.com"},
        "email": {"message_id": "<m1@mail.example.com>"},
    },
    "social": {"sub_channel": "weibo"},
    "store": {"metadata": {"store_id": "SH-001"}},
}


@pytest.mark.parametrize("channel", list(CHANNEL_BODIES))
async def test_every_channel_is_stored_and_acknowledged(
    intake_db: IntakeStore, channel: str
) -> None:
    result = await receive(intake_db, payload(channel=channel, **CHANNEL_BODIES[channel]))
    ticket = result.ticket
    assert ticket.channel == channel
    assert ticket.ticket_no in ticket.acknowledgement
    async with intake_db.sessions() as session:
        stored = await session.get(Ticket, ticket.id)
    assert stored is not None
    if channel == "phone":
        form = stored.details["phone_call"]  # type: ignore[index]
        assert form["handler"] == "客服007"
        assert form["verification_steps"] == ["核对订单系统信息", "联系技术部确认故障原因"]
        assert form["customer_type"] == "returning"
    if channel == "email":
        assert stored.email_message_id == "<m1@mail.example.com>"
    if channel == "social":
        assert stored.sub_channel == "weibo"
    (event,) = await intake_db.events("ticket.received")
    assert isinstance(event, TicketReceived)
    assert event.data.channel == channel
    assert event.data.sub_channel == CHANNEL_BODIES[channel].get("sub_channel")


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"channel": "social"}, "sub_channel"),  # social needs a sub-channel
        ({"channel": "social", "sub_channel": "We Chat!"}, "sub_channel"),
        ({"channel": "web_chat", "phone_call": {"handler": "x"}}, "phone_call"),
        ({"channel": "phone", "email": {"message_id": "<a@b>"}}, "email"),
        (
            {
                "phone_call": {
                    "call_started_at": "2026-11-22T09:15:00+08:00",
                    "call_ended_at": "2026-11-22T09:00:00+08:00",
                }
            },
            "call_ended_at",
        ),
        ({"phone_call": {"call_started_at": "2026-11-22T09:15:00"}}, "offset"),
        ({"phone_call": {"verification_steps": ["x"] * 21}}, "verification_steps"),
        ({"phone_call": {"surprise": 1}}, "surprise"),
        ({"description": ""}, "description"),
        ({"subject": "x" * 201}, "subject"),
        ({"description": "x" * 5001}, "description"),
        ({"metadata": {"blob": "x" * 9000}}, "metadata"),
        ({"customer": {"name": "x"}}, "order_no"),
        ({"customer": {"email": "not-an-email"}}, "email"),
        ({"customer": {"phone": "138" * 20}}, "phone"),
        ({"order_no": "x" * 65}, "order_no"),
    ],
)
def test_bad_ticket_bodies_are_refused(overrides: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as caught:
        payload(**overrides)
    assert where in str(caught.value)


async def test_a_request_without_a_subject_gets_one_from_its_description(
    intake_db: IntakeStore,
) -> None:
    """IVR and phone gateways send no subject: the description's first sentence is one."""
    body = payload(subject="", description="手术室的监护仪突然停机了。病人还在台上,请马上派人")
    assert body.subject == "手术室的监护仪突然停机了"
    received = await receive(intake_db, body)
    assert received.ticket.subject == "手术室的监护仪突然停机了"
    (event,) = await intake_db.events("ticket.received")
    assert event.data.subject == "手术室的监护仪突然停机了"  # type: ignore[attr-defined]
    long = payload(subject="", description="蓝牙耳机插上充电线一点反应都没有" * 4)
    assert len(long.subject) == 30 and long.subject.endswith("…")


async def test_refused_requests_write_nothing(intake_db: IntakeStore) -> None:
    before = await intake_db.counts(Customer, CustomerIdentifier, Ticket, TimelineEntry)
    tight = IntakeSettings(description_max_length=10)
    for body, settings, code in (
        (payload(customer={"phone": "12345"}), SETTINGS, "invalid_phone"),
        (payload(), tight, "description_too_long"),
    ):
        async with intake_db.uow() as uow:
            with pytest.raises(ApiError) as caught:
                await reception.receive_ticket(uow, body, "k", settings)
            await uow.rollback()
        assert caught.value.code == code
    assert await intake_db.counts(Customer, CustomerIdentifier, Ticket, TimelineEntry) == before


# --------------------------------------------------------------------------- identity


async def test_find_by_phone_email_member_id_or_order_number(intake_db: IntakeStore) -> None:
    first = await receive(
        intake_db,
        payload(
            customer={"phone": "13812345678", "email": "a@example.com", "member_id": "M1"},
            order_no="SO1",
        ),
    )
    cid = first.ticket.customer_id
    # Four other issues (not one issue in other words), so none is joined to the first.
    issues = iter(
        (
            "发票抬头开错了,要改成公司名称",
            "快递三天没动了,包裹到底在哪",
            "会员积分怎么兑换优惠券",
            "收到的杯子有裂缝,想换一个",
        )
    )
    for customer, order_no in (
        ({"phone": "+86 138-1234-5678"}, None),
        ({"email": "A@Example.COM"}, None),
        ({"member_id": "M1"}, None),
        ({}, "SO1"),
    ):
        text = next(issues)
        again = await receive(
            intake_db,
            payload(customer=customer, order_no=order_no, subject=text, description=text),
        )
        assert again.ticket.customer_id == cid, customer
        assert again.ticket.customer_type == "returning"
        assert not again.deduplicated
    assert await intake_db.count(Customer) == 1


async def test_one_contact_with_two_profiles_merges_them(intake_db: IntakeStore) -> None:
    by_phone = await receive(intake_db, payload(customer={"phone": "13812345678"}))
    by_mail = await receive(
        intake_db,
        payload(
            channel="email",
            customer={"email": "li@example.com"},
            subject="退款没到账",
            description="退货一周了还没有收到退款。",
        ),
    )
    assert by_phone.ticket.customer_id != by_mail.ticket.customer_id
    both = await receive(
        intake_db,
        payload(
            channel="web_chat",
            customer={"phone": "13812345678", "email": "li@example.com", "member_id": "M9"},
            subject="发票开错了",
            description="发票抬头需要更正为公司名称。",
        ),
    )
    survivor, merged = by_phone.ticket.customer_id, by_mail.ticket.customer_id
    assert both.ticket.customer_id == survivor
    assert both.ticket.customer_type == "returning"

    async with intake_db.sessions() as session:
        tickets = (await session.scalars(sa.select(Ticket.customer_id))).all()
        old = await session.get(Customer, merged)
        kept = await session.get(Customer, survivor)
        identifiers = {
            (i.kind, i.value): i.customer_id
            for i in (await session.scalars(sa.select(CustomerIdentifier))).all()
        }
    assert set(tickets) == {survivor}  # both histories are one now
    assert old is not None and old.merged_into_id == survivor
    assert kept is not None
    assert (kept.phone, kept.email, kept.member_id) == ("+8613812345678", "li@example.com", "M9")
    assert kept.ticket_count == 3
    assert set(identifiers.values()) == {survivor}
    (event,) = await intake_db.events("customer.merged")
    assert isinstance(event, CustomerMerged)
    assert (event.data.surviving_customer_id, event.data.merged_customer_id) == (survivor, merged)
    # An order number alone finds a profile but never merges two.
    other = await receive(
        intake_db,
        payload(customer={"phone": "13900001111"}, order_no="SO-X", subject="a", description="b"),
    )
    await receive(
        intake_db,
        payload(customer={"phone": "13812345678"}, order_no="SO-X", subject="c", description="d"),
    )
    assert other.ticket.customer_id != survivor
    assert len(await intake_db.events("customer.merged")) == 1


async def test_vip_from_member_tier_or_the_vip_list(intake_db: IntakeStore) -> None:
    gold = await receive(intake_db, payload(customer={"member_id": "G1", "member_tier": "Gold"}))
    assert gold.ticket.customer_type == "vip"
    silver = await receive(
        intake_db, payload(customer={"member_id": "S1", "member_tier": "silver"})
    )
    assert silver.ticket.customer_type == "new"

    async with intake_db.uow() as uow:
        entry, created = await customers.add_vip(
            uow, VipCreate(kind="phone", value="139 0000 2222"), SETTINGS
        )
        await uow.commit()
    assert created and entry.value == "+8613900002222"
    async with intake_db.uow() as uow:
        _, again = await customers.add_vip(
            uow, VipCreate(kind="phone", value="+8613900002222"), SETTINGS
        )
        await uow.commit()
    assert not again
    assert await intake_db.count(VipEntry) == 1
    listed = await receive(intake_db, payload(customer={"phone": "13900002222"}))
    assert listed.ticket.customer_type == "vip"

    async with intake_db.uow() as uow:
        with pytest.raises(ApiError) as caught:
            await customers.add_vip(uow, VipCreate(kind="email", value="nope"), SETTINGS)
    assert caught.value.code == "invalid_email"


# --------------------------------------------------------------------------- one issue, one ticket


async def test_same_issue_on_another_channel_is_one_ticket(intake_db: IntakeStore) -> None:
    first = await receive(intake_db, payload(channel="phone"))
    repeat = payload(
        channel="web_chat",
        customer={"phone": "+8613812345678"},
        description="今天早上开始账号无法登录,提示密码错误,已经重置两次了还是不行",
    )
    again = await receive(intake_db, repeat, key="chat-1")
    assert again.deduplicated and again.message_id is not None
    assert again.ticket.id == first.ticket.id
    assert await intake_db.count(Ticket) == 1
    (event,) = await intake_db.events("ticket.message_added")
    assert isinstance(event, TicketMessageAdded)
    assert event.ticket_id == first.ticket.id
    assert event.data.deduplicated and event.data.channel == "web_chat"

    # The same key replays the attachment, not a third write.
    replay = await receive(intake_db, repeat, key="chat-1")
    assert replay.replayed and replay.deduplicated and replay.message_id == again.message_id
    assert replay.match_reason == again.match_reason and again.match_reason
    assert await intake_db.count(TicketMessage) == 1
    # The same key with another body is a mistake of the gateway's, not a replay.
    with pytest.raises(ApiError) as reused:
        await receive(intake_db, payload(channel="web_chat"), key="chat-1")
    assert (reused.value.status, reused.value.code) == (422, "idempotency_key_reused")

    # A different issue, or a different order, is a new ticket.
    other = await receive(
        intake_db, payload(subject="发票抬头错误", description="请把发票抬头改成公司名称。")
    )
    assert not other.deduplicated
    assert await intake_db.count(Ticket) == 2


async def test_the_same_issue_in_other_words_is_one_ticket_and_says_why(
    intake_db: IntakeStore,
) -> None:
    first = await receive(intake_db, payload(subject="耳机充不进电", description="耳机充不进电"))
    again = await receive(
        intake_db,
        payload(
            channel="app",
            subject="蓝牙耳机有问题",
            description="蓝牙耳机插上充电线一点反应都没有",
        ),
    )
    assert again.deduplicated and again.ticket.id == first.ticket.id
    # The pair model decides; its reason leads with its confidence and what weighed most.
    assert again.match_reason is not None and again.match_reason.startswith("同一问题(把握 ")
    assert "同一物品(耳机),相同问题:充电" in again.match_reason
    async with intake_db.sessions() as session:
        stored = (await session.execute(sa.select(TicketMessage.match_reason))).scalars().all()
    assert stored == [again.match_reason]
    other = await receive(
        intake_db, payload(subject="耳机左边没声音", description="左耳听不到声音")
    )
    assert not other.deduplicated


async def test_words_the_lexicon_never_had_join_on_meaning_and_off_by_meaning_do_not(
    intake_db: IntakeStore,
) -> None:
    """The pair model joins a paraphrase no problem kind names (抽奖, 奖品): as a message
    on the open ticket; with dedup_by_meaning off the same request is a ticket of its own."""
    first = await receive(
        intake_db, payload(subject="", description="抽奖中的奖品一直显示处理中", order_no=None)
    )
    again = await receive(
        intake_db,
        payload(subject="抽奖", description="抽中的奖品还在处理中", order_no=None),
        key="prize-2",
    )
    assert again.deduplicated and again.ticket.id == first.ticket.id
    assert again.match_reason is not None and "描述相近" in again.match_reason
    literal = IntakeSettings(dedup_by_meaning=False)
    apart = await receive(
        intake_db,
        payload(subject="抽奖", description="抽中的奖品还在处理中", order_no=None),
        key="prize-3",
        settings=literal,
    )
    assert not apart.deduplicated and apart.ticket.id != first.ticket.id


async def test_two_order_numbers_are_two_issues(intake_db: IntakeStore) -> None:
    first = await receive(intake_db, payload(order_no="SO-A"))
    second = await receive(intake_db, payload(order_no="SO-B"))
    assert not second.deduplicated and second.ticket.id != first.ticket.id
    same = await receive(intake_db, payload(order_no="SO-A", channel="app"))
    assert same.deduplicated and same.ticket.id in (first.ticket.id, second.ticket.id)
    assert same.ticket.id == first.ticket.id


async def test_closed_tickets_and_other_customers_are_not_deduplicated(
    intake_db: IntakeStore,
) -> None:
    first = await receive(intake_db, payload())
    someone_else = await receive(intake_db, payload(customer={"phone": "13900003333"}))
    assert not someone_else.deduplicated
    async with intake_db.sessions() as session:
        await session.execute(
            sa.update(Ticket).where(Ticket.id == first.ticket.id).values(status="resolved")
        )
        await session.commit()
    after_resolution = await receive(intake_db, payload())
    assert not after_resolution.deduplicated


async def test_dedup_threshold_is_a_setting(intake_db: IntakeStore) -> None:
    await receive(intake_db, payload())
    # Off by meaning and at 100, only a verbatim repeat joins.
    strict = IntakeSettings(dedup_threshold=100, dedup_by_meaning=False)
    near = payload(description="今天早上开始账号无法登录,提示密码错误,已重置两次仍然不行!")
    assert not (await receive(intake_db, near, settings=strict)).deduplicated
    assert (await receive(intake_db, near)).deduplicated


async def test_email_reply_threads_onto_its_ticket(intake_db: IntakeStore) -> None:
    mail = {"email": "li@example.com"}
    first = await receive(
        intake_db,
        payload(channel="email", customer=mail, email={"message_id": "<a1@example.com>"}),
    )
    reply = await receive(
        intake_db,
        payload(
            channel="email",
            customer=mail,
            subject="Re: 账号无法登录",
            description="补充一下:换了浏览器也不行。",
            email={"message_id": "<a2@example.com>", "in_reply_to": "<a1@example.com>"},
        ),
    )
    assert reply.deduplicated and reply.ticket.id == first.ticket.id
    # A reply to the reply finds the thread through the message it answers.
    third = await receive(
        intake_db,
        payload(
            channel="email",
            customer=mail,
            subject="Re: Re: 其他",
            description="完全不同的内容",
            email={"message_id": "<a3@example.com>", "references": ["<a2@example.com>"]},
        ),
    )
    assert third.ticket.id == first.ticket.id
    assert await intake_db.count(Ticket) == 1
    events = await intake_db.events("ticket.message_added")
    assert [e.data.deduplicated for e in events] == [False, False]  # type: ignore[attr-defined]


async def closed_days_ago(store: IntakeStore, ticket_id: uuid.UUID, days: float) -> None:
    """As if follow-up's ticket.closed had arrived ``days`` ago."""
    async with store.sessions() as session:
        await session.execute(
            sa.update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(status="closed", closed_at=utcnow() - timedelta(days=days))
        )
        await session.commit()


async def test_email_reply_after_closure_reopens_within_the_window_else_opens_a_ticket(
    intake_db: IntakeStore,
) -> None:
    mail = {"email": "li@example.com"}
    first = await receive(
        intake_db,
        payload(channel="email", customer=mail, email={"message_id": "<c1@example.com>"}),
    )

    def reply(n: int) -> TicketCreate:
        return payload(
            channel="email",
            customer=mail,
            subject="Re: 账号无法登录",
            description=f"还是登录不了({n})",
            email={"message_id": f"<c{n}@example.com>", "in_reply_to": "<c1@example.com>"},
        )

    await closed_days_ago(intake_db, first.ticket.id, 2)
    again = await receive(intake_db, reply(2))
    assert again.ticket.id == first.ticket.id and again.deduplicated
    (added,) = await intake_db.events("ticket.message_added")
    assert added.data.reopens is True  # type: ignore[attr-defined]

    await closed_days_ago(intake_db, first.ticket.id, 30)
    late = await receive(intake_db, reply(3))
    assert late.ticket.id != first.ticket.id and not late.deduplicated
    assert await intake_db.count(Ticket) == 2


async def test_message_soon_after_closure_reopens_later_one_is_refused(
    intake_db: IntakeStore,
) -> None:
    from services.intake.schemas import MessageCreate

    settings = IntakeSettings(api_keys={}, reopen_window_days=7)
    first = await receive(intake_db, payload())

    # Closed eight days ago: refused, nothing written.
    await closed_days_ago(intake_db, first.ticket.id, 8)
    async with intake_db.uow() as uow:
        with pytest.raises(ApiError) as caught:
            await reception.add_customer_message(
                uow, first.ticket.id, MessageCreate(body="还在吗"), settings
            )
        await uow.rollback()
    assert (caught.value.status, caught.value.code) == (409, "ticket_closed")
    assert await intake_db.events("ticket.message_added") == []

    # Closed six days ago: the message reopens it, once.
    await closed_days_ago(intake_db, first.ticket.id, 6)
    for body in ("还是不行", "再问一次"):
        async with intake_db.uow() as uow:
            await reception.add_customer_message(
                uow, first.ticket.id, MessageCreate(body=body), settings
            )
            await uow.commit()
    events = await intake_db.events("ticket.message_added")
    assert [e.data.reopens for e in events] == [True, False]  # type: ignore[attr-defined]
    async with intake_db.sessions() as session:
        ticket = await session.get(Ticket, first.ticket.id)
        assert ticket is not None and ticket.status == "reopened"

    async with intake_db.uow() as uow:
        with pytest.raises(ApiError) as missing:
            await reception.add_customer_message(
                uow, uuid.uuid4(), MessageCreate(body="x"), settings
            )
    assert missing.value.code == "ticket_not_found"
