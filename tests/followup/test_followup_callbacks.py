"""Callbacks (回访) after resolution: planned by category, due over weekends and
holidays in working days, listed and completed over HTTP, and a breach when overdue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from followup_support import T0, FollowupStore, app_settings, open_store, triaged
from testkit import person_token, poll, serving

from services.followup import callbacks, sla_clocks
from services.followup.app import create_app
from services.followup.domain import within_working_hours
from services.followup.models import Callback
from services.followup.settings import FollowupSettings
from shared.calendar import DEFAULT_CALENDAR
from shared.errors import ApiError
from shared.events import CallbackCancelled, ResolvedData, TicketResolved

SETTINGS = FollowupSettings()
SHANGHAI = DEFAULT_CALENDAR.zone


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)  # type: ignore[arg-type, misc]


def resolved(ticket_id: uuid.UUID, at: datetime) -> TicketResolved:
    return TicketResolved(
        ticket_id=ticket_id,
        occurred_at=at,
        data=ResolvedData(
            assignment_id=uuid.uuid4(), at=at, resolution_code="done", public_reply="已处理"
        ),
    )


async def resolve_ticket(
    store: FollowupStore, category: str, at: datetime, **kw: Any
) -> tuple[uuid.UUID, list[Any]]:
    """Triage a ticket of ``category``, then resolve it at ``at``; the events emitted."""
    event = triaged(category=category, at=at - timedelta(hours=2), **kw)
    assert event.ticket_id is not None
    await store.open(event)
    async with store.uow() as uow:
        await callbacks.plan_callbacks(uow, [resolved(event.ticket_id, at)], SETTINGS)
        emitted = uow.emitted
        await uow.commit()
    return event.ticket_id, emitted


async def callbacks_of(store: FollowupStore, ticket_id: uuid.UUID) -> list[Callback]:
    async with store.sessions() as session:
        import sqlalchemy as sa

        rows = await session.scalars(sa.select(Callback).where(Callback.ticket_id == ticket_id))
        return list(rows.all())


async def one_callback(
    store: FollowupStore, category: str, at: datetime, **kw: Any
) -> tuple[Callback, list[Any]]:
    """``resolve_ticket``, asserting it planned exactly one callback: that and the events."""
    ticket_id, emitted = await resolve_ticket(store, category, at, **kw)
    (callback,) = await callbacks_of(store, ticket_id)
    return callback, emitted


async def complete(store: FollowupStore, callback_id: uuid.UUID, **kw: Any) -> list[Any]:
    async with store.uow() as uow:
        await callbacks.complete_callback(
            uow,
            callback_id,
            callbacks.CallRecord(outcome=kw.get("outcome", "客户满意"), score=kw.get("score", 5)),
            by="person:test",
            by_name="王芳",
            now=kw.get("now", T0 + timedelta(hours=3)),
        )
        emitted = uow.emitted
        await uow.commit()
    return emitted


async def test_after_sales_gets_a_callback_24_hours_after_resolution(
    store: FollowupStore,
) -> None:
    ticket_id, emitted = await resolve_ticket(store, "after_sales", T0, team="after_sales")
    assert [e.type for e in emitted] == ["callback.scheduled", "notification.requested"]
    scheduled = emitted[0].data
    assert scheduled.kind == "after_sales_callback"
    assert scheduled.owner == "after_sales"
    assert scheduled.due_at == T0 + timedelta(hours=24)
    assert emitted[1].data.template == "callback"
    (callback,) = await callbacks_of(store, ticket_id)
    assert (callback.state, callback.due_at) == ("open", T0 + timedelta(hours=24))


async def test_suggestion_feedback_is_due_in_three_working_days_over_a_weekend(
    store: FollowupStore,
) -> None:
    ticket_id, emitted = await resolve_ticket(store, "suggestion", local(2026, 11, 27, 15, 0))
    assert [e.type for e in emitted] == ["callback.scheduled"]
    (callback,) = await callbacks_of(store, ticket_id)
    assert callback.kind == "suggestion_feedback"
    assert callback.owner == "product"
    assert callback.due_at == local(2026, 12, 2, 15, 0)  # Mon, Tue, Wed


async def test_a_callback_within_24_hours_is_due_inside_working_hours(
    store: FollowupStore,
) -> None:
    # Resolved on Friday 02:31: 24 h later is Saturday night, so the end of Friday's
    # working day, still within 24 h (seed 001: 售后问题24小时内回访).
    ticket_id, emitted = await resolve_ticket(
        store, "after_sales", local(2026, 11, 27, 2, 31), team="after_sales"
    )
    (callback,) = await callbacks_of(store, ticket_id)
    assert callback.due_at == local(2026, 11, 27, 18, 0)
    assert emitted[1].data.params["due_at"] == local(2026, 11, 27, 18, 0).isoformat()
    # Resolved on Friday 20:00: no working time before Saturday 20:00, so Monday 09:00.
    late, _ = await resolve_ticket(
        store, "after_sales", local(2026, 11, 27, 20, 0), team="after_sales"
    )
    (late_callback,) = await callbacks_of(store, late)
    assert late_callback.due_at == local(2026, 11, 30, 9, 0)


async def test_fault_tickets_get_a_callback_and_suggestions_are_due_in_working_hours(
    store: FollowupStore,
) -> None:
    # Seed 003: 故障类 ... 回访确认, owned by the ticket's team.
    callback, emitted = await one_callback(store, "fault", T0, team="tech_support")
    assert (callback.kind, callback.owner) == ("fault_callback", "tech_support")
    assert callback.due_at == T0 + timedelta(hours=24)
    assert [e.type for e in emitted] == ["callback.scheduled", "notification.requested"]
    # A suggestion resolved at 05:42 on a Tuesday: three working days of working time,
    # from 09:00, end at Thursday's close, not at 05:42.
    feedback, _ = await one_callback(store, "suggestion", local(2026, 11, 24, 5, 42))
    assert feedback.due_at == local(2026, 11, 26, 18, 0)


async def test_a_reopened_ticket_cancels_its_callback(store: FollowupStore) -> None:
    from shared.events import TicketStateData

    ticket_id, _ = await resolve_ticket(store, "complaint", T0, team="complaints")
    async with store.uow() as uow:
        await sla_clocks.stop_clocks(uow, "resolution", [(ticket_id, T0)])
        await uow.commit()
    async with store.uow() as uow:
        reopened = await sla_clocks.reopen_ticket(
            uow, ticket_id, T0 + timedelta(hours=1), TicketStateData(reason="r"), SETTINGS
        )
        emitted = uow.emitted
        await uow.commit()
    assert reopened
    cancelled = [e for e in emitted if isinstance(e, CallbackCancelled)]
    (callback,) = await callbacks_of(store, ticket_id)
    assert [e.data.callback_id for e in cancelled] == [callback.id]
    assert (callback.state, callback.next_fire_at) == ("cancelled", None)
    with pytest.raises(ApiError) as refused:
        await complete(store, callback.id)
    assert (refused.value.status, refused.value.code) == (409, "callback_cancelled")


async def test_suggestion_feedback_skips_national_day_and_counts_the_make_up_workday(
    store: FollowupStore,
) -> None:
    callback, _ = await one_callback(store, "suggestion", local(2026, 9, 30, 10, 0))
    # Oct 1–7 are off; Oct 8, Oct 9 and Saturday Oct 10 (调休) are working days.
    assert callback.due_at == local(2026, 10, 10, 10, 0)


async def test_complaints_get_a_satisfaction_callback_and_inquiries_none(
    store: FollowupStore,
) -> None:
    callback, _ = await one_callback(store, "complaint", T0, team="complaints")
    assert (callback.kind, callback.owner) == ("satisfaction_callback", "complaints")
    inquiry, emitted = await resolve_ticket(store, "inquiry", T0)
    assert emitted == [] and await callbacks_of(store, inquiry) == []
    # A resolution seen before its triage plans nothing.
    async with store.uow() as uow:
        assert await callbacks.plan_callbacks(uow, [resolved(uuid.uuid4(), T0)], SETTINGS) == []


async def test_an_overdue_callback_breaches_once_and_a_completed_one_never(
    store: FollowupStore,
) -> None:
    late, _ = await resolve_ticket(store, "after_sales", T0)
    done, _ = await resolve_ticket(store, "complaint", T0)
    (done_callback,) = await callbacks_of(store, done)
    await complete(store, done_callback.id)

    async def fire(now: datetime) -> list[Any]:
        async with store.uow() as uow:
            await callbacks.fire_due_callbacks(uow, now)
            emitted = uow.emitted
            await uow.commit()
        return emitted

    assert await fire(T0 + timedelta(hours=23, minutes=59)) == []
    fired = await fire(T0 + timedelta(hours=24))
    assert [(e.type, e.ticket_id, e.data.clock) for e in fired] == [
        ("sla.breached", late, "callback")
    ]
    (late_callback,) = await callbacks_of(store, late)
    assert fired[0].data.callback_id == late_callback.id
    assert await fire(T0 + timedelta(days=5)) == []
    # Completing late is still recorded.
    emitted = await complete(store, late_callback.id, now=T0 + timedelta(days=2))
    assert emitted[0].type == "callback.completed"


async def test_complete_records_outcome_once(store: FollowupStore) -> None:
    callback, _ = await one_callback(store, "suggestion", T0)
    emitted = await complete(store, callback.id, outcome="已同步产品团队", score=4)
    assert [e.type for e in emitted] == ["callback.completed", "notification.requested"]
    assert (emitted[0].data.outcome, emitted[0].data.score) == ("已同步产品团队", 4)
    assert (emitted[0].data.completed_by, emitted[0].data.completed_by_name) == (
        "person:test",
        "王芳",
    )
    assert emitted[1].data.template == "suggestion_feedback"
    with pytest.raises(ApiError) as twice:
        await complete(store, callback.id)
    assert (twice.value.status, twice.value.code) == (409, "callback_already_completed")
    with pytest.raises(ApiError) as missing:
        await complete(store, uuid.uuid4())
    assert (missing.value.status, missing.value.code) == (404, "callback_not_found")


async def test_callbacks_over_http(tmp_path: Any, broker: str, topic_prefix: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/followup.db"
    store = await open_store(url)
    try:
        base = T0 - timedelta(days=7)  # a Monday; both tasks are overdue by the wall clock
        after_sales, _ = await resolve_ticket(store, "after_sales", base, team="after_sales")
        suggestion, _ = await resolve_ticket(store, "suggestion", base + timedelta(hours=1))
        app = create_app(app_settings(url, broker, topic_prefix))
        async with serving(app, ready_within=30) as client:
            viewer = {"Authorization": "Bearer vw"}
            agent = {"Authorization": "Bearer ag"}
            listed = await client.get("/v1/callbacks", headers=viewer)
            assert listed.status_code == 200, listed.text
            items = listed.json()["items"]
            assert [i["ticket_id"] for i in items] == [str(after_sales), str(suggestion)]
            # The timer reports both overdue.

            async def overdue() -> Any:
                body = (await client.get("/v1/callbacks?state=overdue", headers=viewer)).json()
                return body["items"] if len(body["items"]) == 2 else None

            assert all(i["overdue"] for i in await poll(overdue))
            mine = await client.get("/v1/callbacks?owner=product", headers=agent)
            assert [i["kind"] for i in mine.json()["items"]] == ["suggestion_feedback"]
            due = (base + timedelta(hours=25)).isoformat().replace("+00:00", "Z")
            soon = await client.get("/v1/callbacks", params={"due_before": due}, headers=agent)
            assert [i["ticket_id"] for i in soon.json()["items"]] == [str(after_sales)]

            callback_id = items[0]["id"]
            path = f"/v1/callbacks/{callback_id}/complete"
            body = {
                "outcome": "客户确认已收到换货",
                "score": 5,
                "call_started_at": "2026-11-24T02:00:00Z",
                "call_ended_at": "2026-11-24T02:06:00Z",
                "verification": "核对订单号与手机号",
            }
            refused = await client.post(path, json=body, headers=viewer)
            assert refused.status_code == 403
            # A shared agent key is nobody; an agent of another team is refused.
            keyed = await client.post(path, json=body, headers=agent)
            assert (keyed.status_code, keyed.json()["code"]) == (403, "person_required")
            product_agent = person_token("p1", roles=("agent",), teams=("product",))
            other = await client.post(path, json=body, headers=product_agent)
            assert (other.status_code, other.json()["code"]) == (403, "not_your_team")
            wang = person_token(
                "wang", roles=("agent",), teams=("after_sales",), display_name="王芳"
            )
            bad = await client.post(path, json={"outcome": "", "score": 9}, headers=wang)
            assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
            done = await client.post(path, json=body, headers=wang)
            assert done.status_code == 200, done.text
            assert done.json()["state"] == "completed"
            # Completed by the signed-in person, by id and by name, with the call.
            assert (done.json()["score"], done.json()["completed_by_name"]) == (5, "王芳")
            assert done.json()["completed_by"].startswith("person:")
            assert done.json()["verification"] == "核对订单号与手机号"
            backwards = await client.post(
                f"/v1/callbacks/{items[1]['id']}/complete",
                json={**body, "call_ended_at": "2026-11-24T01:00:00Z"},
                headers=product_agent,
            )
            assert backwards.status_code == 422
            again = await client.post(path, json=body, headers=wang)
            assert again.status_code == 409
            assert again.json()["code"] == "callback_already_completed"
            unknown = await client.post(
                f"/v1/callbacks/{uuid.uuid4()}/complete", json=body, headers=wang
            )
            assert unknown.status_code == 404
            assert unknown.json()["code"] == "callback_not_found"
            bad_state = await client.get("/v1/callbacks?state=lost", headers=viewer)
            assert bad_state.status_code == 422
            naive = await client.get("/v1/callbacks?due_before=2026-11-25T00:00:00", headers=viewer)
            assert naive.status_code == 422
            completed = await client.get("/v1/callbacks?state=completed", headers=viewer)
            assert [i["id"] for i in completed.json()["items"]] == [callback_id]
    finally:
        await store.engine.dispose()


async def test_an_after_sales_ticket_shows_its_callback_through_kafka(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    from eventkit import publish

    from shared.events import Topics, utcnow

    topics = Topics(topic_prefix)
    await (await open_store(database_url)).engine.dispose()  # migrated
    app = create_app(app_settings(database_url, broker, topic_prefix))
    async with serving(app, ready_within=30) as client:
        now = utcnow()
        event = triaged(category="after_sales", team="after_sales", at=now)
        assert event.ticket_id is not None
        await publish(broker, topics.triage, event)
        await publish(broker, topics.dispatch, resolved(event.ticket_id, now))

        async def listed() -> Any:
            body = (
                await client.get(
                    "/v1/callbacks?owner=after_sales", headers={"Authorization": "Bearer sv"}
                )
            ).json()
            return body["items"]

        (item,) = await poll(listed, within=20)
        assert item["ticket_id"] == str(event.ticket_id)
        assert item["kind"] == "after_sales_callback"
        due = datetime.fromisoformat(item["due_at"])
        # Within 24 h, inside working hours.
        expected = within_working_hours(DEFAULT_CALENDAR, now, timedelta(hours=24))
        assert abs(due - expected) < timedelta(seconds=1)


async def test_resolved_seen_before_triage_plans_the_callback_when_triage_arrives(
    store: FollowupStore,
) -> None:
    event = triaged(category="after_sales", team="after_sales")
    ticket_id = event.ticket_id
    assert ticket_id is not None
    resolved_at = T0 + timedelta(hours=2)  # 11:00: a day later is working time
    async with store.uow() as uow:  # what the ticket.resolved handler does
        await sla_clocks.stop_clocks(uow, "resolution", [(ticket_id, resolved_at)])
        await callbacks.plan_callbacks(uow, [resolved(ticket_id, resolved_at)], SETTINGS)
        assert uow.emitted == []
        await uow.commit()
    assert await callbacks_of(store, ticket_id) == []
    await store.open(event)
    (callback,) = await callbacks_of(store, ticket_id)
    assert callback.due_at == resolved_at + timedelta(hours=24)
    assert [e.type for e in await store.events("callback.scheduled")] == ["callback.scheduled"]
    # A re-triage afterwards plans nothing new.
    again = triaged(ticket_id, category="after_sales", retriaged=True)
    await store.open(again)
    assert len(await callbacks_of(store, ticket_id)) == 1
