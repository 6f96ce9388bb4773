"""Intake's rules as plain functions: no I/O, no framework."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

import phonenumbers
from rapidfuzz import fuzz

from shared import vocabulary
from shared.vocabulary import CATEGORIES, CHAT_CHANNELS, TICKET_STATUSES

Language = vocabulary.Language

TIMELINE_TEXT = {
    "received": {"zh": "需求已受理", "en": "Request received"},
    "triaged": {
        "zh": "已分类：{category}，优先级 {priority}",
        "en": "Classified: {category}, priority {priority}",
    },
    "queued": {"zh": "正在排队等待专员", "en": "Waiting for the next available specialist"},
    "assigned": {"zh": "已分派给{team}团队", "en": "Assigned to the {team} team"},
    "accepted": {"zh": "专员已开始处理您的问题", "en": "A specialist is working on it"},
    # With the name of the person who acted (since people sign in).
    "accepted_by": {"zh": "专员{agent}已开始处理您的问题", "en": "{agent} is working on it"},
    "resolved_by": {"zh": "{agent}已处理您的问题：{reply}", "en": "Resolved by {agent}: {reply}"},
    "progress": {"zh": "处理进展：{note}", "en": "Progress: {note}"},
    "resolved": {"zh": "问题已处理：{reply}", "en": "Resolved: {reply}"},
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


def timeline_text(kind: str, language: Language, **params: str) -> str:
    """The customer's line for an event; categories in the customer's words (a team comes
    named already: teams are data, see ``shared.team_copies``)."""
    if "category" in params:
        params["category"] = CATEGORIES.label(params["category"], language)
    named = f"{kind}_by"
    if params.get("agent") and named in TIMELINE_TEXT:
        kind = named
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


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_hash(secret: str, verification_id: str, code: str) -> str:
    """HMAC-SHA256 of the code, bound to its verification so hashes cannot be swapped."""
    message = f"{verification_id}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def code_matches(secret: str, verification_id: str, code: str, stored: str) -> bool:
    return hmac.compare_digest(code_hash(secret, verification_id, code), stored)


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


TICKET_NO = re.compile(r"\bT\d{8}-\d{6}\b")


def ticket_no_in(text: str) -> str | None:
    """The ticket number a reply's subject carries (``Re: [T20261122-000123] ...``)."""
    match = TICKET_NO.search(text)
    return match.group(0) if match else None


# What a customer's reply to the result says (seed 000 (四) 结果确认). Negative phrases are
# looked for anywhere (they contain the positive ones: 没解决 ⊃ 解决); a confirmation must
# be the whole short reply or open it, so "解决了吗？还是不行" is not read as one.
NOT_SOLVED_PHRASES = (
    "未解决",
    "没解决",
    "没有解决",
    "还没解决",
    "仍未解决",
    "没能解决",
    "不能解决",
    "还是不行",
    "还不行",
    "没好",
    "没修好",
    "依然存在",
    "仍然存在",
    "还是有问题",
    "not solved",
    "not resolved",
    "not fixed",
    "still broken",
    "still not working",
    "doesn't work",
    "does not work",
)
CONFIRMING_PHRASES = (
    "已解决",
    "解决了",
    "问题解决了",
    "已经解决",
    "已经解决了",
    "好了",
    "已经好了",
    "可以了",
    "没问题了",
    "好的谢谢",
    "好的",
    "谢谢",
    "感谢",
    "确认",
    "确认解决",
    "满意",
    "solved",
    "resolved",
    "fixed",
    "it works",
    "works now",
    "confirmed",
    "yes",
    "ok",
    "okay",
    "thanks",
    "thank you",
)
_REPLY_NOISE = re.compile(r"[\s,.!?;:，。！？；：、~～…'\"“”‘’()（）\[\]【】]+")
# Words that may stand between confirming phrases ("好的，非常感谢您").
_REPLY_FILLERS = ("啦", "了", "呀", "哈", "啊", "的", "您", "你们", "非常", "很", "多谢", "辛苦了")
CONFIRMATION_MAX_LENGTH = 16  # folded characters: longer replies say more than "yes"

ReplyMeaning = Literal["confirmed", "not_solved"]


def _only_confirmations(folded: str) -> bool:
    """Whether the folded reply is made of confirming phrases (and fillers) alone."""
    pieces = [_REPLY_NOISE.sub("", p) for p in (*CONFIRMING_PHRASES, *_REPLY_FILLERS)]
    reachable = [True] + [False] * len(folded)
    for end in range(1, len(folded) + 1):
        reachable[end] = any(
            reachable[end - len(p)] and folded.endswith(p, 0, end) for p in pieces if len(p) <= end
        )
    return reachable[-1]


def reply_meaning(body: str) -> ReplyMeaning | None:
    """``not_solved`` / ``confirmed`` for a reply to the result, None when it says neither
    (a question, or anything beyond confirming words)."""
    lowered = body.lower()
    if any(phrase in lowered for phrase in NOT_SOLVED_PHRASES):
        return "not_solved"
    if "?" in lowered or "？" in lowered:
        return None
    folded = _REPLY_NOISE.sub("", lowered)
    if not folded or len(folded) > CONFIRMATION_MAX_LENGTH:
        return None
    if not any(_REPLY_NOISE.sub("", p) in folded for p in CONFIRMING_PHRASES):
        return None
    return "confirmed" if _only_confirmations(folded) else None


def language_of(value: str | None) -> Language:
    """A stored language as one intake writes in (Chinese unless English)."""
    return "en" if value == "en" else "zh"


_SENTENCE_END = re.compile(r"[。!?!?\n;;]")


def derive_subject(description: str, limit: int = 30) -> str:
    """A subject for a request that has none (IVR and phone gateways): the description's
    first sentence, cut at ``limit`` characters."""
    first = _SENTENCE_END.split(description.strip(), maxsplit=1)[0].strip() or description
    first = " ".join(first.split())
    return first if len(first) <= limit else first[: limit - 1] + "…"


def request_fingerprint(body: Mapping[str, Any]) -> str:
    """A stable digest of a request's body: the same key with another body is refused."""
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
