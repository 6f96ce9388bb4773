"""SMS-code verification: the code travels only on the notifications topic, is stored
hashed, expires, allows five attempts, and sending is rate-limited per phone."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from intake_support import (
    GATEWAY,
    SUPERVISOR,
    IntakeStore,
    migrated_intake,
    published_notifications,
    running_intake,
)

from services.intake import reception, verifications
from services.intake.customer_schemas import VerificationCreate
from services.intake.models import TimelineEntry, Verification
from services.intake.schemas import TicketCreate
from services.intake.settings import IntakeSettings
from shared.errors import ApiError
from shared.events import Envelope, NotificationOutgoing

SETTINGS = IntakeSettings()
PHONE = "13812345678"


async def send(
    store: IntakeStore, settings: IntakeSettings = SETTINGS, ticket_id: uuid.UUID | None = None
) -> Verification:
    async with store.uow() as uow:
        verification = await verifications.start_verification(
            uow, VerificationCreate(phone=PHONE, ticket_id=ticket_id), settings
        )
        await uow.commit()
    return verification


async def check(
    store: IntakeStore, verification_id: uuid.UUID, code: str, settings: IntakeSettings = SETTINGS
) -> str:
    async with store.uow() as uow:
        outcome, _ = await verifications.check_verification(uow, verification_id, code, settings)
        await uow.commit()
    return outcome


async def codes_sent(store: IntakeStore) -> list[NotificationOutgoing]:
    events = await store.events("notification.outgoing")
    return [
        e
        for e in events
        if isinstance(e, NotificationOutgoing) and e.data.template == "verification_code"
    ]


async def sent_code(store: IntakeStore) -> str:
    return code_in((await codes_sent(store))[-1])


def code_in(event: Envelope) -> str:
    assert isinstance(event, NotificationOutgoing)
    match = re.search(r"(?<!\d)(\d{6})(?!\d)", event.data.body)
    assert match
    return match.group(1)


async def test_code_goes_out_hashed_and_verifies_once(
    intake_db: IntakeStore, capsys: pytest.CaptureFixture[str]
) -> None:
    async with intake_db.uow() as uow:
        ticket = (
            await reception.receive_ticket(
                uow,
                TicketCreate.model_validate(
                    {
                        "channel": "phone",
                        "customer": {"phone": PHONE},
                        "subject": "修改绑定手机",
                        "description": "需要核验身份",
                    }
                ),
                None,
                SETTINGS,
            )
        ).ticket
        await uow.commit()
    verification = await send(intake_db, ticket_id=ticket.id)
    code = await sent_code(intake_db)
    (event,) = await codes_sent(intake_db)
    assert event.data.to == "+8613812345678"
    assert (event.data.channel, event.data.template) == ("sms", "verification_code")
    # The agent asks the caller for the code: the text says whom to tell, not "nobody".
    assert event.data.body == (
        f"【sopdesk】您的验证码为{code}，5分钟内有效，仅用于本次客服身份核验，"
        "请只告知正在为您服务的客服专员。"
    )
    rows = await intake_db.outbox()
    assert [r.topic for r in rows if code in r.payload] == ["test.notifications"]
    async with intake_db.sessions() as session:
        stored = await session.get(Verification, verification.id)
    assert stored is not None and code not in stored.code_hash and len(stored.code_hash) == 64
    assert stored.expires_at == stored.created_at + timedelta(minutes=5)

    wrong = "000000" if code != "000000" else "111111"
    assert await check(intake_db, verification.id, wrong) == "wrong_code"
    assert await check(intake_db, verification.id, code) == "verified"
    assert await check(intake_db, verification.id, code) == "already_verified"
    async with intake_db.sessions() as session:
        notes = (
            await session.scalars(
                sa.select(TimelineEntry)
                .where(TimelineEntry.ticket_id == ticket.id, TimelineEntry.kind == "verification")
                .order_by(TimelineEntry.at)
            )
        ).all()
    assert [n.customer_visible for n in notes] == [False, False]
    assert "验证通过" in notes[-1].text
    assert all(code not in n.text and PHONE not in n.text for n in notes)
    assert code not in capsys.readouterr().out


async def test_five_wrong_codes_lock_and_expired_codes_fail(intake_db: IntakeStore) -> None:
    verification = await send(intake_db)
    code = await sent_code(intake_db)
    wrong = "000000" if code != "000000" else "111111"
    outcomes = [await check(intake_db, verification.id, wrong) for _ in range(5)]
    assert outcomes == ["wrong_code"] * 4 + ["too_many_attempts"]
    assert await check(intake_db, verification.id, code) == "too_many_attempts"

    quick = IntakeSettings(verification_ttl_seconds=0, verification_min_interval_seconds=0)
    expired = await send(intake_db, quick)
    assert await check(intake_db, expired.id, await sent_code(intake_db)) == "code_expired"
    async with intake_db.uow() as uow:
        with pytest.raises(ApiError) as missing:
            await verifications.check_verification(uow, uuid.uuid4(), "123456", SETTINGS)
    assert missing.value.code == "verification_not_found"


async def test_sending_is_rate_limited_per_phone(intake_db: IntakeStore) -> None:
    await send(intake_db)
    async with intake_db.uow() as uow:
        with pytest.raises(ApiError) as caught:
            await verifications.start_verification(uow, VerificationCreate(phone=PHONE), SETTINGS)
        await uow.rollback()
    assert (caught.value.status, caught.value.code) == (429, "rate_limited")
    assert caught.value.details and caught.value.details["retry_after_seconds"] > 0
    assert await intake_db.count(Verification) == 1
    hourly = IntakeSettings(verification_min_interval_seconds=0)
    for _ in range(4):
        await send(intake_db, hourly)
    async with intake_db.uow() as uow:
        with pytest.raises(ApiError) as caught:
            await verifications.start_verification(uow, VerificationCreate(phone=PHONE), hourly)
        await uow.rollback()
    assert caught.value.code == "rate_limited"
    assert await intake_db.count(Verification) == 5
    assert len(await codes_sent(intake_db)) == 5


async def test_replicas_sending_at_once_send_one_code(database_url: str) -> None:
    async with migrated_intake(database_url) as one, migrated_intake(database_url) as two:

        async def attempt(store: IntakeStore) -> str:
            try:
                await send(store)
            except ApiError as exc:
                return exc.code
            return "sent"

        results = await asyncio.gather(attempt(one), attempt(two))
        assert sorted(results) == ["rate_limited", "sent"]
        assert await one.count(Verification) == 1


async def test_verification_http(tmp_path: Path, broker: str, topic_prefix: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with running_intake(url, broker, topic_prefix) as (client, _store):
        sent = await client.post("/v1/verifications", json={"phone": PHONE}, headers=GATEWAY)
        assert sent.status_code == 201, sent.text
        assert sent.json()["masked_phone"] == "138****5678"
        assert PHONE not in sent.text
        vid = sent.json()["verification_id"]
        # The relay runs here; the gateway reads the code from the broker.
        code = code_in((await published_notifications(broker, topic_prefix, 1))[-1])

        again = await client.post("/v1/verifications", json={"phone": PHONE}, headers=GATEWAY)
        assert (again.status_code, again.json()["code"]) == (429, "rate_limited")
        wait = again.json()["details"]["retry_after_seconds"]
        assert again.headers["Retry-After"] == str(wait) and 0 < wait <= 60
        for payload, expected in (
            ({"phone": "12345"}, "invalid_phone"),
            ({}, "validation_error"),
            ({"phone": PHONE, "ticket_id": "nope"}, "validation_error"),
        ):
            bad = await client.post("/v1/verifications", json=payload, headers=GATEWAY)
            assert (bad.status_code, bad.json()["code"]) == (422, expected)
        unknown_ticket = await client.post(
            "/v1/verifications",
            json={"phone": "13900001111", "ticket_id": str(uuid.uuid4())},
            headers=GATEWAY,
        )
        assert unknown_ticket.json()["code"] == "ticket_not_found"
        forbidden = await client.post(
            "/v1/verifications", json={"phone": PHONE}, headers=SUPERVISOR
        )
        assert forbidden.status_code == 403

        wrong = "000000" if code != "000000" else "111111"
        missed = await client.post(
            f"/v1/verifications/{vid}/check", json={"code": wrong}, headers=GATEWAY
        )
        assert (missed.status_code, missed.json()["code"]) == (422, "wrong_code")
        assert missed.json()["details"] == {"attempts_left": 4}
        malformed = await client.post(
            f"/v1/verifications/{vid}/check", json={"code": "12ab"}, headers=GATEWAY
        )
        assert malformed.json()["code"] == "validation_error"
        ok = await client.post(
            f"/v1/verifications/{vid}/check", json={"code": code}, headers=GATEWAY
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "verified"
        used = await client.post(
            f"/v1/verifications/{vid}/check", json={"code": code}, headers=GATEWAY
        )
        assert (used.status_code, used.json()["code"]) == (409, "already_verified")
        nowhere = await client.post(
            f"/v1/verifications/{uuid.uuid4()}/check", json={"code": code}, headers=GATEWAY
        )
        assert nowhere.json()["code"] == "verification_not_found"
