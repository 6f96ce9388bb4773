"""Topic names under a configurable prefix: one per stream, one per team, one dead-letter
topic per consumer."""

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

    def for_event(self, event: _Routed) -> str:
        return self.name(event.stream_name())
