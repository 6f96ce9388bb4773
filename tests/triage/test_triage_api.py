"""Triage over HTTP and its store, on SQLite and PostgreSQL: rule versioning, decisions,
SLA policies, calendars, re-triage and the knowledge base."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from testkit import TOKEN_PUBLIC_KEY, person_token
from triage_support import StoreRuntime, triage_in_process

from services.triage import service
from services.triage.app import MIGRATIONS
from services.triage.handlers import build_handlers
from services.triage.models import BUS, Correction, TriageDecision
from services.triage.rules.codec import rule_from_dict
from services.triage.rules.defaults import DEFAULT_RULES
from services.triage.rules.model import PriorityModifiers
from services.triage.sla import DEFAULT_CALENDARS, SLA_POLICIES, policy_from_dict
from shared.events import (
    TeamCreated,
    TeamData,
    TeamDeleted,
    TicketReceived,
    TicketReceivedData,
    TicketRetriaged,
    TicketTriaged,
    parse_event,
)
from shared.migrations import upgrade

KEYS = {"ad": "admin", "sv": "supervisor", "ag": "agent", "vw": "viewer", "gw": "gateway"}
ADMIN = {"Authorization": "Bearer ad"}
SUPERVISOR = {"Authorization": "Bearer sv"}
AGENT = {"Authorization": "Bearer ag"}
FINANCE_SUPERVISOR = person_token(
    "finance-supervisor", roles=("supervisor",), supervises=("finance",), display_name="财务主管"
)
LOGISTICS_SUPERVISOR = person_token(
    "logistics-supervisor", roles=("supervisor",), supervises=("logistics",)
)
# Monday 2026-11-23 10:00 in Shanghai: inside working hours.
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@dataclass
class Harness:
    client: httpx.AsyncClient
    runtime: StoreRuntime
    engine: AsyncEngine

    async def triage(self, subject: str, description: str = "", **kw: Any) -> TriageDecision:
        event = _received(subject, description, **kw)
        async with self.runtime.unit_of_work() as uow:
            decision = await service.triage_ticket(uow, event, self.runtime.settings)
            await uow.commit()
        assert decision is not None
        return decision

    async def decision(self, ticket_id: uuid.UUID) -> TriageDecision:
        async with self.runtime.sessions() as session:
            found = await session.get(TriageDecision, ticket_id)
        assert found is not None
        return found

    async def events(self) -> list[Any]:
        async with self.runtime.sessions() as session:
            rows = (await session.execute(sa.select(BUS.outbox).order_by(BUS.outbox.c.id))).all()
        return [parse_event(row.payload) for row in rows]


def _received(
    subject: str, description: str = "", customer_type: str = "new", at: datetime = T0
) -> TicketReceived:
    return TicketReceived(
        ticket_id=uuid.uuid4(),
        data=TicketReceivedData(
            ticket_no="T20261123-000001",
            channel="web_chat",
            customer_id=uuid.uuid4(),
            customer_type=customer_type,
            subject=subject,
            description=description,
            received_at=at,
        ),
    )


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    async with triage_in_process(
        database_url, "http://test", api_keys=KEYS, token_public_key=TOKEN_PUBLIC_KEY
    ) as (client, runtime, engine):
        yield Harness(client, runtime, engine)


LOST_PARCEL: dict[str, Any] = {
    "rule_id": "logistics.lost",
    "description": "A lost parcel is urgent",
    "conditions": {"keywords": ["快递丢了", "包裹丢失"]},
    "actions": {"category": "complaint", "priority": "P0", "team": "logistics", "scene": "in_sale"},
    "position": 0,
}


async def test_rule_changes_are_versioned_and_apply_to_new_tickets_only(
    harness: Harness,
) -> None:
    client = harness.client
    listed = await client.get("/v1/rules", headers=AGENT)
    assert listed.status_code == 200, listed.text
    assert listed.json()["version"] == 6
    # 0004, 0006, 0010, 0012 and 0013 put the code's default rule set in force over 0002's seed.
    seeded = [rule_from_dict(r) for r in listed.json()["rules"]]
    assert tuple(seeded) == DEFAULT_RULES

    before = await harness.triage("快递丢了,还没收到货")
    assert (before.decided_by, before.priority, before.rule_version) == ("logistics.delay", "P1", 6)

    forbidden = await client.post("/v1/rules", json=LOST_PARCEL, headers=SUPERVISOR)
    assert forbidden.status_code == 403
    created = await client.post("/v1/rules", json=LOST_PARCEL, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 7
    assert created.json()["rules"][0]["rule_id"] == "logistics.lost"

    after = await harness.triage("快递丢了,还没收到货")
    assert (after.decided_by, after.priority, after.rule_version) == ("logistics.lost", "P0", 7)
    assert (await harness.decision(before.ticket_id)).priority == "P1"

    dry = await client.post("/v1/classify", json={"subject": "包裹丢失了"}, headers=AGENT)
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert (body["decided_by"], body["rule_version"], body["priority"]) == (
        "logistics.lost",
        7,
        "P0",
    )
    assert body["deadlines"]["calendar"] == "24x7"
    assert any("logistics.lost" in line for line in body["explanation"])

    duplicate = await client.post("/v1/rules", json=LOST_PARCEL, headers=ADMIN)
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "rule_exists")

    updated_rule = {**LOST_PARCEL, "actions": {**LOST_PARCEL["actions"], "priority": "P1"}}
    updated = await client.put("/v1/rules/logistics.lost", json=updated_rule, headers=ADMIN)
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 8
    one = await client.get("/v1/rules/logistics.lost", headers=AGENT)
    assert one.json()["actions"]["priority"] == "P1"
    missing = await client.put("/v1/rules/nope", json=updated_rule, headers=ADMIN)
    assert (missing.status_code, missing.json()["code"]) == (404, "rule_not_found")

    deleted = await client.delete("/v1/rules/logistics.lost", headers=ADMIN)
    assert deleted.status_code == 200
    assert deleted.json()["version"] == 9
    assert (await client.get("/v1/rules/logistics.lost", headers=AGENT)).status_code == 404
    versions = await client.get("/v1/rules/versions", headers=AGENT)
    assert [v["version"] for v in versions.json()] == [9, 8, 7, 6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize(
    "broken",
    [
        {"actions": {"category": "complaint", "priority": "P1", "team": "nobody"}},
        {"actions": {"category": "gossip", "priority": "P1", "team": "logistics"}},
        {"actions": {"category": "complaint", "priority": "P7", "team": "logistics"}},
        {"conditions": {"patterns": ["(unclosed"]}},
        {"conditions": {}},
        {"conditions": {"keywords": [""]}},
    ],
)
async def test_broken_rules_are_refused_with_invalid_rule(
    harness: Harness, broken: dict[str, Any]
) -> None:
    rule = {**LOST_PARCEL, **broken}
    refused = await harness.client.post("/v1/rules", json=rule, headers=ADMIN)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid_rule"
    listed = await harness.client.get("/v1/rules", headers=AGENT)
    assert listed.json()["version"] == 6


async def test_a_team_announced_at_run_time_can_be_routed_to(harness: Harness) -> None:
    """Teams are dispatch's data: a rule may route to a team once triage has heard of it
    (issue 11: ``invalid_rule: unknown team 'vip_desk'`` before), and no more once it is
    deleted; re-triage follows the same copy."""
    rule = {**LOST_PARCEL, "rule_id": "vip.desk", "actions": {**LOST_PARCEL["actions"]}}
    rule["conditions"] = {"keywords": ["贵宾专线"]}
    rule["actions"]["team"] = "vip_desk"
    refused = await harness.client.post("/v1/rules", json=rule, headers=ADMIN)
    assert refused.status_code == 422 and "unknown team 'vip_desk'" in refused.text

    handlers = build_handlers(harness.runtime.settings)
    vip = TeamData(key="vip_desk", name="VIP 专席", updated_at=T0)
    async with harness.runtime.unit_of_work() as uow:
        await handlers["team.created"]([TeamCreated(producer="dispatch", data=vip)], uow)
        await uow.commit()
    created = await harness.client.post("/v1/rules", json=rule, headers=ADMIN)
    assert created.status_code == 201, created.text
    decision = await harness.triage("贵宾专线", "想问服务时间")
    assert (decision.team, decision.decided_by) == ("vip_desk", "vip.desk")
    moved = await harness.client.post(
        f"/v1/tickets/{(await harness.triage('物流延迟', '三天没到')).ticket_id}/retriage",
        json={"team": "vip_desk", "reason": "VIP customer"},
        headers=ADMIN,
    )
    assert moved.status_code == 200, moved.text

    gone = vip.model_copy(update={"updated_at": T0 + timedelta(hours=1)})
    async with harness.runtime.unit_of_work() as uow:
        await handlers["team.deleted"]([TeamDeleted(producer="dispatch", data=gone)], uow)
        await uow.commit()
    other = {**rule, "rule_id": "vip.desk.2", "conditions": {"keywords": ["贵宾热线"]}}
    again = await harness.client.post("/v1/rules", json=other, headers=ADMIN)
    assert again.status_code == 422 and "unknown team 'vip_desk'" in again.text


async def test_decision_records_versions_and_carries_the_calendar(harness: Harness) -> None:
    decision = await harness.triage("物流延迟", "三天没到")
    assert (decision.rule_version, decision.policy_version, decision.calendar_version) == (6, 1, 1)
    (event,) = await harness.events()
    assert isinstance(event, TicketTriaged)
    due = event.data.deadlines
    assert due.policy_version == 1
    assert due.calendar == "default"
    assert due.calendar_spec is not None
    # Monday 10:00 + 2 working hours.
    assert due.respond_by == T0 + timedelta(hours=2)
    assert event.data.decided_by == "logistics.delay"
    assert event.data.rule_version == 6
    view = await harness.client.get(f"/v1/decisions/{decision.ticket_id}", headers=AGENT)
    assert view.status_code == 200, view.text
    assert view.json()["fired_rules"] == ["logistics.delay"]


async def test_sla_policy_and_calendar_changes_are_versioned(harness: Harness) -> None:
    client = harness.client
    policies = await client.get("/v1/sla-policies", headers=AGENT)
    assert policies.status_code == 200
    assert policies.json()["version"] == 1
    assert policies.json()["active"] == "cross-industry"
    assert {p["name"] for p in policies.json()["policies"]} == set(SLA_POLICIES)

    faster = {
        "targets": {
            "P0": {"respond": "15m", "resolve": "4h", "calendar": "24x7"},
            "P1": {"respond": "1h", "resolve": "1d", "calendar": "default"},
            "P2": {"respond": "1d", "resolve": "3d", "calendar": "default"},
        }
    }
    changed = await client.put("/v1/sla-policies/cross-industry", json=faster, headers=ADMIN)
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    decision = await harness.triage("物流延迟")
    assert decision.policy_version == 2
    assert decision.respond_by == T0 + timedelta(hours=1)

    bad = {
        "targets": {
            **faster["targets"],
            "P1": {"respond": "soon", "resolve": "1d", "calendar": "default"},
        }
    }
    refused = await client.put("/v1/sla-policies/cross-industry", json=bad, headers=ADMIN)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_policy")
    unknown_calendar = {
        "targets": {
            **faster["targets"],
            "P2": {"respond": "1d", "resolve": "3d", "calendar": "mars"},
        }
    }
    refused = await client.put("/v1/sla-policies/x", json=unknown_calendar, headers=ADMIN)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_policy")

    calendars = await client.get("/v1/calendars", headers=AGENT)
    assert {c["name"] for c in calendars.json()["calendars"]} == {"default", "24x7"}
    assert calendars.json()["china_holiday_years"][1] >= 2026
    # Today becomes a company holiday: new P1 tickets start counting tomorrow.
    holiday = {
        "windows": [["09:00", "12:00"], ["13:30", "18:00"]],
        "extra_holidays": ["2026-11-23"],
    }
    put = await client.put("/v1/calendars/default", json=holiday, headers=ADMIN)
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 2
    moved = await harness.triage("物流延迟")
    assert moved.calendar_version == 2
    assert moved.respond_by == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tue 10:00 CST

    for bad_calendar in (
        {"windows": [["18:00", "09:00"]]},
        {"timezone": "Mars/Olympus"},
        {"windows": [["nine", "ten"]]},
    ):
        refused = await client.put("/v1/calendars/default", json=bad_calendar, headers=ADMIN)
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_calendar")
    agent = await client.put("/v1/calendars/default", json=holiday, headers=AGENT)
    assert agent.status_code == 403


async def test_retriage_logs_the_correction_and_emits_retriaged(harness: Harness) -> None:
    client = harness.client
    decision = await harness.triage("退货的钱还没退回来", customer_type="new")
    assert decision.team == "finance"
    path = f"/v1/tickets/{decision.ticket_id}/retriage"
    body = {"reason": "应由售后处理", "team": "after_sales", "priority": "P0"}

    assert (await client.post(path, json=body, headers=AGENT)).status_code == 403
    # A shared supervisor key is nobody; another team's supervisor is refused.
    keyed = await client.post(path, json=body, headers=SUPERVISOR)
    assert (keyed.status_code, keyed.json()["code"]) == (403, "person_required")
    other = await client.post(path, json=body, headers=LOGISTICS_SUPERVISOR)
    assert (other.status_code, other.json()["code"]) == (403, "not_team_supervisor")
    assert [e.type for e in await harness.events()] == ["ticket.triaged"]
    done = await client.post(path, json=body, headers=FINANCE_SUPERVISOR)
    assert done.status_code == 200, done.text
    assert (done.json()["team"], done.json()["priority"]) == ("after_sales", "P0")
    assert done.json()["retriaged_at"]

    events = await harness.events()
    assert [e.type for e in events] == ["ticket.triaged", "ticket.retriaged"]
    retriaged = events[1]
    assert isinstance(retriaged, TicketRetriaged)
    assert retriaged.data.retriage_reason == "应由售后处理"
    assert retriaged.data.deadlines.calendar == "24x7"
    assert retriaged.data.deadlines.respond_by == T0 + timedelta(minutes=30)
    async with harness.runtime.sessions() as session:
        logged = (await session.execute(sa.select(Correction.corrected_by))).scalars().all()
    assert logged == ["财务主管"]  # the person who corrected, by name

    report = await client.get("/v1/rules/corrections", headers=AGENT)
    assert report.status_code == 200
    assert report.json() == [
        {
            "rule_id": decision.decided_by,
            "decisions": 1,
            "corrections": 1,
            "correction_rate": 1.0,
        }
    ]

    unknown = await client.post(f"/v1/tickets/{uuid.uuid4()}/retriage", json=body, headers=ADMIN)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "decision_not_found")
    nothing = await client.post(path, json={"reason": "x"}, headers=ADMIN)
    assert (nothing.status_code, nothing.json()["code"]) == (422, "nothing_to_change")
    bad_team = await client.post(path, json={"reason": "x", "team": "ufo"}, headers=ADMIN)
    assert (bad_team.status_code, bad_team.json()["code"]) == (422, "unknown_team")


async def test_knowledge_base_search_crud_and_suggestions(harness: Harness) -> None:
    client = harness.client
    seeded = await client.get("/v1/kb/articles", headers=AGENT)
    assert seeded.status_code == 200
    titles = {a["title"] for a in seeded.json()}
    assert {"七天无理由退换货政策", "退款到账时间", "保修政策"} <= titles

    async def top(q: str) -> str:
        hits = await client.get("/v1/kb/search", params={"q": q}, headers=AGENT)
        assert hits.status_code == 200, hits.text
        assert hits.json(), q
        title: str = hits.json()[0]["article"]["title"]
        return title

    assert await top("七天无理由退货需要什么条件") == "七天无理由退换货政策"
    assert await top("退款多久到账") == "退款到账时间"
    assert await top("保修期多长") == "保修政策"
    assert (await client.get("/v1/kb/search", headers=AGENT)).json() == []

    decision = await harness.triage("请问七天无理由退货的条件是什么")
    assert decision.category == "inquiry"
    (event,) = await harness.events()
    assert event.data.kb_suggestions
    assert event.data.kb_suggestions[0].title == "七天无理由退换货政策"

    article = {
        "title": "双十一价保规则",
        "answer": "活动期间购买的商品享受15天价保。",
        "tags": ["价保", "双十一"],
        "category": "inquiry",
    }
    assert (await client.post("/v1/kb/articles", json=article, headers=AGENT)).status_code == 403
    created = await client.post("/v1/kb/articles", json=article, headers=ADMIN)
    assert created.status_code == 201, created.text
    article_id = created.json()["id"]
    assert await top("价保规则") == "双十一价保规则"

    expired = {**article, "valid_to": (datetime.now(UTC) - timedelta(days=1)).isoformat()}
    updated = await client.put(f"/v1/kb/articles/{article_id}", json=expired, headers=ADMIN)
    assert updated.status_code == 200, updated.text
    hits = await client.get("/v1/kb/search", params={"q": "价保"}, headers=AGENT)
    assert all(h["article"]["id"] != article_id for h in hits.json())

    backwards = {
        **article,
        "valid_from": "2026-12-01T00:00:00Z",
        "valid_to": "2026-11-01T00:00:00Z",
    }
    refused = await client.put(f"/v1/kb/articles/{article_id}", json=backwards, headers=ADMIN)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_article")

    gone = await client.delete(f"/v1/kb/articles/{article_id}", headers=ADMIN)
    assert gone.status_code == 204
    missing = await client.get(f"/v1/kb/articles/{article_id}", headers=AGENT)
    assert (missing.status_code, missing.json()["code"]) == (404, "article_not_found")
    garbage = await client.get("/v1/kb/articles/not-a-uuid", headers=AGENT)
    assert garbage.status_code == 404


async def test_priority_modifiers_are_configurable_over_http(harness: Harness) -> None:
    client = harness.client
    body = {"vip_raises": False, "wide_impact_keywords": ["全网"], "wide_impact_threshold": 10}
    assert (await client.put("/v1/rules/modifiers", json=body, headers=AGENT)).status_code == 403
    put = await client.put("/v1/rules/modifiers", json=body, headers=ADMIN)
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 7
    assert put.json()["modifiers"]["vip_raises"] is False
    vip = await harness.triage("物流延迟", customer_type="vip")
    assert (vip.priority, vip.rule_version) == ("P1", 7)
    wide = await harness.triage("物流延迟", "全网都没到")
    assert wide.priority == "P0"
    # A body without the question guard keeps the default one.
    assert put.json()["modifiers"]["question_cues"] == list(PriorityModifiers().question_cues)
    asked = await harness.triage("咨询", "买之前问一下,这个充电宝会不会冒烟")
    assert asked.priority != "P0"
    bad = await client.put(
        "/v1/rules/modifiers", json={**body, "wide_impact_threshold": 0}, headers=ADMIN
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    broken = await client.put(
        "/v1/rules/modifiers", json={**body, "question_cues": ["万一("]}, headers=ADMIN
    )
    assert (broken.status_code, broken.json()["code"]) == (422, "invalid_rule")
    assert "question_cues: invalid pattern" in broken.json()["message"]
    unguarded = await client.put(
        "/v1/rules/modifiers", json={**body, "question_cues": []}, headers=ADMIN
    )
    assert unguarded.status_code == 200, unguarded.text
    alarmed = await harness.triage("咨询", "买之前问一下,这个充电宝会不会冒烟")
    assert (alarmed.priority, alarmed.rule_version) == ("P0", 8)


async def test_history_downgrades_and_upgrades_again(database_url: str) -> None:
    from alembic import command

    from shared.migrations import alembic_config

    config = alembic_config(MIGRATIONS, database_url)
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    await asyncio.to_thread(command.downgrade, config, "0001")
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)


async def test_a_batch_is_decided_in_one_pass_and_redeliveries_change_nothing(
    harness: Harness,
) -> None:
    events = [
        _received("账号无法登录"),
        _received("请问保修政策是什么"),
        _received("想定制一批带公司标志的产品", customer_type="vip"),
    ]
    async with harness.runtime.unit_of_work() as uow:
        decisions = await service.triage_tickets(
            uow, [*events, events[0]], harness.runtime.settings
        )
        await uow.commit()
    assert [(d.category, d.priority, d.team) for d in decisions] == [
        ("fault", "P0", "tech_support"),
        ("inquiry", "P2", "frontline"),
        ("customization", "P1", "product"),
    ]
    async with harness.runtime.unit_of_work() as uow:
        assert await service.triage_tickets(uow, events, harness.runtime.settings) == []
        await uow.commit()
    emitted = await harness.events()
    assert [e.ticket_id for e in emitted] == [e.ticket_id for e in events]
    assert emitted[1].data.kb_suggestions[0].title == "保修政策"
    assert not emitted[0].data.kb_suggestions


async def test_seeded_policies_and_calendars_are_the_code_defaults(harness: Harness) -> None:
    policies = (await harness.client.get("/v1/sla-policies", headers=AGENT)).json()["policies"]
    assert {p["name"]: policy_from_dict(p) for p in policies} == SLA_POLICIES
    calendars = (await harness.client.get("/v1/calendars", headers=AGENT)).json()["calendars"]
    from shared.calendar import BusinessCalendar

    assert {c["name"]: BusinessCalendar.from_dict(c) for c in calendars} == DEFAULT_CALENDARS


async def test_retriage_keeps_the_policy_version_the_ticket_was_decided_under(
    harness: Harness,
) -> None:
    old = await harness.triage("物流延迟")
    faster = {
        "targets": {
            "P0": {"respond": "10m", "resolve": "2h", "calendar": "24x7"},
            "P1": {"respond": "1h", "resolve": "1d", "calendar": "default"},
            "P2": {"respond": "1d", "resolve": "3d", "calendar": "default"},
        }
    }
    put = await harness.client.put("/v1/sla-policies/cross-industry", json=faster, headers=ADMIN)
    assert put.status_code == 200, put.text
    done = await harness.client.post(
        f"/v1/tickets/{old.ticket_id}/retriage",
        json={"reason": "影响面大", "priority": "P0"},
        headers=LOGISTICS_SUPERVISOR,
    )
    assert done.status_code == 200, done.text
    assert done.json()["policy_version"] == 1
    # Version 1's P0 window (30 min), not the newer 10 min.
    respond_by = datetime.fromisoformat(done.json()["respond_by"])
    assert respond_by == T0 + timedelta(minutes=30)
    new = await harness.triage("物流延迟", customer_type="vip")
    assert (new.policy_version, new.respond_by) == (2, T0 + timedelta(minutes=10))


@pytest.mark.parametrize(
    ("subject", "description", "customer_type"),
    [
        ("请问保修政策是什么", "", "new"),  # an inquiry: suggestions too
        ("物流延迟", "三天了还没到", "vip"),  # VIP raises the priority
        ("功能建议", "所有用户都希望有夜间模式", "new"),  # wide impact raises it
        ("你好", "随便聊聊", "returning"),  # no rule: the default
    ],
)
async def test_classify_shows_the_decision_the_consumer_makes(
    harness: Harness, subject: str, description: str, customer_type: str
) -> None:
    decision = await harness.triage(subject, description, customer_type=customer_type)
    dry = await harness.client.post(
        "/v1/classify",
        json={
            "subject": subject,
            "description": description,
            "channel": "web_chat",
            "customer_type": customer_type,
            "received_at": T0.isoformat(),
        },
        headers=AGENT,
    )
    assert dry.status_code == 200, dry.text
    shown = dry.json()
    stored = {
        "category": decision.category,
        "scene": decision.scene,
        "priority": decision.priority,
        "team": decision.team,
        "skill": decision.skill,
        "tags": decision.tags,
        "keywords": decision.keywords,
        "explanation": decision.explanation,
        "fired_rules": decision.fired_rules,
        "decided_by": decision.decided_by,
        "rule_version": decision.rule_version,
    }
    assert {key: shown[key] for key in stored} == stored
    deadlines = shown["deadlines"]
    assert (deadlines["policy"], deadlines["calendar"]) == (decision.sla_policy, decision.calendar)
    assert datetime.fromisoformat(deadlines["respond_by"]) == decision.respond_by
    assert datetime.fromisoformat(deadlines["resolve_by"]) == decision.resolve_by
    assert len(shown["kb_suggestions"]) == len(decision.kb_suggestions or [])


async def test_a_consumer_keeps_its_engine_until_an_admin_changes_it(harness: Harness) -> None:
    """The engine and articles a consumer keeps across batches are built again after any
    change an admin makes, in each replica (two sets of handlers over the same store), from
    the next ticket on."""
    replicas = [build_handlers(harness.runtime.settings) for _ in range(2)]

    async def triaged(subject: str, description: str = "") -> list[TriageDecision]:
        decisions = []
        for handlers in replicas:
            event = _received(subject, description)
            async with harness.runtime.unit_of_work() as uow:
                await handlers["ticket.received"]([event], uow)
                await uow.commit()
            assert event.ticket_id is not None
            decisions.append(await harness.decision(event.ticket_id))
        return decisions

    def seen(decisions: list[TriageDecision]) -> set[tuple[str | None, str, int | None]]:
        return {(d.decided_by, d.priority, d.rule_version) for d in decisions}

    lost = "快递丢了,还没收到货"
    assert seen(await triaged(lost)) == {("logistics.delay", "P1", 6)}
    created = await harness.client.post("/v1/rules", json=LOST_PARCEL, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert seen(await triaged(lost)) == {("logistics.lost", "P0", 7)}
    lowered = {**LOST_PARCEL, "actions": {**LOST_PARCEL["actions"], "priority": "P2"}}
    updated = await harness.client.put("/v1/rules/logistics.lost", json=lowered, headers=ADMIN)
    assert updated.status_code == 200, updated.text
    assert seen(await triaged(lost)) == {("logistics.lost", "P2", 8)}
    deleted = await harness.client.delete("/v1/rules/logistics.lost", headers=ADMIN)
    assert deleted.status_code == 200, deleted.text
    assert seen(await triaged(lost)) == {("logistics.delay", "P1", 9)}

    def titles(decisions: list[TriageDecision]) -> list[set[str]]:
        assert all(d.category == "inquiry" for d in decisions)
        return [{s["title"] for s in d.kb_suggestions or []} for d in decisions]

    question = "请问双十一价保规则是什么"
    assert titles(await triaged(question)) == [set(), set()]
    article = {"title": "双十一价保规则", "answer": "活动期间享受15天价保。", "tags": ["价保"]}
    made = await harness.client.post("/v1/kb/articles", json=article, headers=ADMIN)
    assert made.status_code == 201, made.text
    assert titles(await triaged(question)) == [{"双十一价保规则"}] * 2
    renamed = {**article, "title": "双十一价保说明"}
    put = await harness.client.put(
        f"/v1/kb/articles/{made.json()['id']}", json=renamed, headers=ADMIN
    )
    assert put.status_code == 200, put.text
    assert titles(await triaged(question)) == [{"双十一价保说明"}] * 2
    gone = await harness.client.delete(f"/v1/kb/articles/{made.json()['id']}", headers=ADMIN)
    assert gone.status_code == 204
    assert titles(await triaged(question)) == [set(), set()]
