"""Intake's rules as plain functions: no I/O, no framework."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta, tzinfo
from typing import Any

import phonenumbers
from rapidfuzz import fuzz

from shared import vocabulary
from shared.vocabulary import CATEGORIES, CHAT_CHANNELS, TICKET_STATUSES

Language = vocabulary.Language

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
    "accepted": {"zh": "专员已开始处理您的问题", "en": "A specialist is working on it"},
    "progress": {"zh": "处理进展:{note}", "en": "Progress: {note}"},
    "resolved": {"zh": "问题已处理:{reply}", "en": "Resolved: {reply}"},
    "reopened": {"zh": "工单已重新打开", "en": "The ticket was reopened"},
    "closed": {"zh": "工单已关闭", "en": "The ticket is closed"},
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


def customer_type(is_vip: bool, previous_tickets: int) -> vocabulary.CustomerType:
    if is_vip:
        return "vip"
    return "returning" if previous_tickets > 0 else "new"


def ticket_number(day: datetime, sequence: int) -> str:
    return f"T{day:%Y%m%d}-{sequence:06d}"


def acknowledgement(ticket_no: str, language: Language) -> str:
    return ACKNOWLEDGEMENT[language].format(ticket_no=ticket_no)


def timeline_text(kind: str, language: Language, **params: str) -> str:
    """The customer's line for an event; categories in the customer's words (a team comes
    named already: teams are data, see ``shared.team_copies``)."""
    if "category" in params:
        params["category"] = CATEGORIES.label(params["category"], language)
    return TIMELINE_TEXT[kind][language].format(**params)


def advances(current: str, new: str) -> bool:
    """A ticket only moves forward in the lifecycle, whatever order the events arrive in."""
    if new == "reopened":  # back to work after a resolution, or a message soon after closing
        return current in vocabulary.DONE_STATUSES
    return TICKET_STATUSES.rank(new) > TICKET_STATUSES.rank(current)


# Statuses after which a ticket no longer takes de-duplicated requests or messages.
CLOSED_STATUSES = ("closed",)
DONE_STATUSES = tuple(sorted(vocabulary.DONE_STATUSES))


def takes_messages(
    status: str, closed_at: datetime | None, now: datetime, window: timedelta
) -> bool:
    """An open ticket takes customer messages; a closed one only within the reopen window
    (such a message reopens it)."""
    if status not in CLOSED_STATUSES:
        return True
    return closed_at is not None and now - closed_at <= window


def issue_text(subject: str, description: str) -> str:
    """What two requests are compared on: subject and description, case and spacing folded."""
    return " ".join(f"{subject} {description}".lower().split())


def similarity(a: str, b: str) -> float:
    """0-100: how alike two issue texts are (character-level, so it works for Chinese)."""
    return float(fuzz.ratio(a, b))


def same_issue(
    new_text: str,
    new_order_no: str | None,
    old_text: str,
    old_order_no: str | None,
    threshold: float,
) -> float | None:
    """The similarity score when a new request repeats an open ticket, else None.

    Two different order numbers are two different issues whatever the text says.
    """
    if new_order_no and old_order_no and new_order_no != old_order_no:
        return None
    score = similarity(new_text, old_text)
    return score if score >= threshold else None


def is_vip_tier(tier: str | None, vip_tiers: list[str]) -> bool:
    if not tier:
        return False
    return tier.strip().lower() in {t.lower() for t in vip_tiers}


def mask_identifier(kind: str, value: str) -> str:
    if kind == "phone":
        return mask_phone(value)
    if kind == "email":
        return mask_email(value)
    return value


VERIFICATION_SMS = {
    "zh": "【sopdesk】您的验证码为 {code},{minutes}分钟内有效。客服不会索要验证码,请勿告知他人。",
    "en": "[sopdesk] Your verification code is {code}, valid for {minutes} minutes. "
    "Our staff will never ask you for it.",
}


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_hash(secret: str, verification_id: str, code: str) -> str:
    """HMAC-SHA256 of the code, bound to its verification so hashes cannot be swapped."""
    message = f"{verification_id}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def code_matches(secret: str, verification_id: str, code: str, stored: str) -> bool:
    return hmac.compare_digest(code_hash(secret, verification_id, code), stored)


def verification_sms(code: str, minutes: int, language: Language) -> str:
    return VERIFICATION_SMS[language].format(code=code, minutes=minutes)


ASSIGNMENT_NOTICE = {
    "zh": "您的需求(工单号 {ticket_no})已提交至{team}团队,预计{when}前反馈。",
    "en": "Your request {ticket_no} has been passed to our {team} team; expect a reply by {when}.",
}
ASSIGNMENT_NOTICE_NO_TIME = {
    "zh": "您的需求(工单号 {ticket_no})已提交至{team}团队,我们会尽快反馈。",
    "en": "Your request {ticket_no} has been passed to our {team} team; "
    "we will get back to you soon.",
}


def when_text(due: datetime, now: datetime, tz: tzinfo, language: Language) -> str:
    """'今日17:00' / '明日09:30' / '11月25日09:00' (and the English equivalents), local time."""
    local_due, local_now = due.astimezone(tz), now.astimezone(tz)
    days = (local_due.date() - local_now.date()).days
    clock = f"{local_due:%H:%M}"
    if language == "zh":
        if days <= 0:
            return f"今日{clock}"
        if days == 1:
            return f"明日{clock}"
        return f"{local_due.month}月{local_due.day}日{clock}"
    if days <= 0:
        return f"{clock} today"
    if days == 1:
        return f"{clock} tomorrow"
    return f"{clock} on {local_due:%b} {local_due.day}"


def assignment_notice(
    ticket_no: str,
    team_name: str,
    respond_by: datetime | None,
    now: datetime,
    tz: tzinfo,
    language: Language,
) -> str:
    if respond_by is None:
        return ASSIGNMENT_NOTICE_NO_TIME[language].format(ticket_no=ticket_no, team=team_name)
    when = when_text(respond_by, now, tz, language)
    return ASSIGNMENT_NOTICE[language].format(ticket_no=ticket_no, team=team_name, when=when)


def contact_route(
    preferred: str | None,
    channel: str,
    sub_channel: str | None,
    phone: str | None,
    email: str | None,
    member_id: str | None,
    customer_id: str,
) -> tuple[str, str] | None:
    """Where a notice to this customer goes: (gateway channel, address), or None.

    The preferred contact wins when the customer has it; otherwise SMS to the phone,
    then e-mail, then the chat channel the ticket came in on (addressed by member id or
    customer id, which that gateway knows).
    """
    chat = f"{channel}:{sub_channel}" if channel == "social" and sub_channel else channel
    chat_to = member_id or customer_id
    if preferred in ("phone", "sms") and phone:
        return "sms", phone
    if preferred == "email" and email:
        return "email", email
    if preferred == "chat" and channel in CHAT_CHANNELS:
        return chat, chat_to
    if phone:
        return "sms", phone
    if email:
        return "email", email
    if channel in CHAT_CHANNELS:
        return chat, chat_to
    return None


# Notices other services ask for (notification.requested): template → text per language.
REQUESTED_TEMPLATES: dict[str, dict[str, str]] = {
    "resolution": {
        "zh": "您的工单 {ticket_no} 已处理:{reply} "
        "如问题已解决,请回复确认;如仍有疑问,请随时联系我们。",
        "en": "Your ticket {ticket_no} has been handled: {reply} Please confirm if it is solved.",
    },
    "confirmation_request": {
        "zh": "请确认工单 {ticket_no} 的问题是否已解决,{days}天内未回复将自动关闭。",
        "en": "Please confirm whether ticket {ticket_no} is solved; it closes by itself "
        "in {days} days.",
    },
    "survey": {
        "zh": "感谢您的耐心,请对本次服务进行评价:{url}",
        "en": "Thank you for your patience. Please rate our service: {url}",
    },
    "progress_update": {
        "zh": "工单 {ticket_no} 最新进展:{note}",
        "en": "Update on ticket {ticket_no}: {note}",
    },
    "suggestion_feedback": {
        "zh": "您的建议已同步至产品团队,感谢您的反馈。",
        "en": "Your suggestion has been passed to our product team. Thank you.",
    },
    "callback": {
        "zh": "我们将于{when}回访您,了解工单 {ticket_no} 的处理结果。",
        "en": "We will call you back {when} about ticket {ticket_no}.",
    },
    "ticket_closed": {
        "zh": "工单 {ticket_no} 已关闭,感谢您的支持。",
        "en": "Ticket {ticket_no} is closed. Thank you.",
    },
}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render_requested(
    template: str, language: Language, params: dict[str, Any], ticket_no: str
) -> str | None:
    """The text of a requested notice; a ``body`` param stands in for unknown templates."""
    texts = REQUESTED_TEMPLATES.get(template)
    if texts is None:
        body = params.get("body")
        return str(body) if body else None
    values = _Blank({k: str(v) for k, v in params.items()})
    values.setdefault("ticket_no", ticket_no)
    return texts[language].format_map(values).strip()


TICKET_NO = re.compile(r"\bT\d{8}-\d{6}\b")


def ticket_no_in(text: str) -> str | None:
    """The ticket number a reply's subject carries (``Re: [T20261122-000123] ...``)."""
    match = TICKET_NO.search(text)
    return match.group(0) if match else None
