"""The audit after the fault run: every effect the clients were promised, counted.

Each check compares what should exist once (per accepted ticket, per clock, per
answered survey, …) with what the stores, their outboxes and the gateway's reader
hold, and counts the missing (lost) and the repeated (doubled). Outbox rows are
what a service emitted; a repeat with the same event id is a redelivery that
consumers and gateways drop, a second event id for the same effect is a double.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.analytics import rollups
from services.analytics.models import ROLLUPS, TicketFact
from sopdesk.chaos_traffic import Ledger, NotificationReader

CALLBACK_CATEGORIES = frozenset({"after_sales", "complaint", "fault", "suggestion"})


@dataclass
class Check:
    name: str
    checked: int = 0
    lost: int = 0
    doubled: int = 0
    examples: list[str] = field(default_factory=list)

    def count(self, *, lost: int = 0, doubled: int = 0, what: str = "") -> None:
        self.checked += 1
        self.lost += lost
        self.doubled += doubled
        if (lost or doubled) and len(self.examples) < 5:
            self.examples.append(what)


async def _rows(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(sa.text(sql), params)).all())


def _emitted(rows: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.payload) for r in rows]


def _once_each(name: str, counts: Counter[str], keys: Iterable[str], what: str) -> Check:
    """The check that ``counts`` holds each of ``keys`` exactly once (an example names
    ``what`` was counted, the key and its count)."""
    check = Check(name)
    for key in keys:
        n = counts[key]
        check.count(lost=int(n == 0), doubled=int(n > 1), what=f"{what} {key}: {n}")
    return check


async def audit(
    engines: dict[str, AsyncEngine],
    ledger: Ledger,
    reader: NotificationReader,
    *,
    poison: list[bytes],
    poisoned_consumers: tuple[str, ...],
    pending: Callable[[], dict[str, float]],
) -> list[Check]:
    intake, dispatch = engines["intake"], engines["dispatch"]
    followup, analytics = engines["followup"], engines["analytics"]
    checks: list[Check] = []

    # --- tickets: each accepted key has one ticket, the one every answer named
    tickets = {
        r.idempotency_key: r
        for r in await _rows(intake, "SELECT id, ticket_no, idempotency_key FROM tickets")
    }
    check = Check("ticket exists once, one number")
    numbers = Counter(r.ticket_no for r in tickets.values())
    accepted: dict[str, str] = {}
    for key, ticket_id in ledger.tickets.items():
        row = tickets.get(key)
        answers = ledger.answers.get(key, set())
        lost = row is None or str(row.id) != ticket_id
        doubled = len(answers) > 1 or (row is not None and numbers[row.ticket_no] > 1)
        check.count(lost=int(lost), doubled=int(doubled), what=f"ticket {key}: {answers}")
        accepted[ticket_id] = key
    checks.append(check)

    check = Check("customer message recorded once")
    messages = Counter(
        r.idempotency_key
        for r in await _rows(
            intake, "SELECT idempotency_key FROM ticket_messages WHERE idempotency_key IS NOT NULL"
        )
    )
    bodies = Counter(
        r.body
        for r in await _rows(intake, "SELECT body FROM ticket_messages WHERE body LIKE '%(%-m%)'")
    )
    for key in ledger.messages:
        body = f"请问处理进度如何? ({key})"
        check.count(
            lost=int(messages[key] == 0),
            doubled=int(messages[key] > 1 or bodies[body] > 1),
            what=f"message {key}",
        )
    checks.append(check)

    # --- assignment and work order
    assignments = Counter(
        str(r.ticket_id) for r in await _rows(dispatch, "SELECT ticket_id FROM assignments")
    )
    checks.append(_once_each("assigned exactly once", assignments, accepted, "assignments of"))

    orders = _emitted(
        await _rows(dispatch, "SELECT payload FROM outbox WHERE topic LIKE '%.assignments.%'")
    )
    per_ticket = Counter(o["ticket_id"] for o in orders)
    checks.append(_once_each("one work order per ticket", per_ticket, accepted, "work orders of"))

    # --- notices to the customer: emitted once, and the gateway was given it
    # What intake emitted (its rows stay for the replay window) and what the gateway
    # read, by event id: a notice missing from both was never sent.
    emitted_notices = _emitted(
        await _rows(intake, "SELECT payload FROM outbox WHERE topic LIKE '%.notifications'")
    )
    with reader.lock:
        read_notices = dict(reader.notifications)
    notices = list({**read_notices, **{n["event_id"]: n for n in emitted_notices}}.values())
    by_template: dict[str, Counter[str]] = defaultdict(Counter)
    for notice in notices:
        # The assignment notice without a deadline (intake had not seen triage yet)
        # is the same notice.
        template = notice["data"]["template"].removesuffix("_no_deadline")
        by_template[template][notice["ticket_id"]] += 1
    for template, label in (
        ("acknowledgement", "one acknowledgement per ticket"),
        ("assignment_notice", "one assignment notice per ticket"),
    ):
        checks.append(_once_each(label, by_template[template], accepted, template))
    resolved = set(ledger.resolved.values())
    # Where a lost result notice stopped: follow-up's request, intake's inbox.
    requested = {
        (e["ticket_id"], e["data"].get("template")): e["event_id"]
        for e in _emitted(
            await _rows(
                followup, "SELECT payload FROM outbox WHERE type = 'notification.requested'"
            )
        )
    }
    received = {
        str(r.event_id)
        for r in await _rows(
            intake, "SELECT event_id FROM inbox WHERE type = 'notification.requested'"
        )
    }
    for template, label in (
        ("resolution", "one result notice per resolved ticket"),
        ("survey", "one survey link per resolved ticket"),
    ):
        check = Check(label)
        for ticket_id in resolved:
            n = by_template[template][ticket_id]
            request = requested.get((ticket_id, template))
            trail = (
                "not requested by follow-up"
                if request is None
                else f"request {request} {'in' if request in received else 'not in'} intake's inbox"
            )
            check.count(
                lost=int(n == 0), doubled=int(n > 1), what=f"{template} {ticket_id}: {n} ({trail})"
            )
        checks.append(check)
    check = Check("gateway got every notification (by event id)")
    for notice in emitted_notices:
        check.count(lost=int(notice["event_id"] not in read_notices), what=f"{notice['event_id']}")
    checks.append(check)

    # --- clocks: each warning and breach once, none that was due missing
    events = _emitted(
        await _rows(
            followup,
            "SELECT payload FROM outbox WHERE type IN "
            "('sla.warning', 'sla.breached', 'survey.answered', 'callback.scheduled')",
        )
    )
    fired: Counter[tuple[str, str, str]] = Counter(
        (e["type"], e["ticket_id"], e["data"].get("clock") or "") for e in events
    )
    clocks = await _rows(
        followup,
        "SELECT ticket_id, kind, state, due_at, warned_at, breached_at, breaches FROM sla_clocks "
        "WHERE kind IN ('response', 'resolution')",
    )
    now = datetime.now(UTC)
    check = Check("SLA warning once per clock")
    for clock in clocks:
        n = fired[("sla.warning", str(clock.ticket_id), clock.kind)]
        check.count(
            lost=int(clock.warned_at is not None and n == 0),
            doubled=int(n > 1 or (n == 1 and clock.warned_at is None)),
            what=f"warning {clock.kind} {clock.ticket_id}: {n}",
        )
    checks.append(check)
    check = Check("SLA breach once per clock")
    for clock in clocks:
        n = fired[("sla.breached", str(clock.ticket_id), clock.kind)]
        due = clock.due_at.replace(tzinfo=UTC) if clock.due_at.tzinfo is None else clock.due_at
        overdue = clock.state == "running" and due < now - timedelta(seconds=20)
        check.count(
            lost=int(overdue or (clock.breached_at is not None and n == 0)),
            doubled=int(n > 1),
            what=f"breach {clock.kind} {clock.ticket_id}: {n} ({clock.state}, due {due})",
        )
    checks.append(check)

    check = Check("survey answered once")
    answered = Counter(
        str(r.ticket_id)
        for r in await _rows(
            followup, "SELECT ticket_id FROM surveys WHERE answered_at IS NOT NULL"
        )
    )
    for ticket_id in set(ledger.surveys.values()):
        n = fired[("survey.answered", ticket_id, "")]
        check.count(
            lost=int(n == 0 or answered[ticket_id] == 0),
            doubled=int(n > 1 or answered[ticket_id] > 1),
            what=f"survey of {ticket_id}: {n} events, {answered[ticket_id]} answered",
        )
    checks.append(check)

    # --- callbacks: once per resolved after-sales, complaint or suggestion ticket
    facts = {str(f.ticket_id): f for f in await _facts(analytics)}
    callbacks = Counter(
        str(r.ticket_id) for r in await _rows(followup, "SELECT ticket_id FROM callbacks")
    )
    check = Check("callback scheduled once")
    for ticket_id in set(ledger.resolved.values()):
        fact = facts.get(ticket_id)
        if fact is None or fact.category not in CALLBACK_CATEGORIES:
            continue
        n, scheduled = callbacks[ticket_id], fired[("callback.scheduled", ticket_id, "")]
        check.count(
            lost=int(n == 0),
            doubled=int(n > 1 or scheduled > 1),
            what=f"callbacks of {ticket_id}: {n} rows, {scheduled} events",
        )
    checks.append(check)

    # --- the ledger and the rollups
    check = Check("ledger row per ticket, state as dispatch's")
    states = {
        str(r.ticket_id): r.state
        for r in await _rows(dispatch, "SELECT ticket_id, state FROM assignments")
    }
    for ticket_id in accepted:
        fact = facts.get(ticket_id)
        resolved_in_dispatch = states.get(ticket_id) in ("resolved", "closed")
        agrees = fact is not None and (
            (fact.state in ("resolved", "closed")) == resolved_in_dispatch
        )
        check.count(lost=int(not agrees), what=f"fact of {ticket_id}: {fact and fact.state}")
    checks.append(check)
    checks.append(await _rollups_recounted(analytics, list(facts.values())))

    # --- drained, and no dead letter but the poison sent on purpose
    check = Check("outboxes and lags drained")
    for name, value in pending().items():
        check.count(lost=int(value > 0), what=f"{name}: {value}")
    checks.append(check)
    check = Check("dead letters: only the poison")
    with reader.lock:
        dead = list(reader.dead_letters)
    for topic, letter in dead:
        check.count(lost=int(letter not in poison), what=f"{topic}: {letter[:120]!r}")
    got = {(topic.rsplit(".", 1)[1], letter) for topic, letter in dead}
    for consumer in poisoned_consumers:
        for sent in poison:
            check.count(lost=int((consumer, sent) not in got), what=f"poison not at {consumer}")
    checks.append(check)
    return checks


async def _facts(engine: AsyncEngine) -> list[Any]:
    from sqlalchemy.ext.asyncio import AsyncSession

    async with AsyncSession(engine) as session:
        return list((await session.scalars(sa.select(TicketFact))).all())


async def _rollups_recounted(engine: AsyncEngine, facts: list[Any]) -> Check:
    """Every rollup row equals the sum of the facts' contributions to it."""
    check = Check("rollups equal a recount from the facts")
    expected: dict[str, dict[tuple[Any, ...], Counter[str]]] = defaultdict(
        lambda: defaultdict(Counter)
    )
    for fact in facts:
        contribution = rollups.contribution(fact)
        if contribution is None:
            continue
        for table, (key, measures) in contribution.items():
            expected[table][tuple(str(k) for k in key)].update(measures)
    for name, rollup in ROLLUPS.items():
        keys = rollups.key_columns(name)
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(rollup))).mappings().all()
        actual = {tuple(str(row[k]) for k in keys): row for row in rows}
        for key in set(actual) | set(expected[name]):
            want = expected[name].get(key, Counter())
            row = actual.get(key)
            for measure in rollups.MEASURES:
                have = float(row[measure] or 0) if row is not None else 0.0
                diff = have - float(want.get(measure, 0))
                if math.isclose(diff, 0.0, abs_tol=1e-6):
                    continue
                check.count(
                    lost=int(diff < 0), doubled=int(diff > 0), what=f"{name}{key} {measure}"
                )
            check.checked += 1
    return check
