"""A customer wrote on a ticket (``ticket.message_added``, issue 13 §3): the reply reaches
the agent. The caller commits.

One owner per effect: follow-up confirms a ticket on "已解决" and reopens a resolved one on
any other reply (``ticket.reopened``, which :func:`reactions.reopen` gives back to its
agent); dispatch records the reply in the ticket's activity, resumes a ticket waiting on the
customer (``ticket.progress_noted`` with ``waiting_on_customer=false``: follow-up resumes the
clocks as for the resume route) and flags the assignment for its agent.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.dispatch import activity, domain, repository
from shared.events import ProgressNotedData, TicketMessageAdded, TicketProgressNoted, utcnow
from shared.outbox import UnitOfWork

RESUMED_NOTE = "客户已回复,恢复处理 the customer replied; resumed"


async def on_customer_messages(uow: UnitOfWork, events: Sequence[TicketMessageAdded]) -> None:
    replies = [e for e in events if e.ticket_id is not None and e.data.author == "customer"]
    if not replies:
        return
    # Redeliveries never reach here (the consumer's inbox); two messages of one batch
    # act one after the other on the locked row.
    locked = await repository.lock_assignments_by_ticket(
        uow.session, sorted({e.ticket_id for e in replies if e.ticket_id})
    )
    by_ticket = {a.ticket_id: a for a in locked}
    for event in replies:
        assert event.ticket_id is not None
        a = by_ticket.get(event.ticket_id)
        at = event.occurred_at
        activity.record(
            uow,
            ticket_id=event.ticket_id,
            assignment_id=a.id if a else None,
            kind="customer_replied",
            actor=("customer", activity.CUSTOMER_NAME),
            text=event.data.body,
            data={
                "message_id": str(event.data.message_id),
                "channel": event.data.channel,
                "reply": event.data.reply,
                "state": a.state if a else None,
            },
            at=at,
            event_id=event.event_id,
        )
        if a is None or a.state == domain.RESOLVED:
            continue  # follow-up reopens a resolved ticket (or confirms it)
        a.customer_replied_at = at
        a.updated_at = at
        if a.state == domain.WAITING:
            a.state = domain.ACCEPTED
            uow.emit(
                TicketProgressNoted(
                    ticket_id=a.ticket_id,
                    data=ProgressNotedData(
                        assignment_id=a.id,
                        agent_id=a.agent_id,
                        # When dispatch resumed it (after the reply's own line).
                        at=max(utcnow(), at),
                        actor=activity.SYSTEM[0],
                        actor_name=activity.SYSTEM[1],
                        note=RESUMED_NOTE,
                        waiting_on_customer=False,
                    ),
                ),
                cause=event,
            )
