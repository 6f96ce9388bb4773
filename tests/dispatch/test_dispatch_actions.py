"""Agent actions, refusals and queue draining at the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from dispatch_helpers import DispatchStore, act, add_agent, dispatch, load, refused
from eventkit import triaged

from services.dispatch import agent_work, roster
from services.dispatch.models import Agent, Assignment
from shared.errors import ApiError
from shared.events import (
    TicketAssigned,
    TicketProgressNoted,
    TicketQueued,
    TicketResolved,
    TicketTransferred,
    WorkOrderIssued,
    utcnow,
)


def _visit(start: datetime | None = None, end: datetime | None = None) -> dict[str, Any]:
    """book_visit's window (none given: dispatch proposes one), no note, within 48 hours."""
    return {"window_start": start, "window_end": end, "note": None, "within_hours": 48}


async def test_agent_carries_a_ticket_from_accept_to_resolve(store: DispatchStore) -> None:
    agent = await add_agent(store, "王工")
    (a,) = await dispatch(store, triaged(kb=True))
    assert a.state == "assigned" and a.agent_id == agent.id

    accepted, events = await act(store, agent_work.accept, a.id, agent.id)
    assert accepted.state == "accepted" and accepted.accepted_at is not None
    assert [e.type for e in events] == ["ticket.accepted"]
    assert events[0].data.agent_id == agent.id and events[0].ticket_id == a.ticket_id

    _, events = await act(
        store, agent_work.note_progress, a.id, agent.id, note="已联系客户", customer_visible=True
    )
    assert [e.type for e in events] == ["ticket.progress_noted"]
    assert events[0].data.customer_visible is True

    _, events = await act(
        store,
        agent_work.note_progress,
        a.id,
        agent.id,
        note="请帮忙看日志",
        customer_visible=False,
        collaborator="finance-agent-1",
    )
    assert events[0].data.collaborator == "finance-agent-1"

    waiting, events = await act(store, agent_work.wait_on_customer, a.id, agent.id, waiting=True)
    assert waiting.state == "waiting_on_customer"
    assert isinstance(events[0], TicketProgressNoted) and events[0].data.waiting_on_customer
    resumed, events = await act(store, agent_work.wait_on_customer, a.id, agent.id, waiting=False)
    assert resumed.state == "accepted"
    assert events[0].data.waiting_on_customer is False

    _, events = await act(store, agent_work.escalate, a.id, agent.id, reason="客户要求主管回电")
    assert [e.type for e in events] == ["ticket.escalated"]
    assert events[0].data.supervisor == "tech-supervisor"

    resolved, events = await act(
        store,
        agent_work.resolve,
        a.id,
        agent.id,
        resolution_code="reset",
        public_reply="已为您处理",
    )
    assert resolved.state == "resolved" and resolved.escalated
    assert [e.type for e in events] == ["ticket.resolved"]
    assert isinstance(events[0], TicketResolved)
    assert events[0].data.resolution_code == "reset"
    assert events[0].data.public_reply == "已为您处理"
    assert (await load(store, Agent, agent.id)).active_count == 0

    # Work order of the first assignment carried the KB suggestions and the keywords.
    order = next(e for e in await store.events() if isinstance(e, WorkOrderIssued))
    assert order.data.kb_suggestions and order.data.kb_suggestions[0].title == "设备无法启动"
    assert order.data.keywords == ["无法启动"]
    assert order.data.customer_type == "new" and order.data.supervisor == "tech-supervisor"
    assert order.data.masked_contact == "138****5678"


async def test_every_refusal_has_a_stable_code(store: DispatchStore) -> None:
    mine = await add_agent(store, "甲")
    other = await add_agent(store, "乙", capacity=0 + 1)
    (a,) = await dispatch(store, triaged())
    assert a.agent_id in {mine.id, other.id}
    holder, stranger = (mine, other) if a.agent_id == mine.id else (other, mine)

    missing = await refused(store, agent_work.accept, uuid.uuid4(), holder.id)
    assert (missing.status, missing.code) == (404, "assignment_not_found")
    unknown = await refused(store, agent_work.accept, a.id, uuid.uuid4())
    assert (unknown.status, unknown.code) == (403, "unknown_agent")
    not_yours = await refused(store, agent_work.accept, a.id, stranger.id)
    assert (not_yours.status, not_yours.code) == (403, "not_your_assignment")

    early = await refused(
        store, agent_work.resolve, a.id, holder.id, resolution_code="x1", public_reply="r"
    )
    assert (early.status, early.code) == (409, "invalid_state")
    assert "assigned" in early.message and early.details == {"state": "assigned"}
    early_progress = await refused(
        store, agent_work.note_progress, a.id, holder.id, note="n", customer_visible=False
    )
    assert early_progress.code == "invalid_state"
    not_waiting = await refused(store, agent_work.wait_on_customer, a.id, holder.id, waiting=False)
    assert not_waiting.code == "invalid_state"

    await act(store, agent_work.accept, a.id, holder.id)
    twice = await refused(store, agent_work.accept, a.id, holder.id)
    assert twice.code == "invalid_state" and "accepted" in twice.message

    await act(store, agent_work.resolve, a.id, holder.id, resolution_code="done", public_reply="好")
    again = await refused(
        store, agent_work.resolve, a.id, holder.id, resolution_code="done", public_reply="好"
    )
    assert again.code == "invalid_state" and "resolved" in again.message
    for fn, kw in (
        (agent_work.transfer, {"reason": "r", "to_team": "finance"}),
        (agent_work.escalate, {"reason": "r"}),
    ):
        late = await refused(store, fn, a.id, holder.id, **kw)
        assert late.code == "invalid_state"


async def test_transfer_refusals(store: DispatchStore) -> None:
    agent = await add_agent(store, "甲")
    busy = await add_agent(store, "乙", team="finance", skills={"refund": 3})
    away = await add_agent(store, "丙", team="finance", skills={"refund": 3}, status="away")
    (a,) = await dispatch(store, triaged())
    await dispatch(store, triaged(team="finance", category="after_sales"))  # 乙 is full now
    assert a.agent_id == agent.id
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"to_team": "nowhere"}, 404, "team_not_found"),
        ({"to_agent_id": uuid.uuid4()}, 404, "agent_not_found"),
        ({}, 422, "invalid_transfer"),
        ({"to_agent_id": agent.id}, 409, "invalid_transfer"),
        ({"to_agent_id": away.id}, 409, "agent_unavailable"),
        ({"to_agent_id": busy.id}, 409, "agent_at_capacity"),
        ({"to_agent_id": busy.id, "to_team": "logistics"}, 422, "invalid_transfer"),
    ]
    for kw, status, code in cases:
        error = await refused(store, agent_work.transfer, a.id, agent.id, reason="r", **kw)
        assert (error.status, error.code) == (status, code), kw


async def test_queue_drains_in_priority_order_when_capacity_frees(store: DispatchStore) -> None:
    agent = await add_agent(store, "甲", capacity=1)
    (first,) = await dispatch(store, triaged(ticket_no="T-1"))
    queued = await dispatch(
        store,
        triaged(ticket_no="T-P2", priority="P2"),
        triaged(ticket_no="T-P1-late", priority="P1", respond=timedelta(hours=5)),
        triaged(ticket_no="T-P1-early", priority="P1"),
        triaged(ticket_no="T-P0", priority="P0"),
    )
    assert all(q.state == "queued" for q in queued)
    served = []
    current = first
    for _ in range(4):
        await act(store, agent_work.accept, current.id, agent.id)
        _, events = await act(
            store, agent_work.resolve, current.id, agent.id, resolution_code="ok", public_reply="好"
        )
        # The freed capacity went to the head of the queue in the same transaction.
        types = [e.type for e in events]
        assert types[0] == "ticket.resolved" and "ticket.assigned" in types
        assert "work_order.issued" in types
        assigned = next(e for e in events if isinstance(e, TicketAssigned))
        assert assigned.data.reason == "drained"
        async with store.sessions() as session:
            following = await session.scalar(
                sa.select(Assignment).where(Assignment.id == assigned.data.assignment_id)
            )
        assert following is not None
        current = following
        served.append(current.ticket_no)
    assert served == ["T-P0", "T-P1-early", "T-P1-late", "T-P2"]
    assert (await load(store, Agent, agent.id)).active_count == 1


async def test_p0_reports_to_supervisor_and_needs_a_skill_level(store: DispatchStore) -> None:
    novice = await add_agent(store, "新人", skills={"fault": 1}, capacity=5)
    (p0,) = await dispatch(store, triaged(priority="P0", skill="fault"))
    assert p0.state == "queued", "a level-1 agent may not take a P0 ticket"
    (p2,) = await dispatch(store, triaged(priority="P2", skill="fault"))
    assert p2.agent_id == novice.id
    (vip,) = await dispatch(store, triaged(priority="P2", customer_type="vip"))
    assert vip.state == "queued", "nor a VIP ticket"
    # An expert coming online drains the queue: both waiting tickets go to them.
    expert = await add_agent(store, "专家", skills={"fault": 4}, capacity=5)
    assert (await load(store, Assignment, p0.id)).agent_id == expert.id
    assert (await load(store, Assignment, vip.id)).agent_id == expert.id
    events = await store.events()
    assigned = [e for e in events if isinstance(e, TicketAssigned)]
    p0_assigned = next(e for e in assigned if e.data.assignment_id == p0.id)
    assert p0_assigned.data.supervisor_notified and p0_assigned.data.supervisor == "tech-supervisor"
    orders = [e for e in events if isinstance(e, WorkOrderIssued)]
    assert {o.data.assignment_id for o in orders} == {p0.id, p2.id, vip.id}


async def test_transfer_to_a_team_frees_capacity_and_drains(store: DispatchStore) -> None:
    agent = await add_agent(store, "甲")
    finance = await add_agent(store, "财务", team="finance", skills={"refund": 3})
    (a,) = await dispatch(store, triaged(ticket_no="T-1"))
    (b,) = await dispatch(store, triaged(ticket_no="T-2"))
    assert b.state == "queued"
    moved, events = await act(
        store, agent_work.transfer, a.id, agent.id, reason="需要退款", to_team="finance"
    )
    assert moved.team_key == "finance" and moved.agent_id == finance.id
    assert moved.state == "assigned"
    types = [e.type for e in events]
    assert types[0] == "ticket.transferred"
    transferred = events[0]
    assert isinstance(transferred, TicketTransferred) and transferred.data.to_team == "finance"
    orders = [e for e in events if isinstance(e, WorkOrderIssued)]
    assert {o.data.team for o in orders} == {"finance", "tech_support"}
    assert (await load(store, Assignment, b.id)).agent_id == agent.id  # drained at once


async def test_transfer_to_a_full_team_queues_there(store: DispatchStore) -> None:
    agent = await add_agent(store, "甲")
    (a,) = await dispatch(store, triaged())
    moved, events = await act(
        store, agent_work.transfer, a.id, agent.id, reason="r", to_team="product"
    )
    assert moved.state == "queued" and moved.team_key == "product"
    assert [type(e) for e in events] == [TicketTransferred, TicketQueued]
    assert (await load(store, Agent, agent.id)).active_count == 0


async def test_offline_agent_unaccepted_work_is_redispatched(store: DispatchStore) -> None:
    leaving = await add_agent(store, "甲", capacity=2)
    (a,) = await dispatch(store, triaged(ticket_no="T-1"))
    (b,) = await dispatch(store, triaged(ticket_no="T-2"))
    await act(store, agent_work.accept, b.id, leaving.id)
    staying = await add_agent(store, "乙", capacity=2, status="away")
    _, events = await act(
        store, roster.update_agent, staying.id, {"status": "online"}, supervisor=None
    )
    assert events == []  # nothing was queued
    _, events = await act(
        store, roster.update_agent, leaving.id, {"status": "offline"}, supervisor=None
    )
    assert (await load(store, Assignment, a.id)).agent_id == staying.id  # not accepted: moved
    assert (await load(store, Assignment, b.id)).agent_id == leaving.id  # accepted: kept
    assert any(isinstance(e, TicketAssigned) and e.data.reason == "redispatched" for e in events)
    assert (await load(store, Agent, leaving.id)).active_count == 1


async def test_capacity_change_and_coming_online_drain_the_queue(store: DispatchStore) -> None:
    agent = await add_agent(store, "甲", capacity=1)
    await dispatch(store, *(triaged(ticket_no=f"T-{i}") for i in range(4)))
    _, events = await act(store, roster.update_agent, agent.id, {"capacity": 3}, supervisor=None)
    assert [e.type for e in events].count("ticket.assigned") == 2
    assert (await load(store, Agent, agent.id)).active_count == 3
    low = await refused(store, roster.update_agent, agent.id, {"capacity": 1}, supervisor=None)
    assert low.code == "capacity_below_load"
    await add_agent(store, "乙", capacity=5, status="offline")
    async with store.sessions() as session:
        waiting = (
            await session.scalars(sa.select(Assignment).where(Assignment.state == "queued"))
        ).all()
    assert len(waiting) == 1
    second = await refused(
        store, roster.update_agent, agent.id, {"team_key": "finance"}, supervisor=None
    )
    assert second.code == "agent_busy"


async def test_on_site_visit_gets_a_window_within_48_hours(store: DispatchStore) -> None:
    agent = await add_agent(store, "工程师")
    (a,) = await dispatch(store, triaged())
    early = await refused(store, agent_work.book_visit, a.id, agent.id, **_visit())
    assert early.code == "invalid_state"
    await act(store, agent_work.accept, a.id, agent.id)
    now = utcnow()

    async def refused_window(start_hours: int, end_hours: int) -> ApiError:
        """Booking a window this many hours from now, refused."""
        window = _visit(now + timedelta(hours=start_hours), now + timedelta(hours=end_hours))
        return await refused(store, agent_work.book_visit, a.id, agent.id, **window)

    too_late = await refused_window(47, 50)
    assert (too_late.status, too_late.code) == (422, "visit_too_late")
    backwards = await refused_window(5, 4)
    assert backwards.code == "invalid_visit_window"
    past = await refused_window(-3, -1)
    assert (past.status, past.code) == (422, "visit_in_the_past")
    booked, events = await act(store, agent_work.book_visit, a.id, agent.id, **_visit())
    assert booked.visit_until - booked.visit_from <= timedelta(hours=48)
    (noted,) = events
    assert isinstance(noted, TicketProgressNoted)
    assert noted.data.customer_visible and noted.data.visit_until == booked.visit_until
    # The window is the notice (intake words it in local time); no note adds nothing to it.
    assert noted.data.visit_from == booked.visit_from and noted.data.note == ""

    (inquiry,) = await dispatch(store, triaged(category="inquiry", team="tech_support"))
    other = await add_agent(store, "乙")  # coming online takes the queued ticket
    assert (await load(store, Assignment, inquiry.id)).agent_id == other.id
    await act(store, agent_work.accept, inquiry.id, other.id)
    wrong = await refused(store, agent_work.book_visit, inquiry.id, other.id, **_visit())
    assert wrong.code == "visit_not_applicable"


async def test_chats_may_have_their_own_capacity(store: DispatchStore) -> None:
    agent = await add_agent(store, "甲", capacity=1, chat_capacity=2)
    chats = await dispatch(store, *(triaged(ticket_no=f"C-{n}") for n in range(3)))
    (call,) = await dispatch(store, triaged(ticket_no="P-1", channel="phone"))
    assert [c.state for c in chats] == ["assigned", "assigned", "queued"]
    assert call.state == "assigned", "a phone ticket uses the ticket capacity, not the chats'"
    (call2,) = await dispatch(store, triaged(ticket_no="P-2", channel="phone"))
    assert call2.state == "queued"
    held = await load(store, Agent, agent.id)
    assert (held.active_count, held.chat_active_count) == (3, 2)
    # Finishing the phone ticket lets the waiting phone ticket in, not the waiting chat.
    await act(store, agent_work.accept, call.id, agent.id)
    await act(store, agent_work.resolve, call.id, agent.id, resolution_code="ok", public_reply="好")
    assert (await load(store, Assignment, call2.id)).agent_id == agent.id
    assert (await load(store, Assignment, chats[2].id)).state == "queued"
    low = await refused(store, roster.update_agent, agent.id, {"chat_capacity": 1}, supervisor=None)
    assert low.code == "capacity_below_load"
    # Removing the chat limit would put three tickets on a capacity of 1: refused.
    shared = await refused(
        store, roster.update_agent, agent.id, {"chat_capacity": 0}, supervisor=None
    )
    assert shared.code == "capacity_below_load"
    _, events = await act(
        store, roster.update_agent, agent.id, {"chat_capacity": 3}, supervisor=None
    )
    assert [e.type for e in events].count("ticket.assigned") == 1  # the waiting chat
    held = await load(store, Agent, agent.id)
    assert (held.active_count, held.chat_active_count) == (4, 3)


async def test_transfer_within_the_team_does_not_bounce_back(store: DispatchStore) -> None:
    agent = await add_agent(store, "甲")
    (a,) = await dispatch(store, triaged())
    moved, events = await act(
        store, agent_work.transfer, a.id, agent.id, reason="换人处理", to_team="tech_support"
    )
    assert moved.state == "queued" and moved.agent_id is None
    assert [type(e) for e in events] == [TicketTransferred, TicketQueued]
    other = await add_agent(store, "乙")  # the next agent online takes it
    assert (await load(store, Assignment, a.id)).agent_id == other.id
