"""Fixtures of intake's tests (helpers live in ``intake_support``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from intake_support import IntakeStore, migrated_intake


@pytest.fixture
async def intake_db(database_url: str) -> AsyncIterator[IntakeStore]:
    async with migrated_intake(database_url) as store:
        yield store


@pytest.fixture(autouse=True)
def fresh_template_cache() -> None:
    """Template books and VIP lists are cached per database URL; a test never sees
    another's."""
    from services.intake.customers import forget_cached_vip_lists
    from services.intake.template_service import forget_cached_templates

    forget_cached_templates()
    forget_cached_vip_lists()
