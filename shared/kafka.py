"""Kafka clients and topic creation, configured from settings."""

from __future__ import annotations

import asyncio
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
    """The lifecycle topics every service may touch, plus its own dead-letter and retry topics."""
    topics = Topics(settings.topic_prefix)
    service = settings.service_name
    return [
        *(topics.name(s) for s in Topics.STREAMS),
        topics.dlq(service),
        topics.retry(service),
    ]


async def ensure_topics(
    settings: ServiceSettings, names: Iterable[str], *, attempts: int = 50
) -> None:
    """Create missing topics with the configured partition count; existing ones are kept.

    Returns only once the broker lists every topic: a consumer that subscribes
    before its topics exist is not given their partitions until its next
    metadata refresh.
    """
    wanted = sorted(set(names))
    for attempt in range(1, attempts + 1):
        admin = AIOKafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=f"sopdesk-{settings.service_name}-admin",
        )
        try:
            await admin.start()
            missing = [n for n in wanted if n not in set(await admin.list_topics())]
            if not missing:
                return
            response = await admin.create_topics(
                [
                    NewTopic(
                        n,
                        num_partitions=settings.topic_partitions,
                        replication_factor=settings.topic_replication_factor,
                    )
                    for n in missing
                ]
            )
            # Errors come back per topic, not raised; "already exists" means a
            # replica won the race, anything else is worth a retry.
            failed = [
                error
                for error in getattr(response, "topic_errors", [])
                if error[1] not in (0, TopicAlreadyExistsError.errno)
            ]
            if failed:
                log.warning("topic_creation_failed", errors=repr(failed))
            else:
                log.info("topics_created", topics=missing)
        except (KafkaError, OSError) as exc:
            if attempt == attempts:
                raise
            log.warning("broker_not_ready", attempt=attempt, error=repr(exc))
        finally:
            await admin.close()
        await asyncio.sleep(min(0.1 * attempt, 1.0))
    raise KafkaError(f"topics still missing after {attempts} attempts: {wanted}")
