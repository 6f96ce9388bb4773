"""New tickets committed in batches (services/intake/ticket_batches.py) on a real store
(SQLite and PostgreSQL): a batch ends as the same requests one after the other would
(distinct customers, one customer's repeated issue, a merge, an idempotency key used
twice), a refused request leaves its neighbours' results and nothing half-written,
``ticket_batch_max`` 1 is one transaction per request, and through HTTP each ticket's
event keeps its own request's correlation id."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from intake_support import GATEWAY, IntakeStore, running_intake, ticket_body

from services.intake import reception
from services.intake.models import Customer, Ticket, TicketMessage, TimelineEntry
from services.intake.numbering import TicketNumbers
from services.intake.reception import NewTicket
from services.intake.schemas import TicketCreate
from services.intake.settings import IntakeSettings
from services.intake.ticket_batches import TicketBatches
from shared.errors import ApiError

ISSUES = [
    ("账号无法登录", "今天早上开始账号无法登录,提示密码错误,已重置两次仍然不行。"),
    ("退款没到账", "退货一周了还没有收到退款,订单显示已签收退货。"),
    ("发票开错了", "发票抬头需要更正为公司名称,税号也要加上。"),
]

Request = tuple[TicketCreate, str | None]


def request(
    phone: str | None = None,
    email: str | None = None,
    issue: int = 0,
    key: str | None = None,
    **extra: Any,
) -> Request:
    customer: dict[str, Any] = {"name": "张三"}
    if phone:
        customer["phone"] = phone
    if email:
        customer["email"] = email
    subject, description = ISSUES[issue]
    body = {
        "channel": "email" if email and not phone else "phone",
        "customer": customer,
        "subject": subject,
        "description": description,
        **extra,
    }
    return TicketCreate.model_validate(body), key


def workload(tag: str) -> list[Request]:
    """Twelve customers of one ticket each; one customer's issue twice (the second joins
    the first) and another of theirs; a profile by phone, one by e-mail and a request
    proving they are one person (a merge); an idempotency key sent twice. In the order a
    batch runs its requests (by what identifies the customer), so that one after the
    other is the same order."""
    requests = [request(f"13{tag}000000{i:02d}", issue=i % 3) for i in range(12)]
    repeat = f"13{tag}11111111"
    requests += [request(repeat), request(repeat), request(repeat, issue=2)]
    by_phone, by_mail = f"13{tag}22222222", f"merge-{tag}@example.com"
    requests += [
        request(email=by_mail, issue=1),
        request(by_phone),
        request(by_phone, by_mail, issue=2),
    ]
    twice = f"13{tag}33333333"
    requests += [request(twice, key=f"{tag}-k"), request(twice, key=f"{tag}-k")]
    return sorted(
        requests, key=lambda r: (r[0].customer.phone or "", str(r[0].customer.email or ""))
    )


async def outcome(store: IntakeStore, results: list[NewTicket]) -> list[tuple[Any, ...]]:
    """Each request's result in terms of the workload: which request's ticket it is,
    which request's (surviving) customer, and how it was taken."""
    async with store.sessions() as session:
        tickets = {
            t.id: t
            for t in (
                await session.scalars(
                    sa.select(Ticket).where(Ticket.id.in_([r.ticket.id for r in results]))
                )
            ).all()
        }
    first_ticket: dict[Any, int] = {}
    first_customer: dict[Any, int] = {}
    shape = []
    for index, result in enumerate(results):
        stored = tickets[result.ticket.id]
        shape.append(
            (
                first_ticket.setdefault(stored.id, index),
                first_customer.setdefault(stored.customer_id, index),
                result.deduplicated,
                result.replayed,
                stored.customer_type,
                stored.status,
            )
        )
    return shape


async def snapshot(store: IntakeStore) -> Counter[str]:
    counts: Counter[str] = Counter(
        await store.counts(Customer, Ticket, TicketMessage, TimelineEntry)
    )
    async with store.sessions() as session:
        counts["merged_customers"] = int(
            await session.scalar(
                sa.select(sa.func.count()).where(Customer.merged_into_id.is_not(None))
            )
            or 0
        )
    counts.update(f"event:{e.type}" for e in await store.events())
    return counts


def batches(
    store: IntakeStore, numbers: TicketNumbers | None = None, **extra: Any
) -> TicketBatches:
    return TicketBatches(store.uow, IntakeSettings(**extra), numbers)


async def all_at_once(
    batcher: TicketBatches, requests: list[Request]
) -> list[NewTicket | BaseException]:
    return list(
        await asyncio.gather(
            *(batcher.receive(payload, key) for payload, key in requests),
            return_exceptions=True,
        )
    )


def tickets_of(results: list[NewTicket | BaseException]) -> list[NewTicket]:
    found = [r for r in results if isinstance(r, NewTicket)]
    assert len(found) == len(results), [r for r in results if not isinstance(r, NewTicket)]
    return found


async def test_a_batch_ends_as_its_requests_one_after_the_other(
    intake_db: IntakeStore, database_url: str
) -> None:
    numbers = TicketNumbers(database_url, 100)
    try:
        one_by_one = batches(intake_db, numbers, ticket_batch_max=1)
        before = await snapshot(intake_db)
        sequential = [await one_by_one.receive(p, k) for p, k in workload("8")]
        after_sequential = await snapshot(intake_db)
        assert one_by_one.committed == Counter()

        together = batches(intake_db, numbers)
        batched = tickets_of(await all_at_once(together, workload("9")))
        after_batch = await snapshot(intake_db)
    finally:
        await numbers.close()

    # All twenty in one transaction, one commit.
    assert together.committed == Counter({len(batched): 1})
    expected = await outcome(intake_db, sequential)
    assert await outcome(intake_db, batched) == expected
    # What the sequence shows: the repeat joined, the merge happened, the key replayed.
    assert [s[2] for s in expected].count(True) == 1
    assert [s[3] for s in expected].count(True) == 1
    assert after_batch - after_sequential == after_sequential - before
    assert (after_batch - after_sequential)["merged_customers"] == 1
    assert (after_batch - after_sequential)["event:customer.merged"] == 1
    numbered = {r.ticket.id: r.ticket.ticket_no for r in sequential + batched}
    assert len(set(numbered.values())) == len(numbered) == 2 * 18


async def test_a_refused_request_leaves_its_neighbours_and_nothing_half_written(
    intake_db: IntakeStore,
) -> None:
    batcher = batches(intake_db)
    repeat = "13911111111"
    good = [request(f"139000000{i:02d}") for i in range(6)] + [request(repeat), request(repeat)]
    # Sorted last, after the repeat's rows were written for its second request to find.
    refused = request("99999", issue=1)
    before = await snapshot(intake_db)
    results = await all_at_once(batcher, [refused, *good])

    assert isinstance(results[0], ApiError) and results[0].code == "invalid_phone"
    answered = tickets_of(results[1:])
    assert [r.deduplicated for r in answered] == [False] * 7 + [True]
    assert answered[7].ticket.id == answered[6].ticket.id
    # The batch was rolled back whole; the others ran again as one batch, not one
    # transaction each (a client's bad input must not cost everyone their batch).
    assert batcher.committed == Counter({8: 1})
    change = await snapshot(intake_db) - before
    assert change["tickets"] == 7
    assert change["customers"] == 7
    assert change["ticket_messages"] == 1
    assert change["event:ticket.received"] == 7
    assert change["event:ticket.message_added"] == 1
    async with intake_db.sessions() as session:
        assert await session.scalar(sa.select(Ticket).where(Ticket.subject == ISSUES[1][0])) is None


async def test_a_worker_that_died_is_replaced_for_the_next_request(
    intake_db: IntakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failure injection: a cancellation not the worker's own escapes a batch; the requests
    queued behind it and those after it must not wait for a worker that is gone."""
    batcher = batches(intake_db)
    real = reception.receive_in_batch

    async def cancelled_once(*args: Any, **kwargs: Any) -> NewTicket:
        monkeypatch.setattr(reception, "receive_in_batch", real)
        await asyncio.sleep(0.3)  # long enough for the next requests to queue behind it
        raise asyncio.CancelledError

    monkeypatch.setattr(reception, "receive_in_batch", cancelled_once)
    first = asyncio.ensure_future(
        all_at_once(batcher, [request("13944444401"), request("13944444402")])
    )
    await asyncio.sleep(0.1)
    # Queued while the batch before them fails, and nothing arrives after them.
    queued = await asyncio.wait_for(
        all_at_once(batcher, [request("13944444403"), request("13944444404")]), timeout=20
    )
    # A failure the route answers (500), not a cancellation of the request itself.
    assert all(isinstance(r, RuntimeError) for r in await first)
    assert len(tickets_of(queued)) == 2
    later = await asyncio.wait_for(
        all_at_once(batcher, [request("13944444405"), request("13944444406")]), timeout=20
    )
    assert len(tickets_of(later)) == 2
    assert batcher.committed == Counter({2: 2})


async def test_an_idempotency_key_replays_inside_a_batch(intake_db: IntakeStore) -> None:
    batcher = batches(intake_db)
    same = request("13955555555", key="k-twice")
    first, again = tickets_of(await all_at_once(batcher, [same, same]))
    assert batcher.committed == Counter({2: 1})
    assert (first.replayed, again.replayed) == (False, True)
    assert again.ticket.id == first.ticket.id
    assert await intake_db.count(Ticket) == 1

    # The key sent with another request in the same batch: refused, the rest stands.
    reused = request("13955555555", issue=2, key="k-reused")
    elsewhere = request("13966666666", issue=1, key="k-reused")
    results = await all_at_once(batcher, [reused, reused, elsewhere])
    assert tickets_of(results[:2])[1].replayed
    refused = results[2]
    assert isinstance(refused, ApiError) and refused.code == "idempotency_key_reused"
    assert await intake_db.count(Ticket) == 2


async def test_batch_max_one_is_a_transaction_per_request(intake_db: IntakeStore) -> None:
    batcher = batches(intake_db, ticket_batch_max=1)
    requests = [request(f"139777777{i:02d}") for i in range(8)]
    results = tickets_of(await all_at_once(batcher, requests))
    assert batcher.committed == Counter()
    assert len({r.ticket.ticket_no for r in results}) == 8
    assert await intake_db.count(Ticket) == 8


@pytest.mark.parametrize("batch_max", [64, 1])
async def test_http_requests_keep_their_own_correlation_ids(
    tmp_path: Path, broker: str, topic_prefix: str, batch_max: int
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    running = running_intake(
        url, broker, topic_prefix, consumer_session_timeout_ms=1500, ticket_batch_max=batch_max
    )
    async with running as (client, store):
        answers = await asyncio.gather(
            *(
                client.post(
                    "/v1/tickets",
                    json=ticket_body(f"137000000{i:02d}"),
                    headers=GATEWAY,
                )
                for i in range(16)
            )
        )
        assert [a.status_code for a in answers] == [201] * 16, [a.text for a in answers]
        correlation = {a.json()["ticket_id"]: a.headers["x-correlation-id"] for a in answers}
        received = await store.events("ticket.received")
        assert {str(e.ticket_id): str(e.correlation_id) for e in received} == correlation
        assert len(correlation) == 16


async def test_a_batch_finds_its_customers_with_one_lookup(intake_db: IntakeStore) -> None:
    """The locked identity lookup is one statement for the batch, not one per request;
    a profile that existed before is found by it, a repeat within the batch too."""
    known = "13988888800"
    batcher = batches(intake_db)
    [before] = tickets_of(await all_at_once(batcher, [request(known)]))
    lookups: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "customer_identifiers" in statement and statement.lstrip().upper().startswith("SELECT"):
            lookups.append(statement)

    sa.event.listen(intake_db.engine.sync_engine, "before_cursor_execute", count)
    try:
        fresh = [request(f"139888888{i:02d}", issue=1) for i in range(1, 7)]
        results = tickets_of(await all_at_once(batcher, [request(known, issue=2), *fresh]))
    finally:
        sa.event.remove(intake_db.engine.sync_engine, "before_cursor_execute", count)

    assert batcher.committed == Counter({7: 1})
    assert len(lookups) == 1, lookups
    assert results[0].ticket.customer_id == before.ticket.customer_id
    assert len({r.ticket.customer_id for r in results[1:]}) == 6


async def test_after_a_merge_in_a_batch_its_identifiers_name_the_survivor(
    intake_db: IntakeStore,
) -> None:
    """Looked up ahead, the phone of the profile merged away named that profile; the batch
    must read it again after the merge (as one request after the other would)."""
    older, newer, mail = "13977777701", "13977777709", "merged-later@example.com"
    batcher = batches(intake_db, ticket_batch_max=1)
    [first] = tickets_of(await all_at_once(batcher, [request(older)]))
    [second] = tickets_of(await all_at_once(batcher, [request(newer, mail)]))
    assert first.ticket.customer_id != second.ticket.customer_id

    together = batches(intake_db)
    # Sorted by phone: the merge (older phone and the newer profile's e-mail) runs first.
    proving, by_phone = tickets_of(
        await all_at_once(together, [request(older, mail, issue=1), request(newer, issue=2)])
    )
    assert together.committed == Counter({2: 1})
    assert proving.ticket.customer_id == first.ticket.customer_id
    assert by_phone.ticket.customer_id == first.ticket.customer_id
    async with intake_db.sessions() as session:
        merged = await session.get(Customer, second.ticket.customer_id)
        assert merged is not None and merged.merged_into_id == first.ticket.customer_id
