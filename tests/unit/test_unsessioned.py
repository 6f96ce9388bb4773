"""Rows built without the ORM (``shared.database.unsessioned``) track changes like a loaded row,
and an event's trace carrier reads what was set."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from services.analytics.models import TicketFact
from services.dispatch.models import Assignment
from shared.database import unsessioned
from shared.events import TicketQueued, TicketQueuedData


def test_an_unsessioned_row_tracks_changes_against_its_values() -> None:
    ident = uuid.uuid4()
    fact = unsessioned(TicketFact, {"ticket_id": ident, "state": "new", "transfers": 0})
    state = sa.inspect(fact)
    assert fact.ticket_id == ident and fact.state == "new" and fact.subject is None
    assert state.session is None and not state.committed_state
    fact.state = "received"
    fact.transfers += 1
    # What the Core writers read: the values held before each change, and the values now.
    assert state.committed_state == {"state": "new", "transfers": 0}
    assert state.dict["state"] == "received" and state.dict["transfers"] == 1


def test_unsessioned_rows_of_another_model_hold_only_their_values() -> None:
    assignment = unsessioned(Assignment, {"id": uuid.uuid4(), "state": "queued"})
    assert assignment.agent_id is None
    assert set(sa.inspect(assignment).dict) - {"_sa_instance_state"} == {"id", "state"}


def test_the_trace_carrier_reads_what_was_set() -> None:
    event = TicketQueued(
        ticket_id=uuid.uuid4(),
        data=TicketQueuedData(
            assignment_id=uuid.uuid4(), ticket_no="T-1", team="frontline", priority="P2", reason="r"
        ),
    )
    assert event.trace_carrier == {}
    event._trace_carrier = {"traceparent": "00-abc-def-01"}
    assert event.trace_carrier == {"traceparent": "00-abc-def-01"}
