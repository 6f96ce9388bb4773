"""The summary figures, read from the daily rollups (never from the facts)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics import repository, rollups
from services.analytics.schemas import Csat, Duration, Figures, Group

GROUPS = ("channel", "category", "priority", "team", "agent", "day", "week")

Row = Mapping[str, Any]


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _duration(totals: Mapping[str, float], prefix: str, buckets: Sequence[str]) -> Duration:
    count = int(totals.get(f"{prefix}_count", 0))
    histogram = [int(totals.get(b, 0)) for b in buckets]
    median = rollups.quantile(histogram, 0.5)
    p90 = rollups.quantile(histogram, 0.9)
    return Duration(
        count=count,
        mean_seconds=round(totals.get(f"{prefix}_sum", 0.0) / count, 1) if count else None,
        median_seconds=round(median, 1) if median is not None else None,
        p90_seconds=round(p90, 1) if p90 is not None else None,
    )


def figures(rows: Iterable[Row]) -> Figures:
    """Every figure of the summary from summed rollup rows (see :func:`repository.figure_rows`)."""
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        for measure in rollups.MEASURES:
            totals[measure] += float(row[measure] or 0)
    tickets = int(totals["tickets"])
    csat_count = int(totals["csat_count"])
    distribution = {str(i): int(totals[f"csat_{i}"]) for i in range(1, 6)}
    return Figures(
        tickets=tickets,
        open=int(totals["open"]),
        queue_length=int(totals["queued"]),
        at_risk=int(totals["at_risk"]),
        breached=int(totals["breached"]),
        resolved=int(totals["resolved"]),
        sla_compliance=_ratio(totals["sla_met"], totals["sla_evaluated"]),
        response_compliance=_ratio(totals["response_met"], totals["response_known"]),
        resolution_compliance=_ratio(totals["resolution_met"], totals["resolution_known"]),
        first_response=_duration(totals, "frt", rollups.FRT_BUCKETS),
        resolution=_duration(totals, "res", rollups.RES_BUCKETS),
        fcr_rate=_ratio(totals["fcr"], totals["resolved"]),
        reopen_rate=_ratio(totals["reopened"], totals["resolved"]),
        csat=Csat(
            responses=csat_count,
            average=round(totals["csat_sum"] / csat_count, 2) if csat_count else None,
            satisfied_rate=_ratio(distribution["4"] + distribution["5"], csat_count),
            distribution=distribution,
        ),
        complaint_share=_ratio(totals["complaints"], tickets),
        compensation_count=int(totals["compensation_count"]),
        compensation_total=round(totals["compensation_total"], 2),
        transfers=int(totals["transfers"]),
        escalations=int(totals["escalations"]),
    )


def counts(rows: Iterable[Row], dimension: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["tickets"]:
            out[row[dimension] or "unknown"] += int(row["tickets"])
    return dict(sorted(out.items()))


def grouped(rows: Iterable[Row], key: Any) -> list[Group]:
    buckets: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        buckets[key(row)].append(row)
    groups = [Group(key=k, figures=figures(v)) for k, v in sorted(buckets.items())]
    return [g for g in groups if g.figures.tickets]  # rows emptied by moves


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week like ``2026-W47``; ValueError otherwise."""
    year, _, number = week.partition("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return monday, monday + timedelta(days=6)


async def summary(
    session: AsyncSession,
    group_by: str | None,
    filters: Mapping[str, str | None],
    *,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """The body of ``GET /v1/metrics/summary`` (less its echo of the query)."""
    window = {"since": since, "until": until}
    # Without a date window the all-time rollups answer (a few hundred rows); without
    # filters the per-day totals do (a row a day).
    daily = since is not None or until is not None
    plain = not any(filters.values())
    main = "daily_rollups" if daily else "total_rollups"
    agents = "agent_daily_rollups" if daily else "agent_total_rollups"
    days = "day_rollups" if plain else "daily_rollups"
    volumes = await repository.volume_rows(session, table=main, filters=filters, **window)
    whole = await repository.figure_rows(
        session, table=days if daily else main, group=None, filters=filters, **window
    )
    groups: list[Group] = []
    if group_by in ("channel", "category", "priority", "team"):
        rows = await repository.figure_rows(
            session, table=main, group=group_by, filters=filters, **window
        )
        groups = grouped(rows, lambda r: _key(r[group_by]))
    elif group_by in ("day", "week"):
        rows = await repository.figure_rows(
            session, table=days, group="day", filters=filters, **window
        )
        key = (lambda r: _key(r["day"])) if group_by == "day" else (lambda r: iso_week(r["day"]))
        groups = grouped(rows, key)
    elif group_by == "agent":
        rows = await repository.figure_rows(
            session,
            table=agents,
            group="team,agent",
            filters={"team": filters.get("team"), "category": filters.get("category")},
            **window,
        )
        groups = grouped((r for r in rows if r["agent"]), lambda r: f"{r['team']}/{r['agent']}")
    by_state = counts(volumes, "state")
    return {
        "total": sum(by_state.values()),
        "queue_length": by_state.get("queued", 0),
        "by_state": by_state,
        "by_channel": counts(volumes, "channel"),
        "by_category": counts(volumes, "category"),
        "by_priority": counts(volumes, "priority"),
        "by_team": counts(volumes, "team"),
        "figures": figures(whole),
        "groups": groups,
    }


def _key(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if value else "unknown"
