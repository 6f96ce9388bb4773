"""A use case that loses a race undoes only its own attempt (a savepoint), never the
caller's unit of work: the rows and events from before stay, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from intake_support import IntakeStore
from sqlalchemy.exc import IntegrityError

from services.intake.models import VipEntry
from shared.events import CustomerMerged, CustomerMergedData, utcnow


def _merged() -> CustomerMerged:
    return CustomerMerged(
        data=CustomerMergedData(surviving_customer_id=uuid.uuid4(), merged_customer_id=uuid.uuid4())
    )


def _vip(value: str) -> VipEntry:
    return VipEntry(id=uuid.uuid4(), kind="phone", value=value, note=None, created_at=utcnow())


async def test_a_failed_savepoint_keeps_what_the_unit_of_work_held(intake_db: IntakeStore) -> None:
    async with intake_db.uow() as uow:
        uow.session.add(_vip("+8613800000001"))
        await uow.session.flush()
        kept = _merged()
        uow.emit(kept)
        with pytest.raises(IntegrityError):
            async with uow.savepoint():
                uow.emit(_merged())
                uow.session.add(_vip("+8613800000001"))  # the same identifier: refused
                await uow.session.flush()
        assert [e.event_id for e in uow.emitted] == [kept.event_id]
        async with uow.savepoint():  # the unit of work goes on after the failed attempt
            uow.session.add(_vip("+8613800000002"))
        await uow.commit()
    assert await intake_db.count(VipEntry) == 2
    assert [e.event_id for e in await intake_db.events()] == [kept.event_id]
