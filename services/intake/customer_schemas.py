"""HTTP bodies of intake's customer profiles: the profile and its tickets, VIP entries,
contact reveals and phone verifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events import CustomerType

if TYPE_CHECKING:
    from services.intake.models import Ticket


class ContactRevealCreate(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "phone", "reason": "客户要求回电，核对号码"},
                {"contact_id": "email:1", "reason": "邮件退信，核对地址", "ticket_id": None},
            ]
        },
    )

    contact_id: str | None = Field(
        default=None,
        pattern=r"^(phone|email):[1-9][0-9]{0,3}$",
        description="A contact as the profile lists it (`identifiers[].contact_id`).",
        examples=["phone:1"],
    )
    kind: Literal["phone", "email"] | None = Field(
        default=None, description="The profile's primary phone or e-mail."
    )
    reason: str = Field(min_length=2, max_length=500, description="Why (kept in the audit).")
    ticket_id: uuid.UUID | None = Field(
        default=None, description="The ticket the reveal is for (kept in the audit)."
    )

    @model_validator(mode="after")
    def _one_contact(self) -> ContactRevealCreate:
        if (self.contact_id is None) == (self.kind is None):
            raise ValueError("give exactly one of contact_id or kind")
        return self


class ContactRevealed(BaseModel):
    reveal_id: uuid.UUID
    customer_id: uuid.UUID
    contact_id: str = Field(examples=["phone:1"])
    kind: Literal["phone", "email"]
    value: str = Field(description="The raw contact.", examples=["+8613812345678"])
    revealed_at: datetime


class ContactRevealRecord(BaseModel):
    reveal_id: uuid.UUID
    customer_id: uuid.UUID
    contact_id: str = Field(examples=["phone:1"])
    kind: str = Field(examples=["phone"])
    masked_value: str = Field(examples=["138****5678"])
    reason: str = Field(examples=["客户要求回电，核对号码"])
    ticket_id: uuid.UUID | None = None
    actor_id: str = Field(examples=["person:8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d"])
    actor_name: str = Field(examples=["王芳"])
    at: datetime


class TicketSummary(BaseModel):
    ticket_id: uuid.UUID
    ticket_no: str
    subject: str
    status: str
    created_at: datetime
    channel: str | None = Field(default=None, examples=["phone"])
    team: str | None = Field(default=None, examples=["tech_support"])
    readable: bool | None = Field(
        default=None,
        description="In the history route: whether the caller may open it (their team's "
        "or their own).",
    )

    @classmethod
    def of(cls, ticket: Ticket, readable: bool | None = None) -> TicketSummary:
        return cls(
            ticket_id=ticket.id,
            ticket_no=ticket.ticket_no,
            subject=ticket.subject,
            status=ticket.status,
            created_at=ticket.created_at,
            channel=ticket.channel,
            team=ticket.team,
            readable=readable,
        )


class MaskedIdentifier(BaseModel):
    kind: Literal["phone", "email", "member_id", "order_no"]
    value: str = Field(description="Phones and e-mails masked", examples=["138****5678"])
    contact_id: str | None = Field(
        default=None,
        description="Phones and e-mails: what `POST /v1/customers/{id}/contacts/reveal` takes.",
        examples=["phone:1"],
    )


class CustomerView(BaseModel):
    customer_id: uuid.UUID
    name: str | None
    masked_phone: str | None = Field(examples=["138****5678"])
    masked_email: str | None = Field(examples=["z***@example.com"])
    member_id: str | None
    member_tier: str | None = None
    customer_type: CustomerType
    identifiers: list[MaskedIdentifier] = Field(default_factory=list)
    merged_customer_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Profiles merged into this one; their tickets are here."
    )
    tickets: list[TicketSummary]


VipKind = Literal["phone", "email", "member_id"]


class VipCreate(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"kind": "phone", "value": "13812345678", "note": "KA"}]},
    )

    kind: VipKind
    value: str = Field(min_length=1, max_length=254)
    note: str | None = Field(default=None, max_length=200)


class VipView(BaseModel):
    vip_id: uuid.UUID
    kind: VipKind
    value: str = Field(description="Phones and e-mails masked", examples=["138****5678"])
    note: str | None
    created_at: datetime


class VerificationCreate(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        extra="forbid",
        json_schema_extra={"examples": [{"phone": "13812345678", "ticket_id": None}]},
    )

    phone: str = Field(min_length=3, max_length=32)
    ticket_id: uuid.UUID | None = Field(
        default=None, description="The ticket whose timeline records the outcome."
    )
    language: Literal["zh", "en"] | None = None


class VerificationSent(BaseModel):
    verification_id: uuid.UUID
    masked_phone: str = Field(examples=["138****5678"])
    expires_at: datetime
    attempts_allowed: int = Field(examples=[5])


class VerificationCheck(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        extra="forbid",
        json_schema_extra={"examples": [{"code": "123456"}]},
    )

    code: str = Field(pattern=r"^[0-9]{6}$", description="The 6-digit code the customer read out.")


class VerificationResult(BaseModel):
    verification_id: uuid.UUID
    status: Literal["verified"] = "verified"
    verified_at: datetime
