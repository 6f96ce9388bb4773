"""Intake's rules as plain functions: no I/O, no framework."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import phonenumbers

Language = Literal["zh", "en"]

# A ticket only moves forward through these, whatever order the events arrive in.
STATUS_RANK = {"received": 0, "triaged": 1, "queued": 2, "assigned": 3}

ACKNOWLEDGEMENT = {
    "zh": "您好,您的需求已受理,工单号 {ticket_no}。我们会尽快安排专人处理,请留意后续通知。",
    "en": "Hello, we have received your request, ticket {ticket_no}. "
    "A specialist will be assigned shortly; watch for our next update.",
}

TIMELINE_TEXT = {
    "received": {"zh": "需求已受理", "en": "Request received"},
    "triaged": {
        "zh": "已分类:{category},优先级 {priority}",
        "en": "Classified: {category}, priority {priority}",
    },
    "queued": {"zh": "正在排队等待专员", "en": "Waiting for the next available specialist"},
    "assigned": {"zh": "已分派给{team}团队", "en": "Assigned to the {team} team"},
}


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str, region: str = "CN") -> str:
    """E.164 form of a phone number; national numbers are read in ``region``."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


def mask_phone(e164: str) -> str:
    digits = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def masked_contact(phone: str | None, email: str | None) -> str | None:
    if phone:
        return mask_phone(phone)
    if email:
        return mask_email(email)
    return None


def customer_type(is_vip: bool, previous_tickets: int) -> Literal["new", "returning", "vip"]:
    if is_vip:
        return "vip"
    return "returning" if previous_tickets > 0 else "new"


def ticket_number(day: datetime, sequence: int) -> str:
    return f"T{day:%Y%m%d}-{sequence:06d}"


def acknowledgement(ticket_no: str, language: Language) -> str:
    return ACKNOWLEDGEMENT[language].format(ticket_no=ticket_no)


def timeline_text(kind: str, language: Language, **params: str) -> str:
    return TIMELINE_TEXT[kind][language].format(**params)


def advances(current: str, new: str) -> bool:
    return STATUS_RANK.get(new, -1) > STATUS_RANK.get(current, -1)
