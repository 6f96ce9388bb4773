"""The consumer's pure rules: which errors are transient, which topics it subscribes to."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError
from sqlalchemy import exc as sa_exc

from shared.consumer import EventConsumer, is_transient, topics_for
from shared.events import Topics
from shared.observability import ServiceMetrics


async def noop(events: Any, uow: Any) -> None:
    return None


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (sa_exc.OperationalError("SELECT 1", {}, Exception("database is locked")), True),
        (sa_exc.InterfaceError("SELECT 1", {}, Exception("connection closed")), True),
        (ConnectionResetError(), True),
        (TimeoutError(), True),
        (KafkaConnectionError(), True),
        (sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")), False),
        (ValueError("bad ticket"), False),
        (KeyError("team"), False),
    ],
)
def test_transient_errors(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_invalidated_connection_is_transient() -> None:
    exc = sa_exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert is_transient(exc)


def test_subscriptions_follow_the_handled_types_plus_the_own_retry_topic() -> None:
    handlers = {"ticket.received": noop, "ticket.triaged": noop, "ticket.retriaged": noop}
    assert topics_for(handlers, Topics("p"), "dispatch") == [
        "p.intake",
        "p.retry.dispatch",
        "p.triage",
    ]


async def test_handlers_for_unknown_types_are_refused() -> None:
    with pytest.raises(ValueError, match=r"ticket\.exploded"):
        EventConsumer(
            name="x",
            bootstrap_servers="127.0.0.1:1",
            topics=Topics("p"),
            handlers={"ticket.received": noop, "ticket.exploded": noop},
            unit_of_work=lambda: None,  # type: ignore[arg-type,return-value]
            inbox=None,  # type: ignore[arg-type]
            dlq_producer=None,
            metrics=ServiceMetrics("x"),
        )
