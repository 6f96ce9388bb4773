"""Dispatch's rules as plain data and functions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar


@dataclass(frozen=True)
class TeamSpec:
    key: str
    name: str
    supervisor: str
    skills: tuple[str, ...]


# SPEC §3: the default teams, each with a supervisor.
DEFAULT_TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec("frontline", "一线客服 Front line", "frontline-supervisor", ("inquiry",)),
    TeamSpec("tech_support", "技术支持 Tech support", "tech-supervisor", ("fault",)),
    TeamSpec("finance", "财务 Finance", "finance-supervisor", ("refund",)),
    TeamSpec("logistics", "物流 Logistics", "logistics-supervisor", ("delivery",)),
    TeamSpec("complaints", "投诉专员 Complaints", "complaints-supervisor", ("complaint",)),
    TeamSpec("after_sales", "售后 After-sales", "after-sales-supervisor", ("after_sales",)),
    TeamSpec("product", "产品 Product", "product-supervisor", ("suggestion", "customization")),
)

DEFAULT_TEAM_KEYS = tuple(team.key for team in DEFAULT_TEAMS)

# Demo agents for a local run: (name, team).
DEMO_AGENTS: tuple[tuple[str, str], ...] = tuple(
    (f"{team.key}-agent-{n}", team.key) for team in DEFAULT_TEAMS for n in (1, 2)
)

REPORT_TO_SUPERVISOR = frozenset({"P0", "P1"})


class Candidate(Protocol):
    name: str
    capacity: int
    active_count: int
    last_assigned_at: datetime | None


C = TypeVar("C", bound=Candidate)


def pick_agent(candidates: Iterable[C]) -> C | None:
    """The least-loaded agent with spare capacity; among equals, who waited longest.

    Waiting longest (never assigned first) makes equals take turns: round robin.
    """
    free = [c for c in candidates if c.active_count < c.capacity]
    if not free:
        return None
    return min(
        free,
        key=lambda c: (
            c.active_count,
            c.last_assigned_at is not None,
            c.last_assigned_at or datetime.min.replace(tzinfo=UTC),
            c.name,
        ),
    )


def must_report_to_supervisor(priority: str) -> bool:
    """Seed 000: urgent and important tickets are reported to the supervisor on assignment."""
    return priority in REPORT_TO_SUPERVISOR
