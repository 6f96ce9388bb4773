"""Business figures on ``/metrics``: a collector on the service's own registry that
serves the latest summary, refreshed from the rollups in the background.

The figures come from the store, not from counters bumped while consuming, so
every replica reports the same values (aggregate with ``max`` in PromQL) and a
replayed event cannot inflate them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.analytics import metrics
from shared.observability import get_logger

log = get_logger(__name__)


class BusinessCollector(Collector):
    def __init__(self) -> None:
        self.body: dict[str, Any] | None = None
        self.teams: list[Any] = []

    async def refresh(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async with sessions() as session:
            body = await metrics.summary(session, None, {})
            teams = (await metrics.summary(session, "team", {}))["groups"]
        self.body, self.teams = body, teams  # together: a scrape sees one refresh

    def collect(self) -> Iterator[Metric]:
        if self.body is None:
            return
        body, f = self.body, self.body["figures"]
        states = GaugeMetricFamily("sopdesk_tickets", "Tickets by current state", labels=["state"])
        for state, count in body["by_state"].items():
            states.add_metric([state], count)
        yield states
        for name, help_text, value in (
            ("sopdesk_queue_length", "Tickets waiting for an agent", f.queue_length),
            ("sopdesk_tickets_open", "Tickets not resolved or closed", f.open),
            ("sopdesk_tickets_at_risk", "Warned, unresolved, not yet breached", f.at_risk),
            ("sopdesk_sla_compliance_ratio", "Tickets within every deadline", f.sla_compliance),
            ("sopdesk_fcr_ratio", "First-contact resolution among resolved", f.fcr_rate),
            ("sopdesk_reopen_ratio", "Reopened among resolved", f.reopen_rate),
            ("sopdesk_csat_average", "Average CSAT (1-5)", f.csat.average),
            (
                "sopdesk_first_response_median_seconds",
                "Median first response",
                f.first_response.median_seconds,
            ),
            (
                "sopdesk_resolution_median_seconds",
                "Median resolution time",
                f.resolution.median_seconds,
            ),
        ):
            if value is not None:
                yield GaugeMetricFamily(name, help_text, value=value)
        for name, help_text, value in (
            ("sopdesk_tickets_received", "Tickets received", f.tickets),
            ("sopdesk_sla_breaches", "Tickets that missed a deadline", f.breached),
            ("sopdesk_tickets_resolved", "Tickets resolved", f.resolved),
            ("sopdesk_transfers", "Transfers", f.transfers),
            ("sopdesk_escalations", "Escalations", f.escalations),
            ("sopdesk_compensation_amount", "Approved compensation (CNY)", f.compensation_total),
        ):
            yield CounterMetricFamily(name, help_text, value=value)
        cumulative, buckets = 0, []
        for score in ("1", "2", "3", "4", "5"):
            cumulative += f.csat.distribution.get(score, 0)
            buckets.append((score, cumulative))
        buckets.append(("+Inf", cumulative))
        yield GaugeHistogramMetricFamily(
            "sopdesk_csat_score",
            "CSAT answers by score (le = score)",
            buckets=buckets,
            gsum_value=float(round((f.csat.average or 0) * f.csat.responses)),
        )
        team_open = GaugeMetricFamily("sopdesk_team_open_tickets", "Open tickets", labels=["team"])
        team_breached = GaugeMetricFamily(
            "sopdesk_team_breached_tickets", "Breached tickets", labels=["team"]
        )
        for group in self.teams:
            team_open.add_metric([group.key], group.figures.open)
            team_breached.add_metric([group.key], group.figures.breached)
        yield team_open
        yield team_breached


async def keep_fresh(
    collector: BusinessCollector,
    sessions: async_sessionmaker[AsyncSession],
    every: float,
    changed: asyncio.Event,
    *,
    at_least_every: float = 60.0,
) -> None:
    """Refresh at most every ``every`` seconds, and only after ``changed`` was set
    (a commit in this process) or ``at_least_every`` passed (another replica's
    commits): an idle analytics service does not query its store."""
    while True:
        changed.clear()
        try:
            await collector.refresh(sessions)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the store may be away for a moment; keep the last figures
            log.warning("business_metrics_refresh_failed", error=repr(exc))
        await asyncio.sleep(every)
        with suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), max(at_least_every - every, 0.0))
