"""The shape of one intent: its labels and the ways customers say it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Intent:
    """One thing customers ask for. Each body is one phrasing (a split group); ``{o}``
    in a body or subject is filled from ``objects``."""

    key: str
    category: str
    scene: str
    team: str
    priority: str
    industry: str
    subjects: tuple[str, ...]
    bodies: tuple[str, ...]
    objects: tuple[str, ...] = field(default=("",))
    customer_type: str = "new"
