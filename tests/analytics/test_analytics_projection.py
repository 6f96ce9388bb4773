"""The projection of every lifecycle event into ticket facts, on SQLite and PostgreSQL:
in order, shuffled, delivered twice, one batch or one event per transaction."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from analytics_support import T0, AnalyticsStore, Scenario, apply, as_dict, lifecycle

from services.analytics.models import ROLLUPS, CountedEvent
from shared.calendar import DEFAULT_CALENDAR

ROLLUP_TABLES = sorted(ROLLUPS)


async def test_full_lifecycle_in_order(store: AnalyticsStore) -> None:
    s = Scenario(compensation=20.0, escalate=True, warn=True, csat=4)
    await apply(store, lifecycle(s), batch=False)
    fact = await store.fact(s.ticket_id)
    assert fact.state == "closed"
    assert (fact.channel, fact.category, fact.scene, fact.priority, fact.team) == (
        "phone",
        "complaint",
        "after_sale",
        "P1",
        "logistics",
    )
    assert fact.agent_name == "logistics-1"
    assert fact.agent_id == s.agent[0]
    assert fact.first_response_seconds == 20 * 60
    assert fact.resolution_seconds == 3 * 3600
    assert fact.response_met is True
    assert fact.resolution_met is True
    assert fact.breached is False
    assert (fact.transfers, fact.escalations, fact.reopens) == (0, 1, 0)
    assert fact.compensation_total == 20.0
    assert fact.compensation_count == 1
    assert fact.csat == 4
    assert fact.survey_resolved is True
    assert fact.fcr is True
    assert fact.warned_at is not None
    assert fact.keywords == ["物流延迟"]
    assert fact.masked_contact == "138****5678"


async def test_any_order_and_duplicates_give_the_same_fact(store: AnalyticsStore) -> None:
    agent = (uuid.uuid4(), "tech-9")
    base = dict(
        compensation=50.0,
        escalate=True,
        transfer_to=("tech_support", agent[0], agent[1]),
        reopen=True,
        csat=2,
        breaches=("resolution",),
        queued_for=timedelta(minutes=3),
    )
    reference = Scenario(**base)  # type: ignore[arg-type]
    await apply(store, lifecycle(reference), batch=False)
    expected = as_dict(await store.fact(reference.ticket_id))
    expected.pop("ticket_id")
    assert expected["state"] == "closed"
    assert expected["transfers"] == 1
    assert expected["reopens"] == 1
    assert expected["escalations"] == 1
    assert expected["compensation_total"] == 50.0
    assert expected["team"] == "tech_support"
    assert expected["agent_name"] == "tech-9"
    assert expected["fcr"] is False
    assert expected["resolution_met"] is False
    assert expected["breached"] is True

    rng = random.Random(47)
    for round_ in range(6):
        s = Scenario(ticket_id=uuid.uuid4(), **base)  # type: ignore[arg-type]
        s.agent = reference.agent
        events = lifecycle(s)
        # Same event ids twice (a redelivery), then shuffled.
        events = events + [e.model_copy() for e in events]
        rng.shuffle(events)
        await apply(store, events, batch=round_ % 2 == 0)
        got = as_dict(await store.fact(s.ticket_id))
        got.pop("ticket_id")
        for key in ("state_at",):
            assert got[key] == expected[key]
        assert got == expected, round_


async def test_counters_count_each_event_once_across_transactions(store: AnalyticsStore) -> None:
    s = Scenario(
        transfer_to=("tech_support", uuid.uuid4(), "t-1"), compensation=30.0, escalate=True
    )
    events = lifecycle(s)
    await apply(store, events)
    countable = [
        e
        for e in events
        if e.type in ("ticket.transferred", "ticket.escalated", "compensation.approved")
    ]
    await apply(store, countable)  # replayed after the inbox forgot them
    await apply(store, countable, batch=False)
    fact = await store.fact(s.ticket_id)
    assert (fact.transfers, fact.escalations, fact.compensation_total) == (1, 1, 30.0)
    async with store.sessions() as session:
        assert len((await session.scalars(CountedEvent.__table__.select())).all()) == 3


async def test_deadlines_met_missed_and_breach_events(store: AnalyticsStore) -> None:
    late = Scenario(accept_after=timedelta(hours=3), resolve_after=timedelta(hours=30), close=False)
    flagged = Scenario(breaches=("response",), csat=None, close=False)
    open_ = Scenario(accept_after=None, csat=None)
    await apply(store, lifecycle(late) + lifecycle(flagged) + lifecycle(open_))
    fact = await store.fact(late.ticket_id)
    assert (fact.response_met, fact.resolution_met, fact.breached) == (False, False, True)
    assert fact.state == "resolved"
    fact = await store.fact(flagged.ticket_id)
    # Accepted within the window, but followup raised a breach: missed.
    assert (fact.response_met, fact.resolution_met, fact.breached) == (False, True, True)
    fact = await store.fact(open_.ticket_id)
    assert fact.state == "assigned"
    assert (fact.response_met, fact.resolution_met, fact.breached) == (None, None, False)
    assert fact.fcr is None
    assert fact.first_response_seconds is None


async def test_reopen_then_resolve_again_and_kb_answer(store: AnalyticsStore) -> None:
    reopened = Scenario(reopen=True, close=False)
    kb = Scenario(resolution_code="kb_answer", transfer_to=("frontline", uuid.uuid4(), "f-2"))
    await apply(store, lifecycle(reopened))
    fact = await store.fact(reopened.ticket_id)
    assert fact.state == "resolved"
    assert fact.reopens == 1
    assert fact.fcr is False
    assert fact.resolution_seconds == (timedelta(hours=4, minutes=30, seconds=1)).total_seconds()
    # Only the reopen arrives late: the ticket is back to "reopened" until resolved again.
    events = lifecycle(Scenario(ticket_id=uuid.uuid4(), reopen=True, close=False))
    head = [e for e in events if e.type != "ticket.resolved" or e.data.public_reply != "再次处理"]
    await apply(store, head)
    assert (await store.fact(events[0].ticket_id)).state == "reopened"
    await apply(store, lifecycle(kb))
    assert (await store.fact(kb.ticket_id)).fcr is True


async def test_late_classification_keeps_dispatchs_team(store: AnalyticsStore) -> None:
    s = Scenario(received_at=T0)
    events = lifecycle(s)
    by_type = {e.type: e for e in events}
    order = ["ticket.assigned", "ticket.accepted", "ticket.triaged", "ticket.received"]
    await apply(store, [by_type[t] for t in order], batch=False)
    fact = await store.fact(s.ticket_id)
    assert fact.state == "in_progress"
    assert fact.team == "logistics"
    assert fact.agent_name == "logistics-1"
    assert fact.channel == "phone"
    assert fact.first_response_seconds == 20 * 60


async def test_rollups_match_the_facts_whatever_the_order(store: AnalyticsStore) -> None:
    from analytics_support import realistic, rollup_rows, rollups_recomputed

    events: list = []
    for s in realistic(T0, days=3, per_day=15):
        events += lifecycle(s)
    extra = Scenario(reopen=True, transfer_to=("tech_support", uuid.uuid4(), "t"), warn=True)
    events += lifecycle(extra) + lifecycle(Scenario(accept_after=None, warn=True))
    rng = random.Random(3)
    doubled = events + [e.model_copy() for e in events[::3]]
    rng.shuffle(doubled)
    for start in range(0, len(doubled), 40):  # consumer-sized batches
        await apply(store, doubled[start : start + 40])
    for table in ROLLUP_TABLES:
        assert await rollup_rows(store, table) == await rollups_recomputed(store, table), table
    total = sum(r["tickets"] for r in (await rollup_rows(store, "daily_rollups")).values())
    assert total == 47


async def test_business_time_on_the_tickets_calendar(store: AnalyticsStore) -> None:
    """Friday 17:50 in Beijing to Monday 09:10 is 20 working minutes, not 63 hours."""
    friday_1750 = datetime(2026, 11, 20, 9, 50, tzinfo=UTC)
    monday_0910 = datetime(2026, 11, 23, 1, 10, tzinfo=UTC)
    monday_1400 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    s = Scenario(
        received_at=friday_1750,
        accept_after=monday_0910 - friday_1750,
        resolve_after=monday_1400 - friday_1750,
        calendar_spec=DEFAULT_CALENDAR.to_dict(),
    )
    await apply(store, lifecycle(s))
    fact = await store.fact(s.ticket_id)
    assert fact.first_response_seconds == (monday_0910 - friday_1750).total_seconds()
    assert fact.first_response_business_seconds == 20 * 60
    # 10 min on Friday, then Monday 09:00-12:00 and 13:30-14:00.
    assert fact.resolution_business_seconds == (10 + 180 + 30) * 60

    plain = Scenario()  # no calendar in the event: no business-time figure
    await apply(store, lifecycle(plain))
    assert (await store.fact(plain.ticket_id)).first_response_business_seconds is None
