"""Kafka clients and topic creation, configured from settings."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from shared.events import Topics
from shared.observability import get_logger
from shared.settings import ServiceSettings

log = get_logger(__name__)


def make_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"sopdesk-{settings.service_name}",
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=1,
        request_timeout_ms=15000,
    )


def standard_topics(settings: ServiceSettings) -> list[str]:
    """The lifecycle topics every service may touch, plus its own dead-letter topic."""
    topics = Topics(settings.topic_prefix)
    return [*(topics.name(s) for s in Topics.STREAMS), topics.dlq(settings.service_name)]


async def ensure_topics(
    settings: ServiceSettings, names: Iterable[str], *, attempts: int = 30
) -> None:
    """Create missing topics with the configured partition count; existing ones are kept."""
    wanted = sorted(set(names))
    for attempt in range(1, attempts + 1):
        admin = AIOKafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=f"sopdesk-{settings.service_name}-admin",
        )
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [n for n in wanted if n not in existing]
            if missing:
                # Another replica may win the race to create them.
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(
                        [
                            NewTopic(
                                n,
                                num_partitions=settings.topic_partitions,
                                replication_factor=settings.topic_replication_factor,
                            )
                            for n in missing
                        ]
                    )
                log.info("topics_created", topics=missing)
            return
        except (KafkaError, OSError) as exc:
            if attempt == attempts:
                raise
            log.warning("broker_not_ready", attempt=attempt, error=repr(exc))
            await asyncio.sleep(min(0.2 * attempt, 2.0))
        finally:
            await admin.close()
