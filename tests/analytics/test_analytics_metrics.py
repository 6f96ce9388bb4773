"""The summary over HTTP, read from the rollups, checked against figures computed
straight from the facts, for every grouping."""

from __future__ import annotations

import statistics
import uuid
from datetime import timedelta
from typing import Any

import pytest
from analytics_support import (
    T0,
    VIEWER,
    AnalyticsStore,
    Scenario,
    apply,
    by_type,
    lifecycle,
    realistic,
    running_app,
)

from services.analytics.rollups import REPORT_ZONE, TIME_BOUNDS


def _bucket_width(seconds: float) -> float:
    lower = 0
    for bound in TIME_BOUNDS:
        if seconds < bound:
            return bound - lower
        lower = bound
    return lower


async def _load(store: AnalyticsStore) -> None:
    events: list[Any] = []
    for s in realistic(T0, days=7, per_day=20):
        events += lifecycle(s)
    specials = [
        Scenario(ticket_no="Q1", queued_for=timedelta(minutes=1), assign=False),
        Scenario(ticket_no="W1", accept_after=None, warn=True),
        Scenario(ticket_no="R1", reopen=True, csat=1, close=False),
        Scenario(ticket_no="B1", breaches=("response",), compensation=100.0, escalate=True),
        Scenario(ticket_no="X1", transfer_to=("tech_support", uuid.uuid4(), "tx"), csat=None),
    ]
    for s in specials:
        events += lifecycle(s)
    await apply(store, by_type(events))


async def test_summary_matches_the_facts(
    store: AnalyticsStore, database_url: str, broker: str, topic_prefix: str
) -> None:
    await _load(store)
    facts = await store.facts()
    async with running_app(database_url, broker, topic_prefix) as client:
        response = await client.get("/v1/metrics/summary", headers=VIEWER)
        assert response.status_code == 200, response.text
        body = response.json()
        f = body["figures"]
        assert body["total"] == f["tickets"] == len(facts) == 145
        assert body["by_state"]["queued"] == body["queue_length"] == f["queue_length"] == 1
        assert sum(body["by_channel"].values()) == len(facts)
        assert f["open"] == sum(1 for x in facts if x.state not in ("resolved", "closed"))
        assert f["at_risk"] == 1
        assert f["breached"] == sum(1 for x in facts if x.breached)
        resolved = [x for x in facts if x.fcr is not None]
        assert f["resolved"] == len(resolved)
        assert f["fcr_rate"] == pytest.approx(
            sum(bool(x.fcr) for x in resolved) / len(resolved), abs=1e-4
        )
        assert f["reopen_rate"] == pytest.approx(1 / len(resolved), abs=1e-4)
        scores = [x.csat for x in facts if x.csat is not None]
        assert f["csat"]["responses"] == len(scores)
        assert f["csat"]["average"] == pytest.approx(statistics.mean(scores), abs=0.01)
        complaints = sum(1 for x in facts if x.category == "complaint")
        assert f["complaint_share"] == pytest.approx(complaints / len(facts), abs=1e-4)
        assert f["compensation_total"] == pytest.approx(sum(x.compensation_total for x in facts))
        assert f["transfers"] == 1
        assert f["escalations"] == 1
        evaluated = [
            x
            for x in facts
            if x.response_met is not None or x.resolution_met is not None or x.breached
        ]
        assert f["sla_compliance"] == pytest.approx(
            sum(not x.breached for x in evaluated) / len(evaluated), abs=1e-4
        )
        times = sorted(
            x.first_response_seconds for x in facts if x.first_response_seconds is not None
        )
        median = statistics.median(times)
        assert f["first_response"]["count"] == len(times)
        assert f["first_response"]["mean_seconds"] == pytest.approx(statistics.mean(times), abs=0.1)
        # Histogram estimates stay within the bucket holding the exact value.
        assert abs(f["first_response"]["median_seconds"] - median) <= _bucket_width(median)
        res = sorted(x.resolution_seconds for x in facts if x.resolution_seconds is not None)
        p90 = res[int(0.9 * (len(res) - 1))]
        assert abs(f["resolution"]["p90_seconds"] - p90) <= _bucket_width(p90)

        # Every grouping adds up to the whole.
        for group_by in ("channel", "category", "priority", "team", "agent", "day", "week"):
            response = await client.get(
                "/v1/metrics/summary", params={"group_by": group_by}, headers=VIEWER
            )
            assert response.status_code == 200, (group_by, response.text)
            groups = response.json()["groups"]
            # Only tickets with a handler count per agent.
            whole = len(facts) if group_by != "agent" else sum(1 for x in facts if x.agent_name)
            assert sum(g["figures"]["tickets"] for g in groups) == whole, group_by
        days = {
            g["key"]: g["figures"]["tickets"]
            for g in (
                await client.get("/v1/metrics/summary", params={"group_by": "day"}, headers=VIEWER)
            ).json()["groups"]
        }
        expected: dict[str, int] = {}
        for x in facts:
            assert x.received_at is not None
            key = x.received_at.astimezone(REPORT_ZONE).date().isoformat()
            expected[key] = expected.get(key, 0) + 1
        assert days == expected
        weeks = (
            await client.get("/v1/metrics/summary", params={"group_by": "week"}, headers=VIEWER)
        ).json()["groups"]
        assert [g["key"] for g in weeks] == ["2026-W47"]
        teams = (
            await client.get(
                "/v1/metrics/summary",
                params={"group_by": "agent", "team": "logistics"},
                headers=VIEWER,
            )
        ).json()["groups"]
        assert all(g["key"].startswith("logistics/") for g in teams)
        assert sum(g["figures"]["tickets"] for g in teams) == sum(
            1 for x in facts if x.team == "logistics" and x.agent_name
        )

        # Filters and day windows.
        one_day = (T0.astimezone(REPORT_ZONE).date() + timedelta(days=1)).isoformat()
        window = await client.get(
            "/v1/metrics/summary",
            params={"since": one_day, "until": one_day, "category": "complaint"},
            headers=VIEWER,
        )
        assert window.status_code == 200
        assert window.json()["total"] == sum(
            1
            for x in facts
            if x.category == "complaint"
            and x.received_at is not None
            and x.received_at.astimezone(REPORT_ZONE).date().isoformat() == one_day
        )
        assert window.json()["figures"]["complaint_share"] == 1.0


async def test_summary_bad_input_is_a_4xx(
    store: AnalyticsStore, database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_app(database_url, broker, topic_prefix) as client:
        empty = await client.get("/v1/metrics/summary", headers=VIEWER)
        assert empty.status_code == 200
        assert empty.json()["figures"]["sla_compliance"] is None
        cases = [
            ({"group_by": "moon"}, 422, "validation_error"),
            ({"since": "2026-13-01"}, 422, "validation_error"),
            ({"since": "2026-11-20", "until": "2026-11-19"}, 400, "invalid_range"),
            ({"group_by": "agent", "channel": "phone"}, 400, "unsupported_filter"),
            ({"priority": "P9"}, 422, "validation_error"),
        ]
        for params, status, code in cases:
            response = await client.get("/v1/metrics/summary", params=params, headers=VIEWER)
            assert response.status_code == status, (params, response.text)
            assert response.json()["code"] == code


async def test_business_figures_on_prometheus(
    store: AnalyticsStore, database_url: str, broker: str, topic_prefix: str
) -> None:
    import asyncio

    from prometheus_client.parser import text_string_to_metric_families

    await _load(store)
    async with running_app(database_url, broker, topic_prefix) as client:
        summary = (await client.get("/v1/metrics/summary", headers=VIEWER)).json()
        samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        # Business figures are not on the open /metrics, only behind the viewer key.
        assert "sopdesk_csat_score" not in (await client.get("/metrics")).text
        assert (await client.get("/v1/metrics/business")).status_code == 401
        for _ in range(100):
            text = (await client.get("/v1/metrics/business", headers=VIEWER)).text
            samples = {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text)
                for s in family.samples
            }
            if ("sopdesk_queue_length", ()) in samples:
                break
            await asyncio.sleep(0.1)
        f = summary["figures"]
        assert samples[("sopdesk_queue_length", ())] == f["queue_length"] == 1
        for state, count in summary["by_state"].items():
            assert samples[("sopdesk_tickets", (("state", state),))] == count
        assert samples[("sopdesk_tickets_at_risk", ())] == f["at_risk"]
        assert samples[("sopdesk_sla_breaches_total", ())] == f["breached"]
        assert samples[("sopdesk_tickets_received_total", ())] == f["tickets"]
        assert samples[("sopdesk_sla_compliance_ratio", ())] == pytest.approx(f["sla_compliance"])
        assert samples[("sopdesk_csat_score_bucket", (("le", "+Inf"),))] == f["csat"]["responses"]
        assert samples[("sopdesk_csat_score_bucket", (("le", "2"),))] == (
            f["csat"]["distribution"]["1"] + f["csat"]["distribution"]["2"]
        )
        assert samples[("sopdesk_team_open_tickets", (("team", "logistics"),))] >= 1
        assert samples[("sopdesk_compensation_amount_total", ())] == pytest.approx(
            f["compensation_total"]
        )
