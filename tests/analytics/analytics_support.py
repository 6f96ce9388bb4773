"""Helpers of analytics' tests: a migrated analytics store, lifecycle event builders,
and a generator of realistic tickets (helpers live here; fixtures in conftest)."""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from testkit import ServiceStore, on_test_broker, open_service_store, serving

from services.analytics.app import MIGRATIONS
from services.analytics.handlers import HANDLERS
from services.analytics.models import BUS, TicketFact
from shared.events import (
    AgentActionData,
    CompensationApproved,
    CompensationData,
    CompensationRequested,
    Deadlines,
    EscalatedData,
    ResolvedData,
    SlaBreached,
    SlaClockData,
    SlaWarning,
    SurveyAnswered,
    SurveyAnsweredData,
    TicketAccepted,
    TicketAssigned,
    TicketAssignedData,
    TicketClosed,
    TicketEscalated,
    TicketQueued,
    TicketQueuedData,
    TicketReceived,
    TicketReceivedData,
    TicketReopened,
    TicketResolved,
    TicketStateData,
    TicketTransferred,
    TicketTriaged,
    TicketTriagedData,
    TransferredData,
)

T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Monday of 2026-W47, 09:00 in Beijing

KEYS = {"gw": "gateway", "sv": "supervisor", "ag": "agent", "vw": "viewer", "ad": "admin"}
VIEWER = {"Authorization": "Bearer vw"}
SUPERVISOR = {"Authorization": "Bearer sv"}

RESPOND = {"P0": timedelta(minutes=30), "P1": timedelta(hours=2), "P2": timedelta(hours=24)}
RESOLVE = {"P0": timedelta(hours=4), "P1": timedelta(hours=24), "P2": timedelta(hours=72)}


@dataclass
class AnalyticsStore(ServiceStore):
    """Analytics' store, with its ticket facts."""

    async def fact(self, ticket_id: uuid.UUID) -> TicketFact:
        async with self.sessions() as session:
            fact = await session.get(TicketFact, ticket_id)
        assert fact is not None
        return fact

    async def facts(self) -> list[TicketFact]:
        async with self.sessions() as session:
            return list((await session.scalars(sa.select(TicketFact))).all())


@asynccontextmanager
async def migrated_analytics(url: str) -> AsyncIterator[AnalyticsStore]:
    store = await open_service_store(url, MIGRATIONS, BUS, "analytics", AnalyticsStore)
    try:
        yield store
    finally:
        await store.engine.dispose()


async def apply(store: AnalyticsStore, events: Sequence[Any], *, batch: bool = True) -> None:
    """Project events as the consumer does: runs of one type, one transaction per batch
    (``batch``) or per event."""
    if not batch:
        for event in events:
            await apply(store, [event])
        return
    async with store.uow() as uow:
        handled = [e for e in events if e.type in HANDLERS]  # the consumer ignores the rest
        for kind, run in itertools.groupby(handled, key=lambda e: e.type):
            await HANDLERS[kind](list(run), uow)
        await uow.commit()


FACT_COLUMNS = [c.key for c in TicketFact.__table__.columns]


def as_dict(fact: TicketFact) -> dict[str, Any]:
    return {column: getattr(fact, column) for column in FACT_COLUMNS}


# --------------------------------------------------------------------------- one ticket


@dataclass
class Scenario:
    """One ticket's story; every field has a plain default."""

    ticket_id: uuid.UUID = field(default_factory=uuid.uuid4)
    ticket_no: str = "T20261116-000001"
    received_at: datetime = T0
    channel: str = "phone"
    customer_type: str = "returning"
    subject: str = "快递三天还没到"
    description: str = "订单SO123物流延迟,快递三天还没到,客户很着急。"
    category: str = "complaint"
    scene: str = "after_sale"
    priority: str = "P1"
    team: str = "logistics"
    keywords: list[str] = field(default_factory=lambda: ["物流延迟"])
    agent: tuple[uuid.UUID, str] = field(default_factory=lambda: (uuid.uuid4(), "logistics-1"))
    queued_for: timedelta | None = None
    assign: bool = True
    accept_after: timedelta | None = timedelta(minutes=20)
    resolve_after: timedelta | None = timedelta(hours=3)
    transfer_to: tuple[str, uuid.UUID, str] | None = None
    escalate: bool = False
    compensation: float | None = None
    breaches: tuple[str, ...] = ()
    warn: bool = False
    csat: int | None = 5
    reopen: bool = False
    resolution_code: str = "delivered"
    close: bool = True
    comment: str | None = None
    calendar_spec: dict[str, Any] | None = None


def lifecycle(s: Scenario) -> list[Any]:
    """The events of a scenario, in the order the services would emit them."""
    tid, t = s.ticket_id, s.received_at
    events: list[Any] = []

    def at(delta: timedelta) -> datetime:
        return t + delta

    events.append(
        TicketReceived(
            ticket_id=tid,
            occurred_at=t,
            producer="intake",
            data=TicketReceivedData(
                ticket_no=s.ticket_no,
                channel=s.channel,
                customer_id=uuid.uuid4(),
                customer_type=s.customer_type,
                masked_contact="138****5678",
                subject=s.subject,
                description=s.description,
                received_at=t,
            ),
        )
    )
    events.append(
        TicketTriaged(
            ticket_id=tid,
            occurred_at=at(timedelta(seconds=1)),
            producer="triage",
            data=TicketTriagedData(
                ticket_no=s.ticket_no,
                channel=s.channel,
                customer_type=s.customer_type,
                subject=s.subject,
                category=s.category,
                scene=s.scene,
                priority=s.priority,
                team=s.team,
                keywords=s.keywords,
                deadlines=Deadlines(
                    policy="cross-industry",
                    calendar="24x7",
                    respond_by=t + RESPOND[s.priority],
                    resolve_by=t + RESOLVE[s.priority],
                    calendar_spec=s.calendar_spec,
                ),
            ),
        )
    )
    assignment = uuid.uuid4()
    offset = timedelta(seconds=2)
    if s.queued_for is not None:
        events.append(
            TicketQueued(
                ticket_id=tid,
                occurred_at=at(offset),
                data=TicketQueuedData(
                    assignment_id=assignment,
                    ticket_no=s.ticket_no,
                    team=s.team,
                    priority=s.priority,
                ),
            )
        )
        offset += s.queued_for
    if not s.assign:
        return events
    agent_id, agent_name = s.agent
    events.append(_assigned(s, assignment, s.team, agent_id, agent_name, at(offset)))
    if s.warn:
        events.append(
            SlaWarning(
                ticket_id=tid,
                occurred_at=at(offset + timedelta(seconds=1)),
                data=SlaClockData(clock="resolution", due_at=t + RESOLVE[s.priority]),
            )
        )
    if s.accept_after is None:
        return events
    accepted = at(s.accept_after)
    events.append(
        TicketAccepted(
            ticket_id=tid,
            occurred_at=accepted,
            data=AgentActionData(assignment_id=assignment, agent_id=agent_id, at=accepted),
        )
    )
    resolver = agent_id
    if s.escalate:
        events.append(
            TicketEscalated(
                ticket_id=tid,
                occurred_at=accepted + timedelta(seconds=2),
                data=EscalatedData(assignment_id=assignment, reason="客户情绪激动", at=accepted),
            )
        )
    if s.transfer_to is not None:
        team, other_id, other_name = s.transfer_to
        moved = accepted + timedelta(minutes=5)
        events.append(
            TicketTransferred(
                ticket_id=tid,
                occurred_at=moved,
                data=TransferredData(
                    assignment_id=assignment,
                    agent_id=agent_id,
                    reason="需要技术支持",
                    to_team=team,
                    at=moved,
                ),
            )
        )
        events.append(
            _assigned(s, uuid.uuid4(), team, other_id, other_name, moved + timedelta(seconds=1))
        )
        resolver = other_id
    for clock in s.breaches:
        due = t + (RESPOND if clock == "response" else RESOLVE)[s.priority]
        events.append(
            SlaBreached(ticket_id=tid, occurred_at=due, data=SlaClockData(clock=clock, due_at=due))
        )
    if s.compensation is not None:
        comp = CompensationData(
            compensation_id=uuid.uuid4(),
            kind="coupon",
            amount=s.compensation,
            reason="物流延迟补偿",
        )
        events.append(
            CompensationRequested(
                ticket_id=tid, occurred_at=accepted + timedelta(minutes=6), data=comp
            )
        )
        events.append(
            CompensationApproved(
                ticket_id=tid, occurred_at=accepted + timedelta(minutes=7), data=comp
            )
        )
    if s.resolve_after is None:
        return events
    resolved = at(s.resolve_after)
    events.append(_resolved(s, assignment, resolver, resolved, "已为您处理"))
    if s.csat is not None:
        events.append(
            SurveyAnswered(
                ticket_id=tid,
                occurred_at=resolved + timedelta(hours=1),
                data=SurveyAnsweredData(score=s.csat, resolved=s.csat > 2, comment=s.comment),
            )
        )
    if s.reopen:
        reopened = resolved + timedelta(hours=1, seconds=1)
        events.append(
            TicketReopened(
                ticket_id=tid, occurred_at=reopened, data=TicketStateData(reason="unsatisfied")
            )
        )
        again = reopened + timedelta(minutes=30)
        events.append(_resolved(s, assignment, resolver, again, "再次处理"))
        resolved = again
    if s.close:
        events.append(
            TicketClosed(
                ticket_id=tid,
                occurred_at=resolved + timedelta(days=3),
                data=TicketStateData(reason="confirmed"),
            )
        )
    return events


def _resolved(
    s: Scenario, assignment: uuid.UUID, resolver: uuid.UUID, when: datetime, reply: str
) -> TicketResolved:
    return TicketResolved(
        ticket_id=s.ticket_id,
        occurred_at=when,
        data=ResolvedData(
            assignment_id=assignment,
            agent_id=resolver,
            at=when,
            resolution_code=s.resolution_code,
            public_reply=reply,
        ),
    )


def _assigned(
    s: Scenario, assignment: uuid.UUID, team: str, agent_id: uuid.UUID, name: str, when: datetime
) -> TicketAssigned:
    return TicketAssigned(
        ticket_id=s.ticket_id,
        occurred_at=when,
        producer="dispatch",
        data=TicketAssignedData(
            assignment_id=assignment,
            ticket_no=s.ticket_no,
            team=team,
            agent_id=agent_id,
            agent_name=name,
            priority=s.priority,
            category=s.category,
            assigned_at=when,
        ),
    )


# --------------------------------------------------------------------------- many tickets

# (category, team, subject, description, keywords, share weight)
ISSUES: list[tuple[str, str, str, str, list[str], int]] = [
    (
        "complaint",
        "logistics",
        "快递三天还没到",
        "物流延迟,快递三天还没到,催了几次没人管。",
        ["物流延迟"],
        30,
    ),
    (
        "fault",
        "tech_support",
        "账号无法登录",
        "账号无法登录,提示密码错误,重置密码也收不到验证码。",
        ["无法登录"],
        20,
    ),
    (
        "after_sales",
        "after_sales",
        "申请退货退款",
        "收到的商品有破损,申请退货退款。",
        ["退货", "退款"],
        15,
    ),
    ("inquiry", "frontline", "会员积分怎么用", "请问会员积分怎么兑换优惠券?", ["会员积分"], 15),
    (
        "complaint",
        "complaints",
        "客服态度差",
        "客服态度差,电话挂断,投诉服务态度。",
        ["服务态度"],
        10,
    ),
    (
        "suggestion",
        "product",
        "希望增加夜间模式",
        "建议应用增加夜间模式,晚上看着刺眼。",
        ["夜间模式"],
        10,
    ),
]
CHANNELS = ["phone", "web_chat", "app", "mini_program", "email"]
PRIORITY_OF = {"fault": "P0", "complaint": "P1", "after_sales": "P1"}


def realistic(start: datetime, days: int, per_day: int, seed: int = 7) -> list[Scenario]:
    """Tickets over ``days`` days: a fixed mix of issues, channels and outcomes."""
    rng = random.Random(seed)
    agents = {
        team: [(uuid.uuid4(), f"{team}-{i}") for i in range(1, 4)]
        for team in {issue[1] for issue in ISSUES}
    }
    weights = [issue[5] for issue in ISSUES]
    scenarios = []
    n = 0
    for day in range(days):
        for _ in range(per_day):
            n += 1
            category, team, subject, description, keywords, _w = rng.choices(ISSUES, weights)[0]
            priority = PRIORITY_OF.get(category, "P2")
            late = rng.random() < 0.1
            scenarios.append(
                Scenario(
                    ticket_no=f"T{(start + timedelta(days=day)):%Y%m%d}-{n:06d}",
                    received_at=start + timedelta(days=day, minutes=rng.randint(0, 600)),
                    channel=rng.choice(CHANNELS),
                    subject=subject,
                    description=description,
                    category=category,
                    priority=priority,
                    team=team,
                    keywords=keywords,
                    agent=rng.choice(agents[team]),
                    accept_after=RESPOND[priority] * (1.5 if late else rng.uniform(0.1, 0.9)),
                    resolve_after=RESOLVE[priority] * rng.uniform(0.2, 0.9),
                    csat=rng.choice([5, 5, 4, 4, 3, 2]),
                    compensation=20.0 if category == "complaint" and rng.random() < 0.3 else None,
                )
            )
    return scenarios


# --------------------------------------------------------------------------- the app


def app_settings(url: str, broker: str, prefix: str) -> Any:
    """Analytics' settings over ``url`` on the test broker (a quick consumer group join)."""
    from services.analytics.settings import AnalyticsSettings

    return on_test_broker(AnalyticsSettings, url, broker, prefix, api_keys=KEYS)


@asynccontextmanager
async def running_app(url: str, broker: str, prefix: str) -> AsyncIterator[Any]:
    """The analytics app with its lifespan running over an already migrated store."""

    from services.analytics.app import create_app

    app = create_app(app_settings(url, broker, prefix))
    async with serving(app) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


async def rollup_rows(store: AnalyticsStore, table: str) -> dict[tuple[Any, ...], dict[str, float]]:
    """The rows of a rollup, zero rows left out, keyed by their dimensions."""
    from services.analytics.models import ROLLUPS
    from services.analytics.rollups import MEASURES

    t = ROLLUPS[table]
    keys = [c.name for c in t.primary_key.columns]
    async with store.sessions() as session:
        rows = (await session.execute(sa.select(t))).mappings().all()
    out = {}
    for row in rows:
        measures = {m: round(float(row[m]), 6) for m in MEASURES if round(float(row[m]), 6)}
        if measures:
            out[tuple(row[k] for k in keys)] = measures
    return out


async def rollups_recomputed(
    store: AnalyticsStore, table: str
) -> dict[tuple[Any, ...], dict[str, float]]:
    """What the rollup should hold, recomputed from the facts."""
    from services.analytics.rollups import Deltas, contribution, key_columns

    deltas = Deltas()
    for fact in await store.facts():
        deltas.add(contribution(fact), +1)
    out = {}
    for row in deltas.changes(table):
        key = tuple(row.pop(k) for k in key_columns(table))
        out[key] = {m: round(float(v), 6) for m, v in row.items() if v}
    return out


def by_type(events: Sequence[Any]) -> list[Any]:
    """The events sorted by type (stable): long runs load fast, and since the projection
    does not depend on order, the result is the same as in order."""
    return sorted(events, key=lambda e: e.type)


# --------------------------------------------------------------------------- who is on shift


def on_shift_changed(
    team: str,
    as_of: datetime,
    on_shift: Sequence[tuple[str, str]] = (),
    on_leave: Sequence[str] = (),
    *,
    has_roster: bool = True,
    day_kind: str = "workday",
) -> Any:
    """Dispatch's ``team.on_shift_changed``: (name, shift) on shift until 8 h after
    ``as_of``, names on leave today only."""
    from shared.events import OnShiftData, TeamOnShiftChanged

    day = as_of.date().isoformat()
    return TeamOnShiftChanged(
        producer="dispatch",
        occurred_at=as_of,
        data=OnShiftData.model_validate(
            {
                "team": team,
                "has_roster": has_roster,
                "timezone": "Asia/Shanghai",
                "day": day,
                "day_kind": day_kind,
                "on_shift": [
                    {
                        "agent_id": str(uuid.uuid4()),
                        "name": name,
                        "shift": shift,
                        "until": (as_of + timedelta(hours=8)).isoformat(),
                    }
                    for name, shift in on_shift
                ],
                "on_leave": [
                    {
                        "agent_id": str(uuid.uuid4()),
                        "name": name,
                        "first_day": day,
                        "last_day": day,
                    }
                    for name in on_leave
                ],
                "as_of": as_of.isoformat(),
            }
        ),
    )
