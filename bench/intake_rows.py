"""Open tickets written straight into intake's store, as the benchmarks fill it (the
pipeline posts 11-17 tickets/s, too slow to make 10,000): a customer each, with a phone
and an e-mail identifier, the ticket, and one message from the customer a minute later."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.models import Customer, CustomerIdentifier, Ticket, TicketMessage


@dataclass
class IntakeRows:
    customers: list[dict[str, Any]] = field(default_factory=list)
    identifiers: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def add(self, i: int, at: datetime, phone: str, email: str, **ticket: Any) -> dict[str, Any]:
        """Customer 客户{i} (``phone``, ``email``) and their ticket, assigned, received on
        web chat at ``at``; ``ticket`` gives its number, subject, description, order and
        team. Returns the ticket's row."""
        customer_id = uuid.uuid4()
        self.customers.append(
            {
                "id": customer_id,
                "name": f"客户{i}",
                "phone": phone,
                "email": email,
                "is_vip": False,
                "ticket_count": 1,
                "created_at": at,
                "updated_at": at,
            }
        )
        self.identifiers += [
            {"kind": "phone", "value": phone, "customer_id": customer_id, "created_at": at},
            {"kind": "email", "value": email, "customer_id": customer_id, "created_at": at},
        ]
        row = {
            "id": uuid.uuid4(),
            "customer_id": customer_id,
            "customer_type": "new",
            "channel": "web_chat",
            "extra": {},
            "language": "zh",
            "status": "assigned",
            "acknowledgement": "您好",
            "created_at": at,
            "updated_at": at,
            **ticket,
        }
        self.tickets.append(row)
        self.messages.append(
            {
                "id": uuid.uuid4(),
                "ticket_id": row["id"],
                "channel": "web_chat",
                "body": "请问处理进度如何?",
                "deduplicated": False,
                "created_at": at + timedelta(minutes=1),
            }
        )
        return row

    def batches(self) -> list[tuple[Any, list[dict[str, Any]]]]:
        """The rows by model, in the order their foreign keys need."""
        return [
            (Customer, self.customers),
            (CustomerIdentifier, self.identifiers),
            (Ticket, self.tickets),
            (TicketMessage, self.messages),
        ]

    async def insert(self, conn: AsyncConnection, chunk: int) -> None:
        """Every row, ``chunk`` rows a statement."""
        for model, values in self.batches():
            for start in range(0, len(values), chunk):
                await conn.execute(sa.insert(model), values[start : start + chunk])
