"""The command-line tool as the operations tests run it, and what it leaves on the broker."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from typer.testing import CliRunner

from services.triage.models import BUS as TRIAGE_BUS
from shared.database import create_engine
from shared.settings import ServiceSettings
from sopdesk.cli import app

runner = CliRunner()


def invoke(*args: str) -> str:
    """``sopdesk ARGS``'s output; the command must succeed."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


async def read_topic(
    settings: ServiceSettings, topic: str, at_least: int = 0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything on ``topic``: read until ``at_least`` records have come (15 s at the
    most) and then the topic stays quiet for a second, so anything beyond shows up."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        await reader.topics()
        tps = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
        if not tps:
            return []  # no such topic: nothing was sent there
        reader.assign(tps)
        await reader.seek_to_beginning(*tps)
        records: list[ConsumerRecord[bytes, bytes]] = []
        deadline = asyncio.get_running_loop().time() + 15
        quiet = 0
        while quiet < 5 or (
            len(records) < at_least and asyncio.get_running_loop().time() < deadline
        ):
            batch = await reader.getmany(timeout_ms=200)
            quiet = 0 if batch else quiet + 1
            for items in batch.values():
                records.extend(items)
        return records
    finally:
        await reader.stop()


async def write_triage_outbox(url: str, rows: list[dict[str, Any]]) -> None:
    """``rows`` into triage's outbox at ``url``, as if triage had written them."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(TRIAGE_BUS.outbox), rows)
    finally:
        await engine.dispose()
