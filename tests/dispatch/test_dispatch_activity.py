"""A ticket's activity (dispatch's part of the thread), collaborator answers, customer replies
and stale pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from dispatch_helpers import DispatchStore, act, add_agent, dispatch, load, refused
from eventkit import T0, triaged

from services.dispatch import agent_work, collaboration, customer_replies, reactions, repository
from services.dispatch.models import ActivityEntry, Assignment, SupervisorItem
from shared.auth import Principal
from shared.errors import ApiError
from shared.events import (
    TicketCollaborationAnswered,
    TicketMessageAdded,
    TicketMessageAddedData,
    TicketReopened,
    TicketStateData,
)
from shared.tokens import PersonClaims

RAW_PHONE = "13812345678"


def customer_message(
    ticket_id: uuid.UUID, body: str, reply: str | None = None
) -> TicketMessageAdded:
    return TicketMessageAdded(
        ticket_id=ticket_id,
        producer="intake",
        data=TicketMessageAddedData(message_id=uuid.uuid4(), body=body, reply=reply),
    )


def person(
    name: str, *, teams: tuple[str, ...] = (), roles: tuple[str, ...] = ("agent",)
) -> Principal:
    return Principal(
        role=roles[0],
        key_id=name,
        person=PersonClaims(
            person_id=uuid.uuid4(),
            login=name,
            display_name=name,
            roles=frozenset(roles),
            teams=frozenset(teams),
            supervises=frozenset(),
        ),
    )


async def lines(store: DispatchStore, ticket_id: uuid.UUID) -> list[ActivityEntry]:
    async with store.sessions() as session:
        return list(await repository.activity_of(session, ticket_id, 1000))


async def deliver(store: DispatchStore, *events: TicketMessageAdded) -> list[str]:
    async with store.uow() as uow:
        await customer_replies.on_customer_messages(uow, list(events))
        emitted = [e.type for e in uow.emitted]
        await uow.commit()
    return emitted


async def test_the_thread_records_who_did_what_with_contacts_masked(store: DispatchStore) -> None:
    agent = await add_agent(store, "王工")
    event = triaged()
    assert event.ticket_id is not None
    tid = event.ticket_id
    (a,) = await dispatch(store, event)
    await act(store, agent_work.accept, a.id, agent.id)
    await act(
        store,
        agent_work.note_progress,
        a.id,
        agent.id,
        note=f"客户手机 {RAW_PHONE},已回电",
        customer_visible=False,
    )
    await act(
        store,
        agent_work.note_progress,
        a.id,
        agent.id,
        note="已联系物流公司核实",
        customer_visible=True,
    )
    await act(
        store,
        agent_work.note_progress,
        a.id,
        agent.id,
        note="请帮忙看一下支付日志",
        customer_visible=False,
        collaborator="finance",
    )
    (request,) = [line for line in await lines(store, tid) if line.kind == "collaborator_request"]
    ident = uuid.UUID(request.data["collaboration_id"])

    # Only the asked colleague (here: someone of team finance) answers, once.
    async with store.uow() as uow:
        with pytest.raises(ApiError) as caught:
            await collaboration.answer(uow, ident, person("路人", teams=("logistics",)), "x")
    assert caught.value.code == "not_the_collaborator"
    finance = person("财务小李", teams=("finance",))
    async with store.uow() as uow:
        await collaboration.answer(uow, ident, finance, f"已扣款,请联系 {RAW_PHONE}")
        (answered,) = uow.emitted
        await uow.commit()
    # Other workspace processes learn of the answer: the event names the asking agent
    # (their pages) and the ticket's team, the answer masked like the thread's line.
    assert isinstance(answered, TicketCollaborationAnswered)
    assert answered.ticket_id == tid and answered.data.agent_id == agent.id
    assert (answered.data.collaboration_id, answered.data.team) == (ident, "tech_support")
    assert (answered.data.actor_name, answered.data.collaborator) == ("财务小李", "finance")
    assert RAW_PHONE not in answered.data.answer and "138****5678" in answered.data.answer
    async with store.uow() as uow:
        with pytest.raises(ApiError) as caught:
            await collaboration.answer(uow, ident, finance, "again")
    assert caught.value.code == "already_answered"

    await act(
        store,
        agent_work.resolve,
        a.id,
        agent.id,
        resolution_code="refund_sent",
        public_reply=f"已退款,如有问题请致电 {RAW_PHONE}",
    )
    thread = await lines(store, tid)
    assert [line.kind for line in thread] == [
        "assigned",
        "accepted",
        "internal_note",
        "public_reply",
        "collaborator_request",
        "collaborator_answer",
        "resolved",
    ]
    by_kind = {line.kind: line for line in thread}
    assert by_kind["assigned"].actor_id == "system:dispatch"
    assert by_kind["assigned"].data["agent_name"] == "王工"
    assert by_kind["accepted"].actor_id == f"person:{agent.id}"
    assert by_kind["accepted"].actor_name == "王工"
    assert by_kind["collaborator_answer"].actor_name == "财务小李"
    assert all(line.at is not None for line in thread)
    # No raw phone number anywhere dispatch keeps text: the thread, the assignment.
    assert all(RAW_PHONE not in (line.text or "") for line in thread)
    assert "138****5678" in (by_kind["internal_note"].text or "")
    resolved = await load(store, Assignment, a.id)
    assert RAW_PHONE not in resolved.public_reply and "138****5678" in resolved.public_reply


async def test_a_customer_reply_resumes_flags_and_leaves_the_reopen_to_followup(
    store: DispatchStore,
) -> None:
    agent = await add_agent(store, "王工")
    event = triaged()
    assert event.ticket_id is not None
    tid = event.ticket_id
    (a,) = await dispatch(store, event)
    await act(store, agent_work.accept, a.id, agent.id)
    await act(store, agent_work.wait_on_customer, a.id, agent.id, waiting=True)

    # Waiting on the customer: the reply resumes the ticket (follow-up resumes its clocks
    # from the progress note) and flags it for the agent.
    reply = customer_message(tid, f"截图已发,电话 {RAW_PHONE}")
    assert await deliver(store, reply) == ["ticket.progress_noted"]
    resumed = await load(store, Assignment, a.id)
    assert resumed.state == "accepted" and resumed.customer_replied_at is not None
    (noted,) = [e for e in await store.events() if e.type == "ticket.progress_noted"][-1:]
    assert noted.data.waiting_on_customer is False  # type: ignore[attr-defined]

    # In work: only the flag; the agent's next action clears it.
    assert await deliver(store, customer_message(tid, "请尽快")) == []
    await act(store, agent_work.note_progress, a.id, agent.id, note="处理中", customer_visible=True)
    assert (await load(store, Assignment, a.id)).customer_replied_at is None

    # Resolved: dispatch records the reply; follow-up owns the reopen (ticket.reopened),
    # which goes back to the last agent with a "reopened" inbox item.
    await act(
        store, agent_work.resolve, a.id, agent.id, resolution_code="done", public_reply="好了"
    )
    assert await deliver(store, customer_message(tid, "还是没有收到退款,问题没有解决!")) == []
    assert (await load(store, Assignment, a.id)).state == "resolved"
    reopened = TicketReopened(
        ticket_id=tid,
        producer="followup",
        data=TicketStateData(reason="the customer replied to the resolution", escalate=True),
    )
    async with store.uow() as uow:
        await reactions.reopen(uow, reopened)
        await uow.commit()
    back = await load(store, Assignment, a.id)
    assert back.state == "assigned" and back.agent_id == agent.id
    assert back.customer_replied_at is not None
    async with store.sessions() as session:
        kinds = (await session.scalars(sa.select(SupervisorItem.kind))).all()
    assert "reopened" in kinds

    thread = await lines(store, tid)
    kinds_in_order = [line.kind for line in thread]
    assert kinds_in_order.count("customer_replied") == 3
    assert kinds_in_order[-3:] == ["reopened", "escalated", "assigned"]
    replies = [line for line in thread if line.kind == "customer_replied"]
    assert replies[0].actor_id == "customer" and RAW_PHONE not in (replies[0].text or "")
    assert [line.kind for line in thread if line.actor_id == "system:dispatch"].count(
        "resumed"
    ) == 1

    # The same message redelivered is one line (the event id is unique in the thread).
    with pytest.raises(sa.exc.IntegrityError):
        await deliver(store, reply)


async def test_a_stale_page_is_refused_and_nothing_applies_twice(store: DispatchStore) -> None:
    agent = await add_agent(store, "王工")
    (a,) = await dispatch(store, triaged())
    seen = (await load(store, Assignment, a.id)).version
    accepted, _ = await act(store, agent_work.accept, a.id, agent.id, expected_version=seen)
    assert accepted.version == seen + 1
    # The same click again (a double submit) sees the old version: refused, nothing emitted.
    error = await refused(store, agent_work.accept, a.id, agent.id, expected_version=seen)
    assert error.code == "stale_assignment" and error.details == {
        "version": seen + 1,
        "state": "accepted",
    }
    error = await refused(
        store,
        agent_work.note_progress,
        a.id,
        agent.id,
        note="x",
        customer_visible=False,
        expected_version=seen,
    )
    assert error.code == "stale_assignment"
    # A reaction to an event changes the assignment too: the version moves.
    await deliver(store, customer_message(a.ticket_id, "在吗"))
    assert (await load(store, Assignment, a.id)).version == seen + 2


async def test_views_of_my_work_soonest_deadline_first(store: DispatchStore) -> None:
    agent = await add_agent(store, "王工", capacity=10)
    other = await add_agent(store, "老李", capacity=10)
    # T0-based deadlines: respond T0 + respond, resolve 24 h later.
    soon, later, late = (
        triaged(ticket_no=f"T-{n}", respond=r)
        for n, r in (
            ("SOON", timedelta(hours=1)),
            ("LATER", timedelta(hours=30)),
            ("LATE", -timedelta(hours=1)),
        )
    )
    assigned = {a.ticket_no: a for a in await dispatch(store, soon, later, late)}
    for a in assigned.values():
        if a.agent_id != agent.id:
            await act(
                store, agent_work.transfer, a.id, a.agent_id, reason="给王工", to_agent_id=agent.id
            )
    assert other.id  # two agents share the team; every ticket is 王工's now
    later_a = assigned["T-LATER"]
    await act(store, agent_work.accept, later_a.id, agent.id)
    await act(store, agent_work.wait_on_customer, later_a.id, agent.id, waiting=True)

    async def view(name: str, now: datetime = T0) -> list[str]:
        async with store.sessions() as session:
            rows = await repository.list_assignments(
                session, team=None, agent=agent.id, state=None, limit=50, view=name, now=now
            )
        return [a.ticket_no for a in rows]

    assert await view("new") == ["T-LATE", "T-SOON"]  # by response deadline
    assert await view("waiting") == ["T-LATER"]
    assert await view("in_progress") == []
    assert await view("breached") == ["T-LATE"]  # respond_by passed, not accepted
    assert await view("due_soon") == ["T-SOON"]  # respond within 4 h
    # A day and a bit later the waiting ticket's resolution deadline is near too.
    assert "T-LATER" in await view("due_soon", T0 + timedelta(hours=52))


async def test_one_tickets_assignment_by_its_id(store: DispatchStore) -> None:
    """``ticket=`` narrows any listing to that ticket's one assignment (its unique index),
    together with the other filters."""
    agent = await add_agent(store, "王工", capacity=10)
    first, second, third = await dispatch(
        store, *(triaged(ticket_no=f"T-BY-{n}") for n in (1, 2, 3))
    )

    async def listed(ticket: uuid.UUID, **filters: Any) -> list[uuid.UUID]:
        async with store.sessions() as session:
            rows = await repository.list_assignments(
                session,
                team=filters.get("team"),
                agent=filters.get("agent"),
                state=filters.get("state"),
                limit=50,
                view=filters.get("view"),
                ticket=ticket,
                now=T0,
            )
        return [a.id for a in rows]

    assert await listed(second.ticket_id) == [second.id]
    assert await listed(second.ticket_id, team="tech_support", agent=agent.id) == [second.id]
    assert await listed(third.ticket_id, view="new") == [third.id]
    assert await listed(first.ticket_id, team="finance") == []  # another team's filter
    assert await listed(first.ticket_id, state="resolved") == []
    assert await listed(uuid.uuid4()) == []
