"""The shape of one intent: its labels and the ways customers say it."""

from __future__ import annotations

from dataclasses import dataclass, field

# The industries and scenes the phrasing files name (the values triage's labels take).
GENERIC = "generic"
SHOP = "e-commerce"
FIN = "finance"
MED = "healthcare"
MFG = "manufacturing"
EDU = "education"
AS, PRE, IN = "after_sale", "pre_sale", "in_sale"


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
