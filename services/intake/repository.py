"""Every query intake makes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import (
    TEAM_COPIES,
    ContactReveal,
    Customer,
    CustomerIdentifier,
    MessageTemplate,
    NotificationDelivery,
    OutgoingMessage,
    Ticket,
    TicketCounter,
    TicketMessage,
    TimelineEntry,
    Verification,
    VerificationThrottle,
    VipEntry,
)
from shared import team_copies
from shared.database import mapped_columns, supports_skip_locked, upsert
from shared.events import TeamEvent

Identifier = tuple[str, str]  # (kind, normalised value)


async def find_customers(
    session: AsyncSession, *, phone: str | None, email: str | None, member_id: str | None
) -> Sequence[Customer]:
    conditions = []
    if phone:
        conditions.append(Customer.phone == phone)
    if email:
        conditions.append(Customer.email == email)
    if member_id:
        conditions.append(Customer.member_id == member_id)
    if not conditions:
        return []
    result = await session.scalars(sa.select(Customer).where(sa.or_(*conditions)))
    return result.all()


async def get_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer | None:
    return await session.get(Customer, customer_id)


async def get_ticket(
    session: AsyncSession, ticket_id: uuid.UUID, *, lock: bool = False
) -> Ticket | None:
    await _before_read(session, lambda held: ticket_id in held.ticket_ids)
    return await session.get(Ticket, ticket_id, with_for_update=lock or None)


async def tickets_for_update(
    session: AsyncSession, ticket_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Ticket]:
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    result = await session.scalars(sa.select(Ticket).where(Ticket.id.in_(ids)).with_for_update())
    return {ticket.id: ticket for ticket in result.all()}


async def ticket_by_idempotency_key(session: AsyncSession, key: str) -> Ticket | None:
    await _before_read(session, lambda held: key in held.idempotency_keys)
    return await session.scalar(sa.select(Ticket).where(Ticket.idempotency_key == key))


async def tickets_of_customer(
    session: AsyncSession, customer_id: uuid.UUID, limit: int = 100
) -> Sequence[Ticket]:
    result = await session.scalars(
        sa.select(Ticket)
        .where(Ticket.customer_id == customer_id)
        .order_by(Ticket.created_at.desc())
        .limit(limit)
    )
    return result.all()


async def timeline(
    session: AsyncSession, ticket_id: uuid.UUID, *, customer_visible_only: bool
) -> Sequence[TimelineEntry]:
    query = sa.select(TimelineEntry).where(TimelineEntry.ticket_id == ticket_id)
    if customer_visible_only:
        query = query.where(TimelineEntry.customer_visible.is_(True))
    result = await session.scalars(query.order_by(TimelineEntry.at, TimelineEntry.kind))
    return result.all()


async def next_ticket_sequence(session: AsyncSession, day: date) -> int:
    """Atomically take the next number of the day; safe across replicas (row lock on upsert)."""
    stmt = (
        upsert(session, TicketCounter)
        .values(day=day, value=1)
        .on_conflict_do_update(
            index_elements=[TicketCounter.day], set_={"value": TicketCounter.value + 1}
        )
        .returning(TicketCounter.value)
    )
    return int((await session.execute(stmt)).scalar_one())


async def reserve_ticket_numbers(session: AsyncSession, day: date, count: int) -> int:
    """Take ``count`` numbers of the day at once; returns the last (the first is
    ``last - count + 1``). The row stays locked until the caller's commit."""
    stmt = (
        upsert(session, TicketCounter)
        .values(day=day, value=count)
        .on_conflict_do_update(
            index_elements=[TicketCounter.day], set_={"value": TicketCounter.value + count}
        )
        .returning(TicketCounter.value)
    )
    return int((await session.execute(stmt)).scalar_one())


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)


def _columns(entity: object) -> dict[str, Any]:
    """An ORM object's column values as a Core insert takes them; a column left unset
    keeps its default."""
    row: dict[str, Any] = {}
    for key, column, has_default in mapped_columns(type(entity)):
        value = getattr(entity, key)
        if value is None and has_default:
            continue
        row[column] = value
    return row


_INSERT_CUSTOMER = sa.insert(cast(sa.Table, Customer.__table__))
_INSERT_TICKET = sa.insert(cast(sa.Table, Ticket.__table__))
_INSERT_TIMELINE = sa.insert(cast(sa.Table, TimelineEntry.__table__))
_INSERT_OUTGOING = sa.insert(cast(sa.Table, OutgoingMessage.__table__))
_INSERT_DELIVERY = sa.insert(cast(sa.Table, NotificationDelivery.__table__))
_HELD = "intake.held_rows"


class HeldRows:
    """New rows of a batch of tickets (``ticket_batches``), written with one INSERT per
    table when a read could see them or at the batch's commit, not one per row. What the
    reads look for is kept beside the rows, so a read that cannot see them (another
    customer, another key) costs no write."""

    def __init__(self) -> None:
        self._clear()
        # The batch's locked identity lookup made ahead (``lock_owners_ahead``): the owner
        # of each identifier asked about, while no request of the batch has changed it. An
        # identifier a request records, and every one after a merge, is read again.
        self.owners: dict[Identifier, Customer] = {}
        self.asked: set[Identifier] = set()

    def _clear(self) -> None:
        # In the order the foreign keys need: a customer before its identifiers and
        # tickets, a ticket before its timeline.
        self.customers: list[dict[str, Any]] = []
        self.identifiers: list[dict[str, Any]] = []
        self.tickets: list[dict[str, Any]] = []
        self.timeline: list[dict[str, Any]] = []
        self.outgoing: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.identities: set[Identifier] = set()
        self.ticket_ids: set[uuid.UUID] = set()
        self.customers_with_tickets: set[uuid.UUID] = set()
        self.idempotency_keys: set[str] = set()
        self.email_ids: set[str] = set()
        self.ticket_nos: set[str] = set()

    def __bool__(self) -> bool:
        return bool(
            self.customers
            or self.identifiers
            or self.tickets
            or self.timeline
            or self.outgoing
            or self.deliveries
        )

    async def write(self, session: AsyncSession) -> None:
        if self.customers:
            await session.execute(_INSERT_CUSTOMER, self.customers)
        if self.identifiers:
            await session.execute(
                upsert(session, CustomerIdentifier.__table__)
                .values(self.identifiers)
                .on_conflict_do_nothing()
            )
        for statement, rows in (
            (_INSERT_TICKET, self.tickets),
            (_INSERT_TIMELINE, self.timeline),
            (_INSERT_OUTGOING, self.outgoing),
            (_INSERT_DELIVERY, self.deliveries),
        ):
            if rows:
                await session.execute(statement, rows)
        self._clear()


def hold_rows(session: AsyncSession) -> HeldRows:
    """From now on the session's new customers, tickets and notices are held (see
    ``HeldRows``); the holder writes them with ``write_held_rows`` before it commits."""
    held = HeldRows()
    session.info[_HELD] = held
    return held


def _held(session: AsyncSession) -> HeldRows | None:
    held: HeldRows | None = session.info.get(_HELD)
    return held


async def write_held_rows(session: AsyncSession) -> None:
    held = _held(session)
    if held:
        await held.write(session)


async def _before_read(session: AsyncSession, could_see: Callable[[HeldRows], bool]) -> None:
    """Write the held rows before a read that could see one of them, so that the second
    ticket of a customer in a batch finds the first as it would one after the other."""
    held = _held(session)
    if held and could_see(held):
        await held.write(session)


async def insert_new_customer(session: AsyncSession, customer: Customer) -> None:
    """A new profile with a Core insert (see ``insert_new_ticket``); the object stays
    untracked."""
    held = _held(session)
    if held is not None:
        held.customers.append(_columns(customer))
        return
    await session.execute(_INSERT_CUSTOMER, _columns(customer))


async def insert_new_ticket(session: AsyncSession, ticket: Ticket, first: TimelineEntry) -> None:
    """A new ticket and its first timeline line, written with Core inserts rather than
    through the unit of work (whose flush cost more than the statements on intake's hot
    path); the objects stay untracked. The caller has flushed its customer's row."""
    held = _held(session)
    if held is not None:
        held.tickets.append(_columns(ticket))
        held.timeline.append(_columns(first))
        held.ticket_ids.add(ticket.id)
        held.customers_with_tickets.add(ticket.customer_id)
        held.ticket_nos.add(ticket.ticket_no)
        if ticket.idempotency_key:
            held.idempotency_keys.add(ticket.idempotency_key)
        if ticket.email_message_id:
            held.email_ids.add(ticket.email_message_id)
        return
    await session.execute(_INSERT_TICKET, _columns(ticket))
    await session.execute(_INSERT_TIMELINE, _columns(first))


async def insert_outgoing_message(session: AsyncSession, row: dict[str, Any]) -> None:
    """A notice sent, with a Core insert: its ORM flush was a tenth of a new ticket's CPU
    (py-spy, 2026-12-03). No foreign key, so it may precede its ticket's row."""
    await insert_outgoing_messages(session, [row])


async def insert_notification_delivery(session: AsyncSession, row: dict[str, Any]) -> None:
    """A delivery to a gateway's webhook, queued with a Core insert (as the notice)."""
    await insert_notification_deliveries(session, [row])


async def customers_by_identifiers(
    session: AsyncSession, identifiers: Sequence[Identifier]
) -> dict[Identifier, Customer]:
    """The live profile each identifier belongs to, rows locked for the merge that may follow."""
    if not identifiers:
        return {}
    held = _held(session)
    if held is not None and held.asked.issuperset(identifiers):
        # Locked by the batch's lookup and unchanged since: the same objects a query
        # would return (the session's identity map), without the round trip.
        return {i: held.owners[i] for i in identifiers if i in held.owners}
    await _before_read(session, lambda held: not held.identities.isdisjoint(identifiers))
    rows = (await session.execute(_OWNERS_LOCKED, {"pairs": list(identifiers)})).all()
    return {(row.kind, row.value): row.Customer for row in rows}


# Pairs per statement of a batch's lookup: twice this many parameters stays under
# SQLite's oldest limit (999).
_LOOKUP_CHUNK = 256


def _padded(pairs: list[Identifier]) -> list[Identifier]:
    """Pairs repeated up to a power of two: a batch's lookup then has a few statement
    shapes (each count of pairs is its own SQL text, prepared by asyncpg) instead of one
    per batch size; a pair asked twice matches the same rows."""
    size = 4
    while size < len(pairs):
        size *= 2
    return pairs + [pairs[-1]] * (size - len(pairs))


async def lock_owners_ahead(session: AsyncSession, identifiers: Iterable[Identifier]) -> None:
    """A batch's locked identity lookup for all its requests at once (``HeldRows``): one
    statement instead of one per request, the profiles locked in one order (by id). Each
    request's ``customers_by_identifiers`` then answers from it while it holds."""
    held = _held(session)
    pairs = sorted(set(identifiers))
    if held is None or not pairs:
        return
    await _before_read(session, lambda rows: not rows.identities.isdisjoint(pairs))
    owners: dict[Identifier, Customer] = {}
    for start in range(0, len(pairs), _LOOKUP_CHUNK):
        chunk = _padded(pairs[start : start + _LOOKUP_CHUNK])
        rows = (await session.execute(_OWNERS_LOCKED, {"pairs": chunk})).all()
        owners.update(((row.kind, row.value), row.Customer) for row in rows)
    held.owners = owners
    held.asked = set(pairs)


# Built once: every ticket runs it, and a statement object reused keeps its cache key.
_OWNERS_LOCKED = (
    sa.select(CustomerIdentifier.kind, CustomerIdentifier.value, Customer)
    .join(Customer, Customer.id == CustomerIdentifier.customer_id)
    .where(
        sa.tuple_(CustomerIdentifier.kind, CustomerIdentifier.value).in_(
            sa.bindparam("pairs", expanding=True)
        )
    )
    .order_by(Customer.id)
    .with_for_update(of=Customer)
)


async def identifiers_of(
    session: AsyncSession, customer_ids: Iterable[uuid.UUID]
) -> Sequence[CustomerIdentifier]:
    ids = list(set(customer_ids))
    if not ids:
        return []
    result = await session.scalars(
        sa.select(CustomerIdentifier)
        .where(CustomerIdentifier.customer_id.in_(ids))
        .order_by(CustomerIdentifier.kind, CustomerIdentifier.created_at)
    )
    return result.all()


async def add_identifiers(
    session: AsyncSession, customer_id: uuid.UUID, identifiers: Iterable[Identifier], at: datetime
) -> None:
    """Record identifiers for a profile, in one statement; one already known (a race) stays
    with its owner."""
    pairs = list(identifiers)
    rows = [
        {"kind": kind, "value": value, "customer_id": customer_id, "created_at": at}
        for kind, value in pairs
    ]
    held = _held(session)
    if held is not None:
        held.identifiers.extend(rows)
        held.identities.update(pairs)
        held.asked.difference_update(pairs)  # their owner is now this profile
        return
    if rows:
        await session.execute(
            upsert(session, CustomerIdentifier.__table__).values(rows).on_conflict_do_nothing()
        )


async def repoint_customer(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> None:
    """Move every identifier and ticket of ``source`` to ``target`` (a merge)."""
    await write_held_rows(session)  # rare: whatever is held moves too
    held = _held(session)
    if held is not None:
        held.asked.clear()  # identifiers of ``source`` looked up ahead now name ``target``
    await session.execute(
        sa.update(CustomerIdentifier)
        .where(CustomerIdentifier.customer_id == source)
        .values(customer_id=target)
    )
    await session.execute(
        sa.update(Ticket).where(Ticket.customer_id == source).values(customer_id=target)
    )
    await session.execute(
        sa.update(Customer).where(Customer.merged_into_id == source).values(merged_into_id=target)
    )


async def merged_into(session: AsyncSession, customer_id: uuid.UUID) -> Sequence[uuid.UUID]:
    result = await session.scalars(
        sa.select(Customer.id).where(Customer.merged_into_id == customer_id).order_by(Customer.id)
    )
    return result.all()


async def vip_identifiers(session: AsyncSession) -> frozenset[Identifier]:
    """Every (kind, value) on the VIP list."""
    rows = (await session.execute(sa.select(VipEntry.kind, VipEntry.value))).all()
    return frozenset((row.kind, row.value) for row in rows)


async def vip_entries(session: AsyncSession) -> Sequence[VipEntry]:
    result = await session.scalars(sa.select(VipEntry).order_by(VipEntry.created_at, VipEntry.id))
    return result.all()


async def vip_entry(session: AsyncSession, kind: str, value: str) -> VipEntry | None:
    return await session.scalar(
        sa.select(VipEntry).where(VipEntry.kind == kind, VipEntry.value == value)
    )


async def recent_open_tickets(
    session: AsyncSession, customer_id: uuid.UUID, since: datetime, closed: Iterable[str]
) -> Sequence[Ticket]:
    await _before_read(session, lambda held: customer_id in held.customers_with_tickets)
    result = await session.scalars(
        sa.select(Ticket)
        .where(
            Ticket.customer_id == customer_id,
            Ticket.created_at >= since,
            Ticket.status.not_in(list(closed)),
        )
        .order_by(Ticket.created_at.desc())
        .limit(20)
    )
    return result.all()


async def ticket_by_email_ids(session: AsyncSession, message_ids: Sequence[str]) -> Ticket | None:
    """The ticket an e-mail replies to: its first mail or any mail threaded onto it."""
    if not message_ids:
        return None
    await _before_read(session, lambda held: not held.email_ids.isdisjoint(message_ids))
    ticket = await session.scalar(
        sa.select(Ticket).where(Ticket.email_message_id.in_(message_ids)).limit(1)
    )
    if ticket is not None:
        return ticket
    return await session.scalar(
        sa.select(Ticket)
        .join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
        .where(TicketMessage.external_id.in_(message_ids))
        .limit(1)
    )


async def message_by_idempotency_key(session: AsyncSession, key: str) -> TicketMessage | None:
    return await session.scalar(
        sa.select(TicketMessage).where(TicketMessage.idempotency_key == key)
    )


async def due_deliveries(
    session: AsyncSession, now: datetime, limit: int, *, skip_locked: bool
) -> Sequence[NotificationDelivery]:
    """Pending webhook deliveries due by ``now``, oldest first, locked (rows another
    replica holds are skipped where the database can)."""
    query = (
        sa.select(NotificationDelivery)
        .where(NotificationDelivery.status == "pending")
        .where(NotificationDelivery.next_attempt_at <= now)
        .order_by(NotificationDelivery.next_attempt_at)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


async def deliveries_for_update(
    session: AsyncSession, delivery_ids: Sequence[uuid.UUID]
) -> Sequence[NotificationDelivery]:
    return (
        await session.scalars(
            sa.select(NotificationDelivery)
            .where(NotificationDelivery.id.in_(list(delivery_ids)))
            .with_for_update()
        )
    ).all()


def skip_locked(session: AsyncSession) -> bool:
    return supports_skip_locked(session)


async def lock_phone_throttle(session: AsyncSession, phone: str, at: datetime) -> None:
    """Upsert the phone's throttle row: the row lock it takes makes replicas count in turn."""
    stmt = (
        upsert(session, VerificationThrottle)
        .values(phone=phone, touched_at=at)
        .on_conflict_do_update(index_elements=[VerificationThrottle.phone], set_={"touched_at": at})
    )
    await session.execute(stmt)


async def verification_sends_since(
    session: AsyncSession, phone: str, since: datetime
) -> Sequence[datetime]:
    result = await session.scalars(
        sa.select(Verification.created_at)
        .where(Verification.phone == phone, Verification.created_at >= since)
        .order_by(Verification.created_at)
    )
    return result.all()


async def verification_for_update(
    session: AsyncSession, verification_id: uuid.UUID
) -> Verification | None:
    return await session.scalar(
        sa.select(Verification).where(Verification.id == verification_id).with_for_update()
    )


async def customers_by_ids(
    session: AsyncSession, customer_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Customer]:
    ids = list(set(customer_ids))
    if not ids:
        return {}
    result = await session.scalars(sa.select(Customer).where(Customer.id.in_(ids)))
    return {customer.id: customer for customer in result.all()}


async def tickets_by_ids(
    session: AsyncSession, ticket_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Ticket]:
    ids = list(set(ticket_ids))
    if not ids:
        return {}
    result = await session.scalars(sa.select(Ticket).where(Ticket.id.in_(ids)))
    return {ticket.id: ticket for ticket in result.all()}


async def ticket_by_no(session: AsyncSession, ticket_no: str) -> Ticket | None:
    await _before_read(session, lambda held: ticket_no in held.ticket_nos)
    return await session.scalar(sa.select(Ticket).where(Ticket.ticket_no == ticket_no))


async def has_identifier(
    session: AsyncSession, customer_id: uuid.UUID, kind: str, value: str
) -> bool:
    await _before_read(session, lambda held: (kind, value) in held.identities)
    found = await session.scalar(
        sa.select(CustomerIdentifier.customer_id).where(
            CustomerIdentifier.kind == kind,
            CustomerIdentifier.value == value,
            CustomerIdentifier.customer_id == customer_id,
        )
    )
    return found is not None


async def keep_team_announcements(session: AsyncSession, events: Sequence[TeamEvent]) -> None:
    await team_copies.apply_announcements(session, TEAM_COPIES, events)


async def teams_by_key(
    session: AsyncSession, keys: Iterable[str]
) -> dict[str, team_copies.KnownTeam]:
    return await team_copies.known_teams(session, TEAM_COPIES, keys)


async def template_versions(
    session: AsyncSession, key: str | None = None
) -> Sequence[MessageTemplate]:
    """Stored template versions (of one template, or all), oldest first."""
    query = sa.select(MessageTemplate).order_by(
        MessageTemplate.key,
        MessageTemplate.language,
        MessageTemplate.channel,
        MessageTemplate.version,
    )
    if key is not None:
        query = query.where(MessageTemplate.key == key)
    return (await session.scalars(query)).all()


async def latest_template_version(
    session: AsyncSession, key: str, language: str, channel: str
) -> int:
    query = sa.select(sa.func.max(MessageTemplate.version)).where(
        MessageTemplate.key == key,
        MessageTemplate.language == language,
        MessageTemplate.channel == channel,
    )
    return int(await session.scalar(query) or 0)


async def attribute_result_notices(
    session: AsyncSession, resolvers: Sequence[dict[str, Any]]
) -> None:
    """Name the resolver on result notices sent before ticket.resolved reached intake:
    one statement for a batch's ``{"ticket": id, "resolver": …, "resolver_name": …}``."""
    if resolvers:
        await session.execute(_ATTRIBUTE_RESULT_NOTICES, list(resolvers))


_OUTGOING = cast(sa.Table, OutgoingMessage.__table__)
_ATTRIBUTE_RESULT_NOTICES = (
    sa.update(_OUTGOING)
    .where(
        _OUTGOING.c.ticket_id == sa.bindparam("ticket"),
        _OUTGOING.c.template == "resolution",
        _OUTGOING.c.actor.is_(None),
    )
    .values(
        author="agent", actor=sa.bindparam("resolver"), actor_name=sa.bindparam("resolver_name")
    )
)


async def tickets_and_customers_for_update(
    session: AsyncSession, ticket_ids: Iterable[uuid.UUID]
) -> tuple[dict[uuid.UUID, Ticket], dict[uuid.UUID, Customer]]:
    """The tickets, locked (as ``tickets_for_update``), and their customers, in one query."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}, {}
    rows = (await session.execute(_TICKETS_AND_CUSTOMERS_LOCKED, {"ids": ids})).all()
    tickets = {row.Ticket.id: row.Ticket for row in rows}
    customers = {row.Customer.id: row.Customer for row in rows if row.Customer is not None}
    return tickets, customers


_TICKETS_AND_CUSTOMERS_LOCKED = (
    sa.select(Ticket, Customer)
    .outerjoin(Customer, Customer.id == Ticket.customer_id)
    .where(Ticket.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(Ticket.id)
    .with_for_update(of=Ticket)
)


async def insert_timeline_entries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """A batch of events' timeline lines with one Core INSERT: they are only written, and
    an ORM object and its flush each cost more than the statement (py-spy, 2026-12-07)."""
    if rows:
        await session.execute(_INSERT_TIMELINE, list(rows))


async def insert_outgoing_messages(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Notices with one INSERT (one a notice was a fifth of the consumer's samples, py-spy
    2026-12-07); in a batch of new tickets, held for the batch's write."""
    held = _held(session)
    if held is not None:
        held.outgoing.extend(rows)
    elif rows:
        await session.execute(_INSERT_OUTGOING, list(rows))


async def insert_notification_deliveries(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> None:
    """Webhook deliveries with one INSERT (as their notices)."""
    held = _held(session)
    if held is not None:
        held.deliveries.extend(rows)
    elif rows:
        await session.execute(_INSERT_DELIVERY, list(rows))


async def customer_messages(session: AsyncSession, ticket_id: uuid.UUID) -> Sequence[TicketMessage]:
    """The customer's messages on a ticket (not those split off into another ticket)."""
    result = await session.scalars(
        sa.select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket_id, TicketMessage.split_into_id.is_(None))
        .order_by(TicketMessage.created_at, TicketMessage.id)
    )
    return result.all()


async def outgoing_messages(
    session: AsyncSession, ticket_id: uuid.UUID
) -> Sequence[OutgoingMessage]:
    result = await session.scalars(
        sa.select(OutgoingMessage)
        .where(OutgoingMessage.ticket_id == ticket_id)
        .order_by(OutgoingMessage.at, OutgoingMessage.id)
    )
    return result.all()


def _ticket_scope(teams: frozenset[str] | None, person_id: uuid.UUID | None) -> list[Any]:
    """Tickets of these teams or held by this person (``teams`` None: every ticket)."""
    if teams is None:
        return []
    allowed: list[Any] = [Ticket.team.in_(sorted(teams))] if teams else []
    if person_id is not None:
        allowed.append(Ticket.assignee_id == person_id)
    return [sa.or_(*allowed)] if allowed else [sa.false()]


async def search_tickets(
    session: AsyncSession,
    *,
    ticket_no: str | None,
    customer_ids: Sequence[uuid.UUID],
    order_no: str | None,
    words: str | None,
    teams: frozenset[str] | None,
    person_id: uuid.UUID | None,
    limit: int,
) -> Sequence[tuple[Ticket, str | None]]:
    """Tickets matching any of the keys, newest first, with their customer's name."""
    matches: list[Any] = []
    if ticket_no:
        matches.append(Ticket.ticket_no == ticket_no)
    if customer_ids:
        matches.append(Ticket.customer_id.in_(list(customer_ids)))
    if order_no:
        matches.append(Ticket.order_no == order_no)
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches.append(Ticket.subject.ilike(pattern, escape="\\"))
        matches.append(Ticket.description.ilike(pattern, escape="\\"))
    if not matches:
        return []
    query = (
        sa.select(Ticket, Customer.name)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(sa.or_(*matches), *_ticket_scope(teams, person_id))
        .order_by(Ticket.created_at.desc(), Ticket.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def customer_ids_by_identifier(
    session: AsyncSession, kind: str, value: str
) -> Sequence[uuid.UUID]:
    result = await session.scalars(
        sa.select(CustomerIdentifier.customer_id).where(
            CustomerIdentifier.kind == kind, CustomerIdentifier.value == value
        )
    )
    return result.all()


async def customer_tickets_in_scope(
    session: AsyncSession,
    customer_id: uuid.UUID,
    teams: frozenset[str] | None,
    person_id: uuid.UUID | None,
) -> bool:
    """Whether the customer has a ticket the caller works on (their teams or their own)."""
    found = await session.scalar(
        sa.select(Ticket.id)
        .where(Ticket.customer_id == customer_id, *_ticket_scope(teams, person_id))
        .limit(1)
    )
    return found is not None


async def contact_reveals(
    session: AsyncSession, customer_id: uuid.UUID, limit: int
) -> Sequence[ContactReveal]:
    result = await session.scalars(
        sa.select(ContactReveal)
        .where(ContactReveal.customer_id == customer_id)
        .order_by(ContactReveal.at.desc(), ContactReveal.id)
        .limit(limit)
    )
    return result.all()


async def message_of_ticket(
    session: AsyncSession, ticket_id: uuid.UUID, message_id: uuid.UUID
) -> TicketMessage | None:
    """A customer message, only on the ticket it was posted to."""
    return await session.scalar(
        sa.select(TicketMessage).where(
            TicketMessage.id == message_id, TicketMessage.ticket_id == ticket_id
        )
    )
