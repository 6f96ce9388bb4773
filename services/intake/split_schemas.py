"""HTTP bodies of undoing a wrong merge (POST /v1/tickets/{id}/messages/{id}/split)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class MessageSplit(BaseModel):
    """The ticket a customer message was split off into."""

    ticket_id: uuid.UUID = Field(description="The new ticket.")
    ticket_no: str = Field(examples=["T20261202-000042"])
    split_from_ticket_id: uuid.UUID = Field(description="The ticket the message was on.")
    split_from_ticket_no: str = Field(examples=["T20261202-000017"])
    message_id: uuid.UUID
    match_reason: str | None = Field(
        default=None,
        description="Why one issue, one ticket had joined the message to the ticket.",
        examples=["相同问题:支付"],
    )
    replayed: bool = Field(
        default=False, description="The message had been split already: the same new ticket."
    )
