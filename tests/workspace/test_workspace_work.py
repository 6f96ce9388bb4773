"""The agent pages' pure logic: the views of "my work", the merged thread, the action
forms' checks, and which open streams an event concerns."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from services.workspace import work
from services.workspace.live import LiveHub
from services.workspace.session import SignedInPerson
from services.workspace.settings import WorkspaceSettings
from shared.events import CollaborationAnsweredData, TicketCollaborationAnswered

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")


def _item(state: str, minutes_left: float, **extra: object) -> dict[str, object]:
    due = (NOW + timedelta(minutes=minutes_left)).isoformat()
    return {
        "ticket_id": str(uuid.uuid4()),
        "state": state,
        "respond_by": due,
        "resolve_by": due,
        **extra,
    }


def test_my_work_views_follow_state_and_the_running_clock() -> None:
    new = _item("assigned", 20)
    working = _item("accepted", 600)
    late = _item("accepted", -5)
    waiting = _item("waiting_on_customer", -60)  # its clock is paused: not breached
    replied = _item("accepted", 900, customer_replied_at=NOW.isoformat())
    done = _item("resolved", 10)
    buckets = work.bucket([new, working, late, waiting, replied, done], NOW)
    assert buckets["new"] == [new]
    assert buckets["in_progress"][0] is replied  # a customer's reply comes first
    assert {id(i) for i in buckets["in_progress"]} == {id(working), id(late), id(replied)}
    assert buckets["waiting"] == [waiting]
    assert buckets["due_soon"] == [new]
    assert buckets["breached"] == [late]
    assert len(buckets["open"]) == 5 and done not in buckets["open"]


def test_the_thread_merges_both_sides_in_time_order_and_shows_a_reply_once() -> None:
    at = NOW.isoformat()
    later = (NOW + timedelta(minutes=1)).isoformat()
    messages = [
        {
            "author": "customer",
            "kind": "description",
            "body": "无法登录",
            "at": at,
            "channel": "phone",
        },
        {
            "author": "agent",
            "kind": "notice",
            "body": "最新进展：已重置密码",
            "at": later,
            "actor_name": "技术1号",
        },
    ]
    activity = [
        {
            "kind": "internal_note",
            "actor_name": "技术1号",
            "actor_id": "person:x",
            "text": "查日志",
            "at": (NOW + timedelta(seconds=30)).isoformat(),
        },
        {"kind": "public_reply", "actor_name": "技术1号", "text": "已重置密码", "at": later},
        {"kind": "public_reply", "actor_name": "技术1号", "text": "还未发出的回复", "at": later},
        {"kind": "resolved", "actor_name": "技术1号", "text": "已重置密码", "at": later},
        {"kind": "customer_replied", "actor_name": "客户", "text": "无法登录", "at": at},
        {
            "kind": "assigned",
            "actor_id": "system:dispatch",
            "actor_name": "system",
            "text": "",
            "at": at,
        },
    ]
    entries = work.thread(messages, activity)
    texts = [e.text for e in entries]
    assert texts.count("最新进展：已重置密码") == 1 and "已重置密码" not in texts  # shown once
    assert "还未发出的回复" in texts  # intake has not sent it yet: dispatch's record shows it
    resolved = next(e for e in entries if e.kind == "resolved")
    assert resolved.text == ""  # the event stays, its words are in intake's notice
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert next(e for e in entries if e.kind == "internal_note").side == "internal"
    assert next(e for e in entries if e.kind == "assigned").who == ""  # the system, unnamed
    # Intake unavailable: dispatch's side alone, customer replies included.
    alone = work.thread(None, activity)
    assert any(e.kind == "customer_replied" for e in alone)


def test_action_forms_check_their_fields_and_name_the_call() -> None:
    aid = str(uuid.uuid4())
    empty = work.action_request("resolve", aid, {"resolution_code": "Bad Code"}, ZONE)
    assert empty.errors == {"resolution_code": "error.code", "public_reply": "error.required"}
    good = work.action_request(
        "resolve",
        aid,
        {"resolution_code": "password_reset", "public_reply": "好了", "expected_version": "3"},
        ZONE,
    )
    assert not good.errors and good.path == f"/v1/assignments/{aid}/resolve"
    assert good.body == {
        "resolution_code": "password_reset",
        "public_reply": "好了",
        "expected_version": 3,
    }
    reply = work.action_request("reply", aid, {"note": "您好"}, ZONE)
    assert reply.path.endswith("/progress") and reply.body["customer_visible"] is True
    note = work.action_request("note", aid, {"note": "内部"}, ZONE)
    assert note.body["customer_visible"] is False
    money = work.action_request(
        "compensation", aid, {"kind": "cash", "amount": "abc", "reason": "x"}, ZONE
    )
    assert money.errors == {"kind": "error.choose", "amount": "error.number"}
    visit = work.action_request(
        "visit", aid, {"window_start": "2026-12-03T10:00", "window_end": "2026-12-03T09:00"}, ZONE
    )
    assert visit.errors == {"window_end": "error.window"}
    booked = work.action_request(
        "visit", aid, {"window_start": "2026-12-03T09:00", "window_end": "2026-12-03T12:00"}, ZONE
    )
    assert booked.body["window_start"] == "2026-12-03T01:00:00+00:00"  # 09:00 in Shanghai
    long = work.action_request("escalate", aid, {"reason": "x" * 1001}, ZONE)
    assert long.errors == {"reason": "error.too_long"}


def _person(
    teams: frozenset[str] = frozenset(), supervises: frozenset[str] = frozenset()
) -> SignedInPerson:
    return SignedInPerson(uuid.uuid4(), "p", "P", frozenset({"agent"}), teams, supervises, "tok")


async def test_an_event_reaches_the_streams_it_concerns_only() -> None:
    hub = LiveHub(WorkspaceSettings(live_updates=False))
    agent, other, supervisor = _person(), _person(), _person(supervises=frozenset({"finance"}))
    mine, theirs, boss = hub.open(agent), hub.open(other), hub.open(supervisor)
    ticket = str(uuid.uuid4())
    told = hub.dispatch(
        {
            "type": "ticket.assigned",
            "ticket_id": ticket,
            "data": {"agent_id": str(agent.id), "team": "tech_support"},
        }
    )
    assert told == 1 and mine.queue.qsize() == 2 and theirs.queue.empty() and boss.queue.empty()
    hub.showing(other, [ticket])  # the other agent opened the ticket's page
    hub.dispatch({"type": "ticket.message_added", "ticket_id": ticket, "data": {}})
    assert theirs.queue.qsize() == 2
    hub.dispatch(
        {"type": "sla.warning", "ticket_id": str(uuid.uuid4()), "data": {"team": "finance"}}
    )
    assert boss.queue.qsize() == 2
    signal = await asyncio.wait_for(mine.queue.get(), 1)
    assert signal.kind == "work" and f'"ticket_id": "{ticket}"' in signal.frame()
    # A page that replaces another opens its stream after the old one closed: what the
    # person has on screen outlives the stream, and a ticket page names its ticket.
    hub.close(theirs)
    again = hub.open(other)
    hub.dispatch({"type": "ticket.message_added", "ticket_id": ticket, "data": {}})
    assert again.queue.qsize() == 2
    elsewhere = str(uuid.uuid4())
    page = hub.open(supervisor, elsewhere)
    hub.dispatch({"type": "ticket.message_added", "ticket_id": elsewhere, "data": {}})
    assert page.queue.qsize() == 2


async def test_a_collaborators_answer_reaches_the_asking_agent_and_the_tickets_pages() -> None:
    """Dispatch's ticket.collaboration_answered, as it travels: the agent who asked is told
    (its ``agent_id``), so is whoever has the ticket on screen; nobody else."""
    hub = LiveHub(WorkspaceSettings(live_updates=False))
    asking, watching, other = _person(), _person(), _person()
    asker, watcher, stranger = hub.open(asking), hub.open(watching), hub.open(other)
    ticket = uuid.uuid4()
    hub.showing(watching, [ticket])
    event = TicketCollaborationAnswered(
        ticket_id=ticket,
        data=CollaborationAnsweredData(
            assignment_id=uuid.uuid4(),
            agent_id=asking.id,
            actor="person:x",
            actor_name="财务小李",
            collaboration_id=uuid.uuid4(),
            collaborator="finance",
            team="tech_support",
            answer="已扣款",
        ),
    )
    assert hub.dispatch(json.loads(event.model_dump_json())) == 2
    assert asker.queue.qsize() == 2 and watcher.queue.qsize() == 2 and stranger.queue.empty()
    kinds = {(await asker.queue.get()).kind, (await asker.queue.get()).kind}
    assert kinds == {"work", "ticket"}
