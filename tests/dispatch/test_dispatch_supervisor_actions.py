"""A supervisor reassigns and takes over tickets, handles and dismisses inbox items, grants
or refuses more time; unsatisfied surveys reach the inbox. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from dispatch_helpers import DispatchStore, act, add_agent, dispatch, load, refused
from eventkit import triaged

from services.dispatch import reactions, repository, supervision
from services.dispatch.models import ActivityEntry, Agent, Assignment, SupervisorItem
from services.dispatch.people.models import Person
from shared.auth import Principal
from shared.errors import ApiError
from shared.events import SurveyAnswered, SurveyAnsweredData, TicketAssigned
from shared.tokens import PersonClaims


def supervisor_of(*teams: str, name: str = "张主管") -> Principal:
    return Principal(
        role="supervisor",
        key_id=name,
        person=PersonClaims(
            person_id=uuid.uuid4(),
            login=f"boss-{uuid.uuid4().hex[:6]}",
            display_name=name,
            roles=frozenset({"supervisor"}),
            teams=frozenset(),
            supervises=frozenset(teams),
        ),
    )


BOSS = supervisor_of("tech_support")
BY = supervision.Supervisor.of(BOSS)


async def thread(store: DispatchStore, ticket_id: uuid.UUID) -> list[ActivityEntry]:
    async with store.sessions() as session:
        return list(await repository.activity_of(session, ticket_id, 100))


async def items(store: DispatchStore, kind: str, state: str = "open") -> list[SupervisorItem]:
    async with store.sessions() as session:
        rows = await repository.supervisor_items(session, "tech_support", 100, state)
    return [i for i in rows if i.kind == kind]


async def test_reassign_follows_routing_rules_and_names_the_supervisor(
    store: DispatchStore,
) -> None:
    wang = await add_agent(store, "王工", capacity=1)
    (a,) = await dispatch(store, triaged())
    assert a.agent_id == wang.id
    li = await add_agent(store, "老李", capacity=1)
    away = await add_agent(store, "小赵", status="away")
    finance = await add_agent(store, "钱会计", team="finance", skills={"refund": 2})

    async def refusal(agent_id: uuid.UUID, by: supervision.Supervisor = BY, **kw: Any) -> str:
        error = await refused(
            store, supervision.reassign, a.id, by, agent_id=agent_id, reason="调整", **kw
        )
        return f"{error.status} {error.code}"

    other_boss = supervision.Supervisor.of(supervisor_of("finance"))
    assert await refusal(li.id, other_boss) == "403 not_team_supervisor"
    assert await refusal(finance.id) == "422 agent_not_in_team"
    assert await refusal(away.id) == "409 agent_unavailable"
    assert await refusal(wang.id) == "409 already_assigned"
    assert await refusal(uuid.uuid4()) == "404 agent_not_found"
    version = (await load(store, Assignment, a.id)).version
    assert await refusal(li.id, expected_version=version - 1) == "409 stale_assignment"

    moved, events = await act(
        store,
        supervision.reassign,
        a.id,
        BY,
        agent_id=li.id,
        reason="王工请假",
        expected_version=version,
    )
    assert (moved.agent_id, moved.state) == (li.id, "assigned")
    assert (await load(store, Agent, wang.id)).active_count == 0
    assert (await load(store, Agent, li.id)).active_count == 1
    (assigned,) = [e for e in events if isinstance(e, TicketAssigned)]
    assert assigned.data.reason == "reassigned"
    assert (assigned.data.actor, assigned.data.actor_name) == (BY.actor, "张主管")
    # The stored event says who, too (the actor is set before the outbox row is written).
    stored = [e for e in await store.events() if isinstance(e, TicketAssigned)]
    assert stored[-1].data.actor_name == "张主管"
    line = (await thread(store, a.ticket_id))[-1]
    assert (line.kind, line.actor_name, line.text) == ("reassigned", "张主管", "王工请假")
    assert line.data["to_agent_name"] == "老李"
    # 老李 is full now: a second move to him is refused; 王工 has room again.
    (b,) = await dispatch(store, triaged(ticket_no="T20261122-000002"))
    assert b.agent_id == wang.id
    error = await refused(store, supervision.reassign, b.id, BY, agent_id=li.id, reason="x")
    assert error.code == "agent_at_capacity"


async def test_take_over_makes_the_supervisor_the_assignee(store: DispatchStore) -> None:
    wang = await add_agent(store, "王工", capacity=2)
    (a,) = await dispatch(store, triaged())
    taken, _ = await act(store, supervision.take_over, a.id, BOSS, reason="VIP 投诉,我来处理")
    assert BOSS.person is not None
    assert taken.agent_id == BOSS.person.person_id
    assert (await load(store, Agent, wang.id)).active_count == 0
    own = await load(store, Agent, BOSS.person.person_id)
    assert (own.team_key, own.status) == ("tech_support", "away")
    assert (await thread(store, a.ticket_id))[-1].kind == "taken_over"
    again = await refused(store, supervision.take_over, a.id, BOSS, reason="x")
    assert again.code == "already_assigned"


async def test_inbox_items_are_handled_or_dismissed_once_with_a_note(
    store: DispatchStore,
) -> None:
    await add_agent(store, "王工")
    await dispatch(store, triaged(priority="P1"))  # a P1 report
    (report,) = await items(store, "report")
    async with store.uow() as uow:
        with pytest.raises(ApiError) as caught:
            await supervision.close_item(
                uow,
                report.id,
                supervision.Supervisor.of(supervisor_of("finance")),
                state="handled",
                note=None,
            )
    assert caught.value.code == "not_team_supervisor"
    done, _ = await act(
        store, supervision.close_item, report.id, BY, state="handled", note="已电话 13812345678"
    )
    assert (done.state, done.closed_by, done.closed_by_name) == ("handled", BY.actor, "张主管")
    assert done.note == "已电话 138****5678"
    assert await items(store, "report") == []
    assert [i.id for i in await items(store, "report", "handled")] == [report.id]
    twice = await refused(
        store, supervision.close_item, report.id, BY, state="dismissed", note=None
    )
    assert (twice.status, twice.code) == (409, "invalid_state")
    missing = await refused(
        store, supervision.close_item, uuid.uuid4(), BY, state="dismissed", note=None
    )
    assert missing.code == "inbox_item_not_found"


async def test_more_time_granted_moves_the_deadline_refused_keeps_it(
    store: DispatchStore,
) -> None:
    wang = await add_agent(store, "王工", capacity=3)
    (a,) = await dispatch(store, triaged())
    due = a.resolve_by
    asked, _ = await act(
        store,
        supervision.request_extension,
        a.id,
        wang.id,
        extra_minutes=240,
        reason="等待厂家检测报告",
    )
    again = await refused(
        store, supervision.request_extension, a.id, wang.id, extra_minutes=10, reason="再要"
    )
    assert again.code == "extension_pending"
    (item,) = await items(store, "extension_request")
    assert item.ref_id == asked.id and "240" in item.summary
    assert (item.agent_id, item.agent_name, item.text) == (wang.id, "王工", "等待厂家检测报告")
    assert item.data == {"extra_minutes": 240, "due_at": due.isoformat()}
    # Handling the item without deciding is refused; the decision handles it.
    undecided = await refused(store, supervision.close_item, item.id, BY, state="handled", note="")
    assert undecided.code == "extension_pending"

    granted, events = await act(
        store, supervision.decide_extension, asked.id, BY, grant=True, note="同意"
    )
    assert granted.state == "granted" and granted.decided_by_name == "张主管"
    (extended,) = [e for e in events if e.type == "ticket.deadline_extended"]
    assert extended.data.previous_resolve_by == due
    assert extended.data.resolve_by == due + timedelta(minutes=240)
    assert (await load(store, Assignment, a.id)).resolve_by == due + timedelta(minutes=240)
    assert [i.state for i in await items(store, "extension_request", "handled")] == ["handled"]
    twice = await refused(store, supervision.decide_extension, asked.id, BY, grant=False, note="")
    assert twice.code == "invalid_state"

    second, _ = await act(
        store, supervision.request_extension, a.id, wang.id, extra_minutes=60, reason="还要"
    )
    await act(store, supervision.decide_extension, second.id, BY, grant=False, note="按时完成")
    assert (await load(store, Assignment, a.id)).resolve_by == due + timedelta(minutes=240)
    kinds = [line.kind for line in await thread(store, a.ticket_id)]
    assert kinds[-4:] == [
        "extension_requested",
        "extension_granted",
        "extension_requested",
        "extension_refused",
    ]
    granted_line = [line for line in await thread(store, a.ticket_id)][-3]
    assert granted_line.actor_name == "张主管"


async def test_an_unsatisfied_survey_reaches_the_inbox_with_its_comment(
    store: DispatchStore,
) -> None:
    await add_agent(store, "王工")
    (a,) = await dispatch(store, triaged())
    answers = [
        SurveyAnswered(
            ticket_id=a.ticket_id,
            data=SurveyAnsweredData(score=1, resolved=False, comment="包裹还是没到"),
        ),
        SurveyAnswered(ticket_id=a.ticket_id, data=SurveyAnsweredData(score=5, resolved=True)),
    ]
    async with store.uow() as uow:
        await reactions.note_unsatisfied_surveys(uow, answers)
        await uow.commit()
    (item,) = await items(store, "unsatisfied_survey")
    assert "包裹还是没到" in item.summary and "CSAT 1/5" in item.summary
    assert (item.agent_name, item.text) == ("王工", "包裹还是没到")
    assert item.data == {"score": 1, "resolved": False}
    assert (await thread(store, a.ticket_id))[-1].text == "包裹还是没到"


async def test_a_disabled_account_gets_no_reassigned_ticket(store: DispatchStore) -> None:
    await add_agent(store, "王工", capacity=1)
    (a,) = await dispatch(store, triaged())
    li = await add_agent(store, "老李", capacity=1)
    async with store.uow() as uow:
        # 老李's account (the person with the agent's id), disabled by an admin.
        uow.session.add(
            Person(
                id=li.id,
                login="laoli",
                display_name="老李",
                password_hash="x",
                roles=["agent"],
                teams=["tech_support"],
                supervises=[],
                disabled_at=a.created_at,
                created_at=a.created_at,
            )
        )
        await uow.commit()
    error = await refused(store, supervision.reassign, a.id, BY, agent_id=li.id, reason="x")
    assert (error.status, error.code) == (409, "agent_disabled")
