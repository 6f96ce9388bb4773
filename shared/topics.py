"""Topic names under a configurable prefix: one per stream, one per team, one dead-letter
and one retry topic per consumer."""

from __future__ import annotations

from typing import Protocol


class _Routed(Protocol):
    def stream_name(self) -> str: ...


class Topics:
    """Topic names under a configurable prefix (``sopdesk`` by default)."""

    STREAMS = ("intake", "triage", "dispatch", "followup", "notifications")

    def __init__(self, prefix: str = "sopdesk") -> None:
        self.prefix = prefix

    def name(self, stream: str) -> str:
        return f"{self.prefix}.{stream}"

    @property
    def intake(self) -> str:
        return self.name("intake")

    @property
    def triage(self) -> str:
        return self.name("triage")

    @property
    def dispatch(self) -> str:
        return self.name("dispatch")

    @property
    def followup(self) -> str:
        return self.name("followup")

    @property
    def notifications(self) -> str:
        return self.name("notifications")

    def assignments(self, team: str) -> str:
        return self.name(f"assignments.{team}")

    def dlq(self, consumer: str) -> str:
        return self.name(f"dlq.{consumer}")

    def retry(self, consumer: str) -> str:
        """The topic only ``consumer`` reads besides its lifecycle topics: a dead-letter
        redrive goes here, so no other consumer of the origin topic sees the event again."""
        return self.name(f"retry.{consumer}")

    def is_external(self, topic: str) -> bool:
        """Read outside sopdesk (gateways, teams' own tools), which act on what they get."""
        return topic == self.notifications or topic.startswith(self.name("assignments."))

    def for_event(self, event: _Routed) -> str:
        return self.name(event.stream_name())
