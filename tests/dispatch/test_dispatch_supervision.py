"""Compensation approvals, the supervisor inbox, reopened and re-triaged tickets."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from dispatch_helpers import DispatchStore, act, add_agent, dispatch, load, refused
from eventkit import T0, triaged

from services.dispatch import agent_work, compensation, reactions, repository, roster
from services.dispatch.models import Agent, Assignment, SupervisorItem
from services.dispatch.people.models import Person
from services.dispatch.supervision_schemas import InboxItemView
from shared.errors import ApiError
from shared.events import (
    CompensationApproved,
    CompensationRequested,
    SlaBreached,
    SlaClockData,
    SlaWarning,
    TicketAssigned,
    TicketEscalated,
    TicketQueued,
    TicketReopened,
    TicketResolved,
    TicketStateData,
    TicketTransferred,
)

THRESHOLDS = {"coupon": 50.0, "refund": 200.0, "extended_warranty": 90.0, "free_repair": 300.0}


async def inbox(store: DispatchStore, team: str = "tech_support") -> dict[str, list[Any]]:
    async with store.sessions() as session:
        items = await repository.supervisor_items(session, team, 100)
    grouped: dict[str, list[Any]] = {}
    for item in items:
        grouped.setdefault(item.kind, []).append(item)
    return grouped


async def working(store: DispatchStore, **kw: Any) -> tuple[Agent, Assignment]:
    agent = await add_agent(store, "甲", **kw)
    (a,) = await dispatch(store, triaged())
    await act(store, agent_work.accept, a.id, agent.id)
    return agent, a


async def requested(
    store: DispatchStore, agent: Agent, a: Assignment, kind: str, amount: float, reason: str
) -> Any:
    """The agent asks for a compensation on ``a`` under the test thresholds."""
    return await act(
        store,
        compensation.request_compensation,
        a.id,
        agent.id,
        kind=kind,
        amount=amount,
        reason=reason,
        thresholds=THRESHOLDS,
    )


async def test_small_compensation_is_approved_by_policy(store: DispatchStore) -> None:
    agent, a = await working(store)
    comp, events = await requested(store, agent, a, "coupon", 20, "致歉")
    assert comp.state == "approved" and comp.decided_by == "policy"
    assert [type(e) for e in events] == [CompensationRequested, CompensationApproved]
    _, events = await act(
        store, agent_work.resolve, a.id, agent.id, resolution_code="ok", public_reply="好"
    )
    resolved = events[0]
    assert isinstance(resolved, TicketResolved)
    assert resolved.data.compensations == [
        {"compensation_id": str(comp.id), "kind": "coupon", "amount": 20.0}
    ]


async def test_refund_above_threshold_waits_for_the_team_supervisor(store: DispatchStore) -> None:
    agent, a = await working(store)
    comp, events = await requested(store, agent, a, "refund", 399, "破损")
    assert comp.state == "pending"
    assert [e.type for e in events] == ["compensation.requested"]
    assert events[0].data.needs_approval is True
    blocked = await refused(
        store, agent_work.resolve, a.id, agent.id, resolution_code="ok", public_reply="好"
    )
    assert (blocked.status, blocked.code) == (409, "compensation_pending")

    stranger = await refused(
        store,
        compensation.decide_compensation,
        comp.id,
        approve=True,
        supervisor=frozenset({"finance"}),
        reason=None,
    )
    assert (stranger.status, stranger.code) == (403, "not_team_supervisor")
    missing = await refused(
        store,
        compensation.decide_compensation,
        uuid.uuid4(),
        approve=True,
        supervisor=None,
        reason=None,
    )
    assert missing.code == "compensation_not_found"

    decided, events = await act(
        store,
        compensation.decide_compensation,
        comp.id,
        approve=False,
        supervisor=frozenset({"tech_support"}),
        reason="超出政策",
        by="技术主管",
    )
    assert decided.state == "rejected" and decided.decided_by == "技术主管"
    assert [e.type for e in events] == ["compensation.rejected"]
    assert events[0].data.reason == "超出政策"
    again = await refused(
        store,
        compensation.decide_compensation,
        comp.id,
        approve=True,
        supervisor=frozenset({"tech_support"}),
        reason=None,
    )
    assert again.code == "invalid_state" and "rejected" in again.message
    # Decided: the agent may resolve now, without the rejected compensation.
    _, events = await act(
        store, agent_work.resolve, a.id, agent.id, resolution_code="ok", public_reply="好"
    )
    assert events[0].data.compensations == []


async def test_escalations_reports_and_sla_alarms_reach_the_inbox(store: DispatchStore) -> None:
    agent = await add_agent(store, "甲", capacity=5)
    (p1,) = await dispatch(store, triaged(priority="P1"))
    (p2,) = await dispatch(store, triaged(priority="P2"))
    await act(store, agent_work.escalate, p2.id, agent.id, reason="客户情绪激动")
    clock = SlaClockData(clock="response", due_at=T0 + timedelta(hours=2), priority="P1")
    async with store.uow() as uow:
        await reactions.note_sla_events(
            uow,
            [
                SlaWarning(ticket_id=p1.ticket_id, data=clock),
                SlaBreached(ticket_id=p1.ticket_id, data=clock),
                # Unknown ticket but a team named: kept; neither: dropped.
                SlaWarning(
                    ticket_id=uuid.uuid4(), data=clock.model_copy(update={"team": "finance"})
                ),
                SlaWarning(ticket_id=uuid.uuid4(), data=clock),
            ],
        )
        await uow.commit()
    box = await inbox(store)
    assert [i.assignment_id for i in box["report"]] == [p1.id]  # P1 reported, P2 not
    assert [i.assignment_id for i in box["escalation"]] == [p2.id]
    assert [i.ticket_no for i in box["sla_warning"]] == [p1.ticket_no]
    assert [i.ticket_no for i in box["sla_breached"]] == [p1.ticket_no]
    assert [i.kind for i in (await inbox(store, "finance"))["sla_warning"]] == ["sla_warning"]
    async with store.sessions() as session:
        total = await session.scalar(sa.select(sa.func.count()).select_from(SupervisorItem))
    assert total == 5


async def account_for(store: DispatchStore, agent: Agent, display_name: str) -> None:
    """The agent's account: the person with the agent's id, whose display name people read."""
    async with store.uow() as uow:
        uow.session.add(
            Person(
                id=agent.id,
                login=f"agent-{agent.id.hex[:8]}",
                display_name=display_name,
                password_hash="x",
                roles=["agent"],
                teams=[agent.team_key],
                supervises=[],
                created_at=T0,
            )
        )
        await uow.commit()


async def test_inbox_items_carry_their_facts_and_the_agents_display_name(
    store: DispatchStore,
) -> None:
    """What the workspace words in its reader's language: the agent by display name (not
    the login-like agent name), the subject, the person's words masked, facts by kind."""
    agent = await add_agent(store, "tech_support-agent-1", capacity=5)
    await account_for(store, agent, "王工")
    (p0,) = await dispatch(store, triaged(priority="P0", ticket_no="T20261122-000007"))
    (p2,) = await dispatch(store, triaged(priority="P2", ticket_no="T20261122-000008"))
    await act(store, agent_work.escalate, p2.id, agent.id, reason="客户要求回电 13812345678")
    due = T0 + timedelta(hours=2)
    async with store.uow() as uow:
        await reactions.note_sla_events(
            uow,
            [SlaBreached(ticket_id=p0.ticket_id, data=SlaClockData(clock="response", due_at=due))],
        )
        await uow.commit()
    box = await inbox(store)
    (report,) = box["report"]
    assert (report.ticket_no, report.priority, report.subject) == (
        "T20261122-000007",
        "P0",
        "设备无法启动",
    )
    assert (report.agent_id, report.agent_name, report.data) == (
        agent.id,
        "王工",
        {"cause": "triaged"},
    )
    assert report.summary == "P0 ticket T20261122-000007 assigned to 王工 (triaged): 设备无法启动"
    (escalation,) = box["escalation"]
    assert (escalation.agent_name, escalation.ticket_no) == ("王工", "T20261122-000008")
    assert escalation.text is not None and "13812345678" not in escalation.text
    assert escalation.text.startswith("客户要求回电") and "王工 escalated" in escalation.summary
    (breach,) = box["sla_breached"]
    assert (breach.agent_name, breach.data) == (
        "王工",
        {"clock": "response", "due_at": due.isoformat()},
    )
    # The API answers the same fields, with the English summary kept for other clients.
    view = InboxItemView.model_validate(report).model_dump(mode="json")
    assert view["agent_name"] == "王工" and view["data"] == {"cause": "triaged"}
    assert "tech_support-agent-1" not in view["summary"]


async def test_the_daily_update_reminder_goes_to_the_agent_and_a_visible_note_clears_it(
    store: DispatchStore,
) -> None:
    agent, a = await working(store)
    due = T0 + timedelta(hours=24)
    update = SlaClockData(clock="update", due_at=due, priority="P1", team="tech_support")

    async def alarm(event: SlaWarning | SlaBreached) -> None:
        async with store.uow() as uow:
            await reactions.note_sla_events(uow, [event])
            await uow.commit()

    async def due_at() -> Any:
        async with store.sessions() as session:
            return (await session.get(Assignment, a.id)).update_due_at  # type: ignore[union-attr]

    await alarm(SlaWarning(ticket_id=a.ticket_id, data=update))
    assert await due_at() == due
    assert "sla_warning" not in await inbox(store)  # the agent's reminder, not the supervisor's
    await act(
        store, agent_work.note_progress, a.id, agent.id, note="内部备注", customer_visible=False
    )
    assert await due_at() == due
    await act(
        store, agent_work.note_progress, a.id, agent.id, note="正在处理", customer_visible=True
    )
    assert await due_at() is None
    # A missed update is the supervisor's business too.
    await alarm(SlaBreached(ticket_id=a.ticket_id, data=update))
    assert [i.summary for i in (await inbox(store))["sla_breached"]] == [
        f"update deadline breached at {due.isoformat()}"
    ]
    assert await due_at() == due


def reopened(ticket_id: uuid.UUID) -> TicketReopened:
    return TicketReopened(ticket_id=ticket_id, data=TicketStateData(reason="CSAT 1"))


async def test_reopened_ticket_goes_back_to_its_last_agent(store: DispatchStore) -> None:
    agent, a = await working(store)
    await act(store, agent_work.resolve, a.id, agent.id, resolution_code="ok", public_reply="好")
    back, events = await act(store, reactions.reopen, reopened(a.ticket_id))
    assert back.state == "assigned" and back.agent_id == agent.id and back.escalated
    assert [type(e).__name__ for e in events] == [
        "TicketEscalated",
        "TicketAssigned",
        "WorkOrderIssued",
    ]
    assert events[1].data.reason == "reopened"
    assert (await load(store, Agent, agent.id)).active_count == 1
    (item,) = (await inbox(store))["reopened"]
    assert (item.agent_id, item.agent_name, item.ticket_no) == (agent.id, "甲", a.ticket_no)


async def test_reopened_ticket_queues_when_the_last_agent_is_away(store: DispatchStore) -> None:
    agent, a = await working(store)
    await act(store, agent_work.resolve, a.id, agent.id, resolution_code="ok", public_reply="好")
    await act(store, roster.update_agent, agent.id, {"status": "away"}, supervisor=None)
    back, events = await act(store, reactions.reopen, reopened(a.ticket_id))
    assert back.state == "queued" and back.escalated and back.agent_id is None
    assert [type(e) for e in events] == [TicketEscalated, TicketQueued]
    # The last agent coming back takes it from the queue.
    await act(store, roster.update_agent, agent.id, {"status": "online"}, supervisor=None)
    assert (await load(store, Assignment, a.id)).agent_id == agent.id


async def test_retriage_to_another_team_reroutes(store: DispatchStore) -> None:
    agent = await add_agent(store, "甲")
    finance = await add_agent(store, "财务", team="finance", skills={"refund": 3})
    event = triaged()
    await dispatch(store, event)
    (waiting,) = await dispatch(store, triaged(ticket_no="T-2"))
    same = triaged(event.ticket_id, retriaged=True, priority="P1")
    kept, events = await act(store, reactions.retriage, same)
    assert kept.priority == "P1" and kept.agent_id == agent.id and events == []
    moved_event = triaged(event.ticket_id, retriaged=True, team="finance", category="after_sales")
    moved, events = await act(store, reactions.retriage, moved_event)
    assert moved.team_key == "finance" and moved.agent_id == finance.id
    assert isinstance(events[0], TicketTransferred) and events[0].data.reason == "分类错误"
    assert any(isinstance(e, TicketAssigned) and e.data.reason == "retriaged" for e in events)
    # The freed tech-support agent took the waiting ticket.
    assert (await load(store, Assignment, waiting.id)).agent_id == agent.id
    # A re-triage of a ticket dispatch never saw assigns it like a triage.
    fresh, _ = await act(store, reactions.retriage, triaged(retriaged=True, team="logistics"))
    assert fresh is not None and fresh.state == "queued"


TECH = frozenset({"tech_support"})


async def test_supervisor_manages_only_their_team(store: DispatchStore) -> None:
    agent = await add_agent(store, "甲")
    wrong = await refused(
        store, roster.update_agent, agent.id, {"capacity": 2}, supervisor=frozenset({"finance"})
    )
    assert wrong.code == "not_team_supervisor"
    changed, _ = await act(
        store,
        roster.update_agent,
        agent.id,
        {"capacity": 2},
        supervisor=frozenset({"tech_support"}),
    )
    assert changed.capacity == 2
    with pytest.raises(ApiError):
        async with store.uow() as uow:
            await roster.create_agent(
                uow,
                name="乙",
                team_key="tech_support",
                skills={},
                capacity=1,
                status="online",
                supervisor=frozenset({"finance"}),
            )
    dup = await refused(
        store,
        roster.create_agent,
        name="甲",
        team_key="tech_support",
        skills={},
        capacity=1,
        status="online",
        supervisor=None,
    )
    assert dup.code == "agent_exists"
    team, _ = await act(
        store, roster.create_team, key="vip_care", name="VIP", supervisor="vip-sv", skills=[]
    )
    assert team.key == "vip_care"
    exists = await refused(
        store, roster.create_team, key="vip_care", name="VIP", supervisor="x", skills=[]
    )
    assert exists.code == "team_exists"
    in_use = await refused(store, roster.delete_team, "tech_support")
    assert in_use.code == "team_in_use"
    await act(store, roster.delete_team, "vip_care")
