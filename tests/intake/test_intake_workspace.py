"""The workspace's reads on intake, on SQLite and PostgreSQL: a ticket by number with the
customer's words and the phone record form, within the caller's scope (team, assignee);
the conversation; search; a customer's history; audited contact reveals; canned replies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from intake_support import ADMIN, GATEWAY, SUPERVISOR, IntakeStore, intake_settings, running_intake
from testkit import person_token

from services.intake.handlers import build_handlers
from shared.events import (
    Envelope,
    NotificationRequested,
    NotificationRequestedData,
    ProgressNotedData,
    ResolvedData,
    TicketAssigned,
    TicketAssignedData,
    TicketProgressNoted,
    TicketQueued,
    TicketQueuedData,
    TicketResolved,
)

HANDLERS = build_handlers(intake_settings("sqlite+aiosqlite://"))
AGENT_ID = uuid.UUID("8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d")
TECH_AGENT = person_token(
    "wangfang", roles=("agent",), display_name="王芳", teams=("tech_support",)
)
FINANCE_AGENT = person_token("lina", roles=("agent",), teams=("finance",))
ASSIGNED = person_token("assigned", roles=("agent",), person_id=AGENT_ID, display_name="王芳")
TECH_LEAD = person_token("lead", roles=("supervisor",), supervises=("tech_support",))
FINANCE_LEAD = person_token("flead", roles=("supervisor",), supervises=("finance",))
VIEWER = person_token("viewer", roles=("viewer",))
ADMIN_PERSON = person_token("root", roles=("admin",), display_name="管理员")

PHONE_TICKET: dict[str, Any] = {
    "channel": "phone",
    "customer": {"name": "张三", "phone": "13912345678", "email": "zhang@example.com"},
    "subject": "账号无法登录",
    "description": "今天早上开始账号无法登录,请回电13912345678或发邮件zhang@example.com。",
    "order_no": "SO20261202001",
    "phone_call": {
        "call_started_at": "2026-12-02T09:10:00+08:00",
        "call_ended_at": "2026-12-02T09:15:00+08:00",
        "handler": "客服007",
        "verification_steps": ["核对订单系统信息"],
        "customer_type": "returning",
        "problem_type": "fault",
    },
}


async def handle(store: IntakeStore, *events: Envelope) -> None:
    async with store.uow() as uow:
        await HANDLERS[events[0].type](list(events), uow)
        await uow.commit()


def assigned(
    ticket_id: uuid.UUID, team: str, agent_id: uuid.UUID, at: datetime, name: str = "王芳"
) -> TicketAssigned:
    return TicketAssigned(
        ticket_id=ticket_id,
        occurred_at=at,
        data=TicketAssignedData(
            assignment_id=uuid.uuid4(),
            ticket_no="T",
            team=team,
            agent_id=agent_id,
            agent_name=name,
            priority="P2",
            category="fault",
            assigned_at=at,
        ),
    )


async def open_ticket(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/tickets", json={**PHONE_TICKET, **overrides}, headers=GATEWAY)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_ticket_by_number_within_scope_and_its_conversation(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_intake(database_url, broker, topic_prefix) as (client, store):
        created = await open_ticket(client)
        ticket_id, ticket_no = uuid.UUID(created["ticket_id"]), created["ticket_no"]
        now = datetime.now(UTC)
        await handle(store, assigned(ticket_id, "tech_support", AGENT_ID, now))

        # By number (was a 422) and by id: the customer's words, contacts masked.
        by_no = await client.get(f"/v1/tickets/{ticket_no}", headers=TECH_AGENT)
        assert by_no.status_code == 200, by_no.text
        view = by_no.json()
        assert view["ticket_id"] == str(ticket_id)
        assert view["description"].startswith("今天早上开始账号无法登录")
        assert "139****5678" in view["description"] and "z***@example.com" in view["description"]
        assert "13912345678" not in by_no.text and "zhang@example.com" not in by_no.text
        assert (view["channel"], view["order_no"], view["team"]) == (
            "phone",
            "SO20261202001",
            "tech_support",
        )
        assert view["assignee"] == {"agent_id": str(AGENT_ID), "name": "王芳"}
        form = view["phone_record"]
        assert (form["handler"], form["customer_name"], form["masked_phone"]) == (
            "客服007",
            "张三",
            "139****5678",
        )
        assert form["problem_type"] == "fault" and form["verification_steps"] == [
            "核对订单系统信息"
        ]
        assert (await client.get(f"/v1/tickets/{ticket_id}", headers=TECH_AGENT)).status_code == 200
        lower = await client.get(f"/v1/tickets/{ticket_no.lower()}", headers=TECH_AGENT)
        assert lower.status_code == 200

        # Who may read it: the team, the assignee, the team's supervisor, admins, keys.
        for headers in (ASSIGNED, TECH_LEAD, ADMIN_PERSON, GATEWAY, SUPERVISOR):
            response = await client.get(f"/v1/tickets/{ticket_no}", headers=headers)
            assert response.status_code == 200, (headers, response.text)
        for headers in (FINANCE_AGENT, FINANCE_LEAD, VIEWER):
            for ref in (ticket_no, str(ticket_id)):
                refused = await client.get(f"/v1/tickets/{ref}", headers=headers)
                assert (refused.status_code, refused.json()["code"]) == (403, "not_your_ticket")
                refused = await client.get(f"/v1/tickets/{ref}/messages", headers=headers)
                assert (refused.status_code, refused.json()["code"]) == (403, "not_your_ticket")
        bad = await client.get("/v1/tickets/ticket-1", headers=TECH_AGENT)
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_ticket_ref")
        missing = await client.get("/v1/tickets/T20991231-999999", headers=TECH_AGENT)
        assert (missing.status_code, missing.json()["code"]) == (404, "ticket_not_found")
        assert (await client.get(f"/v1/tickets/{ticket_no}")).status_code == 401

        # Dispatch's events may come twice and out of order: an older assignment changes
        # nothing; a transfer to finance (queued there) takes it from the tech team.
        await handle(store, assigned(ticket_id, "complaints", uuid.uuid4(), now - timedelta(1)))
        await handle(store, assigned(ticket_id, "tech_support", AGENT_ID, now))
        again = (await client.get(f"/v1/tickets/{ticket_no}", headers=TECH_AGENT)).json()
        assert (again["team"], again["assignee"]["agent_id"]) == ("tech_support", str(AGENT_ID))

        # The conversation: a later customer message and texts sent by system and agent.
        message = await client.post(
            f"/v1/tickets/{ticket_id}/messages",
            json={"body": "还是不行,新号码13800001111", "channel": "web_chat"},
            headers=GATEWAY,
        )
        assert message.status_code == 202, message.text
        person = f"person:{AGENT_ID}"
        await handle(
            store,
            TicketProgressNoted(
                ticket_id=ticket_id,
                occurred_at=now + timedelta(minutes=5),
                data=ProgressNotedData(
                    assignment_id=uuid.uuid4(),
                    agent_id=AGENT_ID,
                    actor=person,
                    actor_name="王芳",
                    note="已为您重置密码,请重新登录。",
                    customer_visible=True,
                ),
            ),
        )
        resolved_at = now + timedelta(minutes=9)
        result_notice = NotificationRequested(
            ticket_id=ticket_id,
            occurred_at=resolved_at,
            data=NotificationRequestedData(
                template="resolution", params={"reply": "密码已重置", "days": 3}
            ),
        )
        await handle(store, result_notice)  # before ticket.resolved: named once it arrives
        await handle(
            store,
            TicketResolved(
                ticket_id=ticket_id,
                occurred_at=resolved_at,
                data=ResolvedData(
                    assignment_id=uuid.uuid4(),
                    agent_id=AGENT_ID,
                    actor=person,
                    actor_name="王芳",
                    resolution_code="fixed",
                    public_reply="密码已重置",
                ),
            ),
        )
        thread = await client.get(f"/v1/tickets/{ticket_no}/messages", headers=TECH_AGENT)
        assert thread.status_code == 200, thread.text
        messages = thread.json()["messages"]
        assert "13800001111" not in thread.text and "13912345678" not in thread.text
        kinds = [(m["kind"], m["author"], m["template"]) for m in messages]
        assert kinds[0] == ("description", "customer", None)
        assert ("notice", "system", "acknowledgement") in kinds
        assert ("notice", "system", "assignment_notice_no_deadline") in kinds
        customer_said = [m for m in messages if m["kind"] == "message"]
        assert [(m["channel"], m["body"]) for m in customer_said] == [
            ("web_chat", "还是不行,新号码138****1111")
        ]
        replies = [m for m in messages if m["author"] == "agent"]
        assert [(m["template"], m["actor_id"], m["actor_name"]) for m in replies] == [
            ("progress_update", person, "王芳"),
            ("resolution", person, "王芳"),
        ]
        assert "已为您重置密码" in replies[0]["body"] and replies[0]["channel"] == "sms"
        assert [m["at"] for m in messages] == sorted(m["at"] for m in messages)
        assert messages[-1]["template"] == "resolution"

        # A supervisor's reassignment: the system's notice names who moved it, and the
        # new agent may read the ticket while the old one (no team) may not.
        moved = assigned(ticket_id, "tech_support", uuid.uuid4(), now + timedelta(minutes=20))
        moved.data.actor = "person:lead"
        moved.data.actor_name = "组长"
        await handle(store, moved)
        thread = await client.get(f"/v1/tickets/{ticket_no}/messages", headers=TECH_AGENT)
        last = thread.json()["messages"][-1]
        assert (last["author"], last["actor_name"], last["template"]) == (
            "system",
            "组长",
            "assignment_notice_no_deadline",
        )
        refused = await client.get(f"/v1/tickets/{ticket_no}", headers=ASSIGNED)
        assert refused.status_code == 403


async def test_search_finds_by_every_key_within_the_callers_teams(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_intake(database_url, broker, topic_prefix) as (client, store):
        tech = await open_ticket(client)
        finance = await open_ticket(
            client,
            channel="email",
            customer={"name": "李雷", "email": "Li.Lei@Example.com"},
            subject="退款未到账",
            description="上周退货,Refund still missing",
            order_no="SO20261202999",
            phone_call=None,
        )
        now = datetime.now(UTC)
        await handle(store, assigned(uuid.UUID(tech["ticket_id"]), "tech_support", AGENT_ID, now))
        await handle(
            store,
            TicketQueued(
                ticket_id=uuid.UUID(finance["ticket_id"]),
                occurred_at=now,
                data=TicketQueuedData(
                    assignment_id=uuid.uuid4(), ticket_no="T", team="finance", priority="P2"
                ),
            ),
        )

        async def found(q: str, headers: dict[str, str]) -> list[tuple[str, list[str]]]:
            response = await client.get("/v1/search", params={"q": q}, headers=headers)
            assert response.status_code == 200, response.text
            assert "13912345678" not in response.text
            return [(i["ticket_no"], i["matched"]) for i in response.json()["items"]]

        t, f = tech["ticket_no"], finance["ticket_no"]
        assert await found(t, TECH_AGENT) == [(t, ["ticket_no"])]
        assert await found("+86 139 1234 5678", TECH_AGENT) == [(t, ["phone"])]
        assert await found("SO20261202001", TECH_AGENT) == [(t, ["order_no"])]
        assert await found("无法登录", TECH_AGENT) == [(t, ["words"])]
        # Another team's tickets are never found by an agent; their lead and admins find them.
        assert await found(f, TECH_AGENT) == []
        assert await found("li.lei@example.com", FINANCE_AGENT) == [(f, ["email"])]
        assert await found("refund", FINANCE_LEAD) == [(f, ["words"])]
        assert await found("SO20261202999", ASSIGNED) == []
        assert await found("SO20261202999", ADMIN_PERSON) == [(f, ["order_no"])]
        assert await found(f, ADMIN_PERSON) == [(f, ["ticket_no"])]
        # LIKE wildcards are words, not patterns.
        assert await found("%", ADMIN_PERSON) == []
        hit = (await client.get("/v1/search", params={"q": f}, headers=FINANCE_AGENT)).json()
        assert hit["items"][0]["customer_name"] == "李*" and hit["items"][0]["team"] == "finance"
        refused = await client.get("/v1/search", params={"q": "x"}, headers=VIEWER)
        assert (refused.status_code, refused.json()["code"]) == (403, "role_not_allowed")
        empty = await client.get("/v1/search", params={"q": ""}, headers=TECH_AGENT)
        assert empty.status_code == 422
        blank = await client.get("/v1/search", params={"q": "  "}, headers=ADMIN_PERSON)
        assert (blank.status_code, blank.json()["code"]) == (422, "empty_query")


async def test_history_reveals_and_macros(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_intake(database_url, broker, topic_prefix) as (client, store):
        created = await open_ticket(client)
        ticket_no, customer_id = created["ticket_no"], created["customer_id"]
        now = datetime.now(UTC)
        await handle(
            store, assigned(uuid.UUID(created["ticket_id"]), "tech_support", AGENT_ID, now)
        )

        history = await client.get(f"/v1/customers/{customer_id}/tickets", headers=FINANCE_AGENT)
        assert history.status_code == 200, history.text
        assert [(h["ticket_no"], h["readable"]) for h in history.json()] == [(ticket_no, False)]
        mine = (await client.get(f"/v1/customers/{customer_id}/tickets", headers=TECH_AGENT)).json()
        assert mine[0]["readable"] is True and mine[0]["team"] == "tech_support"
        profile = (await client.get(f"/v1/customers/{customer_id}", headers=TECH_AGENT)).json()
        ids = {i["contact_id"]: i["value"] for i in profile["identifiers"] if i["contact_id"]}
        assert ids == {"phone:1": "139****5678", "email:1": "z***@example.com"}

        reveal = f"/v1/customers/{customer_id}/contacts/reveal"
        by_kind = await client.post(
            reveal, json={"kind": "phone", "reason": "客户要求回电"}, headers=TECH_AGENT
        )
        assert by_kind.status_code == 201, by_kind.text
        assert (by_kind.json()["value"], by_kind.json()["contact_id"]) == (
            "+8613912345678",
            "phone:1",
        )
        by_id = await client.post(
            reveal, json={"contact_id": "email:1", "reason": "邮件退信"}, headers=TECH_LEAD
        )
        assert by_id.json()["value"] == "zhang@example.com"
        for headers, code in (
            (VIEWER, "role_not_allowed"),
            (FINANCE_AGENT, "not_your_customer"),
            (SUPERVISOR, "person_required"),
            (GATEWAY, "forbidden"),
        ):
            refused = await client.post(
                reveal, json={"kind": "phone", "reason": "看看"}, headers=headers
            )
            assert (refused.status_code, refused.json()["code"]) == (403, code), refused.text
        for body, status in (
            ({"reason": "无"}, 422),
            ({"kind": "phone", "contact_id": "phone:1", "reason": "两个"}, 422),
            ({"contact_id": "phone:9", "reason": "没有的"}, 404),
            ({"kind": "phone"}, 422),
        ):
            assert (await client.post(reveal, json=body, headers=TECH_AGENT)).status_code == status
        audit = await client.get(f"/v1/customers/{customer_id}/reveals", headers=TECH_LEAD)
        assert audit.status_code == 200, audit.text
        assert [
            (r["contact_id"], r["masked_value"], r["reason"], r["actor_name"]) for r in audit.json()
        ] == [
            ("email:1", "z***@example.com", "邮件退信", "lead"),
            ("phone:1", "139****5678", "客户要求回电", "王芳"),
        ]
        assert "13912345678" not in audit.text
        refused = await client.get(f"/v1/customers/{customer_id}/reveals", headers=TECH_AGENT)
        assert refused.status_code == 403
        refused = await client.get(f"/v1/customers/{customer_id}/reveals", headers=FINANCE_LEAD)
        assert (refused.status_code, refused.json()["code"]) == (403, "not_your_customer")
        for headers in (ADMIN_PERSON, SUPERVISOR):
            seen = await client.get(f"/v1/customers/{customer_id}/reveals", headers=headers)
            assert seen.status_code == 200 and len(seen.json()) == 2

        # Canned replies with the ticket's fields; a new version applies at once.
        macros = await client.get(f"/v1/tickets/{ticket_no}/macros", headers=TECH_AGENT)
        assert macros.status_code == 200, macros.text
        texts = {m["key"]: m["text"] for m in macros.json()}
        assert list(texts) == ["macro.greeting", "macro.restate", "macro.apology", "macro.result"]
        assert "我是专员王芳" in texts["macro.greeting"]
        assert "“账号无法登录”" in texts["macro.restate"]
        assert ticket_no in texts["macro.apology"]
        assert (
            await client.get(f"/v1/tickets/{ticket_no}/macros", headers=FINANCE_AGENT)
        ).status_code == 403
        edited = await client.post(
            "/v1/templates/macro.greeting/versions",
            json={
                "language": "zh",
                "channel": "any",
                "body": "您好，我是{agent}，工单 {ticket_no} 由我跟进。",
            },
            headers=ADMIN,
        )
        assert edited.status_code == 201, edited.text
        macros = (await client.get(f"/v1/tickets/{ticket_no}/macros", headers=TECH_AGENT)).json()
        assert macros[0]["text"] == f"您好，我是王芳，工单 {ticket_no} 由我跟进。"
        assert macros[0]["version"] == 1
        english = await open_ticket(
            client,
            language="en",
            customer={"name": "Tom", "phone": "13700001111"},
            order_no=None,
            subject="Cannot log in",
            description="I cannot log in since this morning.",
        )
        await handle(
            store, assigned(uuid.UUID(english["ticket_id"]), "tech_support", AGENT_ID, now)
        )
        en = (
            await client.get(f"/v1/tickets/{english['ticket_no']}/macros", headers=TECH_AGENT)
        ).json()
        assert en[1]["text"].startswith(
            'Let me make sure I understood: you are telling us about "Cannot log in"'
        )
