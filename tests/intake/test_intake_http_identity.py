"""Intake over HTTP: channels, identity, VIP list, de-duplication; and replicas racing."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from intake_support import (
    ADMIN,
    GATEWAY,
    SUPERVISOR,
    IntakeStore,
    migrated_intake,
    running_intake,
    ticket_body,
)
from testkit import person_token, poll

from services.intake import reception
from services.intake.models import Customer, CustomerIdentifier, Ticket, TicketMessage, VipEntry
from services.intake.schemas import TicketCreate
from services.intake.settings import IntakeSettings

RAW = "13812345678"


async def test_intake_http_identity_and_dedup(
    tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with running_intake(url, broker, topic_prefix) as (client, store):
        first = await client.post("/v1/tickets", json=ticket_body(), headers=GATEWAY)
        assert first.status_code == 201, first.text
        assert first.json()["deduplicated"] is False

        # The same issue over web chat within 24 h: attached, 200, deduplicated.
        again = await client.post(
            "/v1/tickets",
            json=ticket_body(channel="web_chat", customer={"phone": "+86 138 1234 5678"}),
            headers={**GATEWAY, "Idempotency-Key": "chat-7"},
        )
        assert again.status_code == 200, again.text
        assert again.json()["deduplicated"] is True
        assert again.json()["ticket_id"] == first.json()["ticket_id"]
        assert again.json()["message_id"]
        assert again.json()["match_reason"]
        replay = await client.post(
            "/v1/tickets",
            json=ticket_body(channel="web_chat", customer={"phone": "+86 138 1234 5678"}),
            headers={**GATEWAY, "Idempotency-Key": "chat-7"},
        )
        assert replay.status_code == 200
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json()["message_id"] == again.json()["message_id"]
        # The same key with another body: refused, not the old ticket silently returned.
        reused = await client.post(
            "/v1/tickets",
            json=ticket_body(channel="web_chat"),
            headers={**GATEWAY, "Idempotency-Key": "chat-7"},
        )
        assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")

        # An e-mail profile, then one contact that proves both are the same person.
        mail = await client.post(
            "/v1/tickets",
            json=ticket_body(
                channel="email",
                customer={"email": "li@example.com"},
                subject="退款没到账",
                description="退货一周了还没有收到退款。",
                email={"message_id": "<x1@example.com>"},
            ),
            headers=GATEWAY,
        )
        assert mail.status_code == 201, mail.text
        merged_id = mail.json()["customer_id"]
        assert merged_id != first.json()["customer_id"]
        both = await client.post(
            "/v1/tickets",
            json=ticket_body(
                channel="social",
                sub_channel="wechat",
                customer={"phone": RAW, "email": "li@example.com", "member_tier": "gold"},
                subject="发票开错了",
                description="发票抬头需要更正为公司名称。",
            ),
            headers=GATEWAY,
        )
        assert both.status_code == 201, both.text
        assert both.json()["customer_type"] == "vip"
        survivor = both.json()["customer_id"]

        profile = await client.get(f"/v1/customers/{merged_id}", headers=SUPERVISOR)
        assert profile.status_code == 200, profile.text
        view = profile.json()
        assert view["customer_id"] == survivor
        assert view["merged_customer_ids"] == [merged_id]
        assert len(view["tickets"]) == 3
        assert view["customer_type"] == "vip"
        assert {i["kind"] for i in view["identifiers"]} == {"phone", "email"}
        for raw in (RAW, "+8613812345678", "li@example.com"):
            assert raw not in profile.text

        # Viewers read figures, never customers: by key or signed in.
        viewer_person = person_token("viewer", roles=("viewer",))
        for viewer in ({"Authorization": "Bearer vw"}, viewer_person):
            for url in ("/v1/customers?phone=13812345678", f"/v1/customers/{survivor}"):
                looked = await client.get(url, headers=viewer)
                assert looked.status_code == 403, url
                assert looked.json()["code"] in ("forbidden", "role_not_allowed")
                assert RAW[-4:] not in looked.text
        agent_person = person_token("zhang", roles=("agent",), teams=("finance",))
        by_agent = await client.get("/v1/customers?phone=13812345678", headers=agent_person)
        assert by_agent.json()["customer_id"] == survivor
        for query in ("phone=13812345678", "email=LI@example.com", f"phone=%2B86{RAW}"):
            found = await client.get(f"/v1/customers?{query}", headers=SUPERVISOR)
            assert found.status_code == 200, (query, found.text)
            assert found.json()["customer_id"] == survivor
        for query, status, code in (
            ("", 422, "one_lookup_key"),
            ("phone=1&email=a@b.cn", 422, "one_lookup_key"),
            ("phone=12345", 422, "invalid_phone"),
            ("email=nope", 422, "invalid_email"),
            ("member_id=NOBODY", 404, "customer_not_found"),
            ("phone=" + "1" * 40, 422, "validation_error"),
        ):
            answer = await client.get(f"/v1/customers?{query}", headers=SUPERVISOR)
            assert (answer.status_code, answer.json()["code"]) == (status, code), query
        assert (await client.get(f"/v1/customers/{uuid.uuid4()}", headers=SUPERVISOR)).json()[
            "code"
        ] == "customer_not_found"

        # The VIP list is the admin's.
        vip = {"kind": "member_id", "value": "M-VIP", "note": "大客户"}
        assert (await client.post("/v1/vip", json=vip, headers=SUPERVISOR)).status_code == 403
        added = await client.post("/v1/vip", json=vip, headers=ADMIN)
        assert added.status_code == 201, added.text
        assert (await client.post("/v1/vip", json=vip, headers=ADMIN)).status_code == 200
        bad = await client.post("/v1/vip", json={"kind": "phone", "value": "1"}, headers=ADMIN)
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_phone")
        bad_kind = await client.post("/v1/vip", json={"kind": "x", "value": "1"}, headers=ADMIN)
        assert (bad_kind.status_code, bad_kind.json()["code"]) == (422, "validation_error")
        listed = await client.get("/v1/vip", headers=SUPERVISOR)
        assert [e["value"] for e in listed.json()] == ["M-VIP"]
        member = await client.post(
            "/v1/tickets",
            json=ticket_body(
                channel="store", customer={"member_id": "M-VIP"}, subject="a", description="b"
            ),
            headers=GATEWAY,
        )
        assert member.json()["customer_type"] == "vip"
        gone = await client.delete(f"/v1/vip/{added.json()['vip_id']}", headers=ADMIN)
        assert gone.status_code == 204
        again_gone = await client.delete(f"/v1/vip/{added.json()['vip_id']}", headers=ADMIN)
        assert again_gone.json()["code"] == "vip_entry_not_found"

        # Refused requests write nothing.
        before = await store.counts(Customer, CustomerIdentifier, Ticket, TicketMessage, VipEntry)
        for bad_body in (
            ticket_body(channel="pigeon"),
            ticket_body(channel="social"),
            ticket_body(customer={"phone": "12345"}),
            ticket_body(description="x" * 5001),
            ticket_body(metadata={"x": "y" * 9000}),
            ticket_body(channel="web_chat", phone_call={"handler": "x"}),
        ):
            refused = await client.post("/v1/tickets", json=bad_body, headers=GATEWAY)
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] in ("validation_error", "invalid_phone")
        not_json = await client.post(
            "/v1/tickets", content=b"{", headers={**GATEWAY, "content-type": "application/json"}
        )
        assert not_json.status_code == 422
        after = await store.counts(Customer, CustomerIdentifier, Ticket, TicketMessage, VipEntry)
        assert after == before

        async def published() -> bool:
            rows = await store.outbox()
            return all(r.published_at is not None for r in rows)

        await poll(published)


async def test_replicas_racing_on_one_key_and_one_new_customer(database_url: str) -> None:
    """Two replicas (two engines) take the same request at once: one ticket, one customer."""
    async with migrated_intake(database_url) as one, migrated_intake(database_url) as two:
        settings = IntakeSettings()
        request = TicketCreate.model_validate(ticket_body(customer={"phone": "13700001234"}))

        async def take(store: IntakeStore) -> reception.NewTicket:
            async with store.uow() as uow:
                result = await reception.receive_ticket(uow, request, "race-1", settings)
                await uow.commit()
                return result

        results = await asyncio.gather(take(one), take(two))
        assert results[0].ticket.id == results[1].ticket.id
        assert sorted(r.replayed for r in results) == [False, True]
        assert await one.count(Ticket) == 1
        assert await one.count(Customer) == 1

        # Different keys, same new customer, different issues: one profile, two tickets.
        # Two problems in other words (placeholder texts alike but for a number are what
        # the pair model may join as one).
        issues = {
            3: ("耳机充不进电", "蓝牙耳机插上充电线一点反应都没有"),
            40: ("发票", "发票抬头开错了,请重开"),
        }

        def other(i: int) -> TicketCreate:
            subject, description = issues[i]
            return TicketCreate.model_validate(
                ticket_body(
                    customer={"phone": "13700005678"}, subject=subject, description=description
                )
            )

        async def take_other(store: IntakeStore, i: int) -> reception.NewTicket:
            async with store.uow() as uow:
                result = await reception.receive_ticket(uow, other(i), None, settings)
                await uow.commit()
                return result

        await asyncio.gather(take_other(one, 3), take_other(two, 40))
        assert await one.count(Ticket) == 3
        assert await one.count(Customer) == 2
